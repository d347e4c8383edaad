// SPDX-License-Identifier: MIT
#pragma once

#include <QtCore/qbytearray.h>
#include <QtCore/qprocess.h>
#include <QtCore/qstringlist.h>

#include <vector>

namespace TaskConductor {

//! An environment encoded once for execve(): "NAME=value" strings in one buffer, one pointer
//! each. QProcess encodes its whole environment again at every start (about 300 instructions
//! per variable); the tasks of a Broker share one environment, so a session encodes it once.
//! Not thread-safe: one per session, used from the Broker's thread.
class EncodedEnvironment
{
public:
    //! Encodes \a environment, leaving out the variable \a leftOut, unless it is the one encoded
    //! last (tasks share it copy-on-write: one pointer comparison). False if it cannot be
    //! encoded exactly: QProcessEnvironment gives a value that was not UTF-8 back with U+FFFD,
    //! and only QProcess itself passes the original bytes.
    bool encode(const QProcessEnvironment &environment, QByteArrayView leftOut);
    //! The entries of the last successful encode(), without a terminating null pointer.
    const std::vector<char *> &entries() const { return m_entries; }

private:
    QProcessEnvironment m_source;
    QByteArray m_leftOut;
    QByteArray m_bytes;
    std::vector<char *> m_entries;
    bool m_encoded = false;
    bool m_exact = false;
};

//! A table of error numbers in memory shared with every child, forked or vforked: where the
//! child's own execve() fails, it writes the error here and exits. Holds up to 16,384 starting
//! processes; one per session, used from one thread.
class ExecErrorTable
{
public:
    ExecErrorTable();
    ~ExecErrorTable();
    ExecErrorTable(const ExecErrorTable &) = delete;
    ExecErrorTable &operator=(const ExecErrorTable &) = delete;

    //! A free slot set to 0, or nullptr when none is left (or the table could not be mapped).
    int *acquire();
    //! Gives back a slot from acquire(); nullptr does nothing.
    void release(int *slot);

private:
    int *m_slots = nullptr;
    std::vector<int> m_free;
};

//! What the child needs to execve() a task itself, prepared in the host before QProcess forks:
//! the program resolved as QProcess resolves it (the host's PATH for a bare name, else as given,
//! relative to the working directory), argv, and the environment (the session's entries plus
//! one of the task's own, the marker). The child reads it between fork and exec: run() is
//! async-signal-safe and writes nothing but the error slot.
class ChildExec
{
public:
    //! Prepares \a command with \a shared entries plus \a ownEntry ("NAME=value", may be empty)
    //! and \a errorSlot for run().
    void prepare(const QStringList &command, const std::vector<char *> &shared, QByteArray ownEntry,
                 int *errorSlot);
    bool isPrepared() const { return m_errorSlot != nullptr; }
    int *errorSlot() const { return m_errorSlot; }
    //! In the child: execve() the task; if that fails, the error goes to the slot and the
    //! child exits with 127. QProcess then reports a start and an exit, not its FailedToStart:
    //! Qt 6.4 leaks a pipe for each of those. Does not return.
    [[noreturn]] void run() const noexcept;
    //! The program QProcess is given. Its own exec never comes (run() does not return); were it
    //! to, it would fail (/dev/null is no regular file), never starting the task with the host's
    //! environment.
    static QString unrunnableProgram() { return QStringLiteral("/dev/null"); }
    void clear();

private:
    QByteArray m_strings; // the program and arguments, each with its NUL
    std::vector<char *> m_argv;
    QByteArray m_ownEntry;
    std::vector<char *> m_envp;
    int *m_errorSlot = nullptr;
};

} // namespace TaskConductor
