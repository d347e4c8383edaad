// SPDX-License-Identifier: MIT
#pragma once

#include "childexec.h"
#include "processmarker.h"
#include "sessionguardian.h"

#include <taskconductor/executor.h>

#include <QtCore/qelapsedtimer.h>
#include <QtCore/qprocess.h>

#include <csignal>
#include <memory>

namespace TaskConductor {

//! What the processes of one Broker's LocalExecutor session share; outlives the session while
//! a process is left.
struct LocalSessionState
{
    explicit LocalSessionState(quint64 serial);
    ~LocalSessionState();
    LocalSessionState(const LocalSessionState &) = delete;
    LocalSessionState &operator=(const LocalSessionState &) = delete;
    //! \a environment plus the marker variable with \a value. Copies \a environment once per
    //! distinct environment, not per start: the copy is kept and only the marker's value changes
    //! while no QProcess holds it (release it after QProcess::start()).
    QProcessEnvironment markedEnvironment(const QProcessEnvironment &environment,
                                          const QString &value);

    const quint64 brokerSerial; //!< the Broker's number in the process marker
    QList<qint64> reapedGroups; //!< process groups reaped at the Broker's destruction
    SessionGuardian guardian; //!< ends the tasks' groups if the host dies; stopped last
    //! /dev/null, opened once (close-on-exec, above 2) for the children's standard input, or -1
    int nullInput = -1;
    int loadavg = -1; //!< /proc/loadavg for the sweep after each task (ProcessMarker::lastPid())
    EncodedEnvironment encodedEnvironment; //!< the tasks' environment for the children's execve()
    ExecErrorTable execErrors; //!< where a child's own execve() leaves its error

private:
    QProcessEnvironment m_unmarked; // what m_marked was copied from
    QProcessEnvironment m_marked;
    bool m_hasMarked = false;
};

//! One attempt in a QProcess whose child leads its own process group (pgid == pid), so that a
//! signal to -pid reaches everything the task spawned that did not leave the group, and dies
//! with the thread that started it (the parent-death signal). With a session, the child carries
//! the task's marker and, once the main process has ended, whatever still carries it is killed
//! (the sweep); the session's guardian watches the group while it may hold processes.
class LocalProcess final : public TaskProcess, private TaskProcessBlockingInterface
{
public:
    LocalProcess(TaskProcessObserver *observer, std::shared_ptr<LocalSessionState> session);
    ~LocalProcess() override; // kills and reaps a process still running

    void start(const LaunchRequest &request) override;
    void terminate() override { signalGroup(m_stopSignal); }
    void kill() override { signalGroup(SIGKILL); }
    qint64 processId() const override { return m_pid; }
    TaskProcessBlockingInterface *blockingInterface() override { return this; }
    void writeStdin(QByteArrayView bytes) override;
    qint64 stdinBytesPending() const override { return m_process.bytesToWrite(); }
    void closeStdin() override { m_process.closeWriteChannel(); }

private:
    void reap(int graceMsecs) override;
    void signalGroup(int sig);
    void killEscapees();
    void groupGone(); // killed and reaped: the guardian may forget it
    void forward(OutputChannel channel);
    void onFinished(int exitCode, QProcess::ExitStatus status);
    void releaseExec(); // the child has exec'd or failed: its error slot is free

    QProcess m_process;
    ChildExec m_exec; // prepared when the child execs the task itself
    int m_execError = 0; // the errno of the child's own exec, which then exited
    int m_usageTicket = -1; // ExitUsage: the child's CPU time and peak RSS at its exit
    int m_stopSignal = SIGTERM;
    std::shared_ptr<LocalSessionState> m_session;
    ProcessMarker m_marker; // empty outside a session
    QElapsedTimer m_started;
    qint64 m_pid = 0;
    bool m_swept = false;
    bool m_guarded = false; // the session's guardian watches the group
};

} // namespace TaskConductor
