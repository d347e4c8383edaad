// SPDX-License-Identifier: MIT
#pragma once

#include "taskconductor_autotest_export.h"
#include <taskconductor/types.h>

#include <QtCore/qbytearray.h>
#include <QtCore/qlist.h>
#include <QtCore/qprocess.h>

namespace TaskConductor {

//! The environment entry the Broker gives every child, TASKCONDUCTOR_BROKER=<host pid>:<broker
//! serial>:<task id>. Descendants inherit it through fork(), exec() and setsid(), so they can be
//! found by it in /proc after they have left the task's process group. Linux only; elsewhere
//! find() returns nothing.
class TASKCONDUCTOR_AUTOTEST_EXPORT ProcessMarker
{
public:
    //! The empty marker: matches nothing, finds nothing.
    ProcessMarker() = default;
    //! The marker of task \a id of the broker numbered \a brokerSerial in this process.
    static ProcessMarker forTask(quint64 brokerSerial, TaskId id);
    //! Matches every task of the broker numbered \a brokerSerial in this process.
    static ProcessMarker forBroker(quint64 brokerSerial);
    //! Matches every task of every broker in this process.
    static ProcessMarker forHost();
    //! Matches every task of the broker numbered \a brokerSerial in the process \a hostPid,
    //! which may have died since (a resumed run ends its predecessor's leftovers with it).
    static ProcessMarker forBrokerOf(qint64 hostPid, quint64 brokerSerial);
    //! A new broker's number: random per host process, then counting up, so that the markers
    //! of a dead host's brokers never match a later host's that got the same pid.
    static quint64 nextBrokerSerial();

    static const char *variableName() { return "TASKCONDUCTOR_BROKER"; }
    //! The value to put in a child's environment (only for forTask()).
    QString value() const;
    bool isEmpty() const { return m_entry.isEmpty(); }
    //! "NAME=value" (forTask()) or the prefix that every matching entry starts with.
    const QByteArray &entry() const { return m_entry; }

    //! Pids of living processes (zombies excluded) whose environment matches, minus \a except.
    //! With \a bornAfter > 0, only processes created after the one with that pid and not
    //! noted by setTaskProcessRunning() are read,
    //! which Linux numbers upwards; if the numbers have wrapped since (the last pid given out
    //! is below \a bornAfter), every process is read. The caller passes it only for a recent
    //! pid: a full wrap in between must be out of reach. \a loadavg as for lastPid().
    QList<qint64> find(qint64 except = 0, qint64 bornAfter = 0, int loadavg = -1) const;
    //! SIGKILLs every match (except \a except; \a bornAfter as for find()). When this process
    //! is a child subreaper, also reaps the matches re-parented to it, and its zombie children
    //! in the process groups \a groups (their environment is gone, so only the group tells they
    //! were a task's), waiting at most about 100 ms for them. Returns how many it killed.
    int killAll(qint64 except = 0, const QList<qint64> &groups = {}, qint64 bornAfter = 0,
                int loadavg = -1) const;

    //! For another host's processes (a dead one's): SIGKILLs every match and the process group
    //! of each match that leads one (a task's main process), in rounds until none is left or
    //! \a waitMsecs have passed. Returns how many it found.
    int killAllAndWait(int waitMsecs) const;

    //! The pid Linux gave out last in this pid namespace (/proc/loadavg), or 0 if unknown.
    //! Read from \a loadavg, a descriptor from openLastPidSource(), if there is one: one
    //! pread() where opening the file walks its path each time.
    static qint64 lastPid(int loadavg = -1);
    //! /proc/loadavg opened for lastPid() (close-on-exec), or -1.
    static int openLastPidSource();
    //! This process's pid. getpid() is a system call each time (glibc stopped caching it) and
    //! is asked several times per task: this asks once, and again in a fork() child.
    static qint64 hostPid();
    //! Notes \a pid as a task's main process that runs now, or no longer (any Broker of this
    //! process, any thread). A sweep with bornAfter skips these: each carries its own task's
    //! marker, and reading the environment of a process still inside execve() waits for the
    //! exec to finish, which stalled the host at high concurrency.
    static void setTaskProcessRunning(qint64 pid, bool running);

    //! Makes this process a child subreaper (prctl), so orphans of its descendants are
    //! re-parented to it rather than to init. Process-wide. Returns whether it worked.
    static bool becomeChildSubreaper();

private:
    ProcessMarker(QByteArray entry, bool exact)
        : m_entry(std::move(entry))
        , m_exact(exact)
    { }
    bool matches(const QByteArray &environ) const;
    bool matchesProcess(qint64 pid) const;

    QByteArray m_entry; // "NAME=value" (exact) or a prefix of it
    bool m_exact = true;
};

} // namespace TaskConductor
