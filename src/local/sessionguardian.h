// SPDX-License-Identifier: MIT
#pragma once

#include <QtCore/qbytearray.h>

namespace TaskConductor {

//! A small process that outlives its host just long enough to end what the host's tasks left:
//! forked once per LocalExecutor session (no exec), it holds one end of a socket pair and sees
//! each task's process group in a bitmap shared with the host. When the host dies, even of
//! SIGKILL, the socket reads end-of-file: the guardian SIGKILLs every process group still
//! registered and every process carrying the session's marker, then exits. stop() makes it exit
//! without killing anything, and reaps it. Used from one thread (the Broker's). Linux.
class SessionGuardian
{
public:
    //! The guardian of the processes whose environment holds an entry starting with
    //! \a markerPrefix ("TASKCONDUCTOR_BROKER=<pid>:<serial>:"). Forks nothing yet.
    explicit SessionGuardian(QByteArray markerPrefix);
    ~SessionGuardian(); // stop()
    SessionGuardian(const SessionGuardian &) = delete;
    SessionGuardian &operator=(const SessionGuardian &) = delete;

    //! If this process dies before forgetGroup(\a pgid), the guardian kills group \a pgid. The
    //! first call forks the guardian; false if there is none (it could not be forked, or died).
    //! No system call but a check that the guardian lives, and no wake-up of the guardian.
    bool watchGroup(qint64 pgid);
    //! The group has been killed and reaped by the host: not the guardian's business any more.
    void forgetGroup(qint64 pgid);
    //! Tells the guardian to exit without killing anything, and reaps it.
    void stop();
    //! The guardian's pid; 0 before the first watchGroup() or after stop().
    qint64 processId() const { return m_pid; }

private:
    bool ensureStarted();
    bool isAlive(); // reaps it and warns once it has died
    void setGroupBit(qint64 pgid, bool set);
    void reap();

    QByteArray m_markerPrefix;
    int m_socket = -1;
    unsigned char *m_groups = nullptr; // the bitmap shared with the guardian, one bit per pgid
    qint64 m_pid = 0;
    bool m_unavailable = false; // could not be forked, or died: never forked again
};

} // namespace TaskConductor
