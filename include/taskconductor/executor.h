// SPDX-License-Identifier: MIT
#pragma once

#include <taskconductor/taskconductor_export.h>
#include <taskconductor/types.h>

#include <QtCore/qbytearray.h>
#include <QtCore/qbytearrayview.h>
#include <QtCore/qprocess.h>
#include <QtCore/qstringlist.h>

#include <functional>
#include <memory>

namespace TaskConductor {

struct BrokerConfig;
class TaskDescriptor;

//! Everything an executor needs to launch one attempt of a task, already resolved by the Broker.
struct LaunchRequest
{
    TaskId taskId = 0; //!< the task this attempt belongs to
    QStringList command; //!< argv, never empty
    QString workingDirectory; //!< absolute or as given; never empty
    //! The task's complete environment; an executor may add entries of its own (LocalExecutor:
    //! the process marker).
    QProcessEnvironment environment;
    //! What terminate() sends to the task's process group (SIGTERM unless the task says).
    int stopSignal = 15;
    //! Merged: the task's stderr goes to its stdout (one stream, in write order).
    OutputMode outputMode = OutputMode::Separate;
    //! The task's stdin: /dev/null, stdinData then end of input, the file stdinFile, or a pipe
    //! fed through TaskProcess::writeStdin().
    StdinMode stdinMode = StdinMode::Null;
    QByteArray stdinData;
    QString stdinFile;
};

//! How one process ended, as the executor saw it (as Qt Creator's ProcessResultData).
struct ProcessEnd
{
    ProcessEndReason reason = ProcessEndReason::Exited;
    //! Exited: the exit code. Crashed: the signal number (0 if unknown). FailedToStart: -1.
    int exitCode = 0;
    //! FailedToStart only: what could not be set up.
    StartFailure startFailure = StartFailure::Other;
    //! Readable, for the `failed` event: why it crashed or failed to start ("crashed with signal
    //! 11 (Segmentation fault)"; a WorkingDirectory failure gives only the cause, "No such file
    //! or directory", the Broker names the directory). Empty for Exited.
    QString errorString;
    //! CPU time (user + system) and peak resident set (KiB) of the process and the children it
    //! waited for, as wait4() gives them; -1 where the executor cannot tell.
    qint64 cpuMs = -1;
    qint64 maxRssKb = -1;

    static ProcessEnd exited(int exitCode)
    {
        return { ProcessEndReason::Exited, exitCode, {}, {} };
    }
    static ProcessEnd crashed(int signal, const QString &errorString)
    {
        return { ProcessEndReason::Crashed, signal, StartFailure::Other, errorString };
    }
    static ProcessEnd failedToStart(StartFailure what, const QString &errorString)
    {
        return { ProcessEndReason::FailedToStart, -1, what, errorString };
    }
};

//! Receives what one TaskProcess reports. Calls come in the executor's thread (the Broker's).
class TaskProcessObserver
{
public:
    virtual ~TaskProcessObserver() = default;
    //! The process runs (not called when it fails to start).
    virtual void processStarted() = 0;
    //! A chunk of output as it arrived; it may end or start inside a line or a UTF-8 character.
    virtual void processOutput(OutputChannel channel, QByteArrayView chunk) = 0;
    //! As processOutput(), for bytes the observer may keep (share) instead of copying them.
    virtual void processOutputShared(OutputChannel channel, const QByteArray &chunk)
    {
        processOutput(channel, chunk);
    }
    //! Called exactly once per start(), after the last processOutput(). The observer may delete
    //! the TaskProcess only later (deleteLater), never from inside this call.
    virtual void processEnded(const ProcessEnd &end) = 0;
};

class TaskProcessBlockingInterface;

//! One attempt of one task on some executor. Not a QObject of its own, so executors may pool.
//! The base class owns the observer and the "ends exactly once" rule (as KJob::finishJob): a
//! subclass reports through reportStarted(), reportOutput() and reportEnded(), and whatever it
//! reports after the end, or after detachObserver(), reaches nobody.
class TASKCONDUCTOR_EXPORT TaskProcess
{
public:
    //! \a observer outlives the process, or is detached before it goes.
    explicit TaskProcess(TaskProcessObserver *observer);
    virtual ~TaskProcess();
    TaskProcess(const TaskProcess &) = delete;
    TaskProcess &operator=(const TaskProcess &) = delete;

    //! Called once, first. Launches; reportStarted() or reportEnded() follow, possibly before
    //! start() returns.
    virtual void start(const LaunchRequest &request) = 0;
    //! Called after start(), before the end: asks the task, with all it spawned, to stop
    //! (SIGTERM to its process group).
    virtual void terminate() = 0;
    //! As terminate(), but ends the task, with all it spawned, now (SIGKILL to its group).
    virtual void kill() = 0;
    //! OS process id of the task's main process (0 before it runs, or if not local).
    virtual qint64 processId() const { return 0; }
    //! StdinMode::Open, after start(), before the end: queues \a bytes for the task's stdin.
    //! Default: drops them (an executor without live stdin refuses such tasks at enqueue).
    virtual void writeStdin(QByteArrayView bytes) { Q_UNUSED(bytes) }
    //! Bytes given to writeStdin() that the task has not taken yet (for back-pressure).
    virtual qint64 stdinBytesPending() const { return 0; }
    //! StdinMode::Open: the task's stdin ends once the pending bytes are written.
    virtual void closeStdin() { }
    //! The optional blocking part (see TaskProcessBlockingInterface); none by default.
    virtual TaskProcessBlockingInterface *blockingInterface() { return nullptr; }

    //! Whether the process has reported its end.
    bool hasEnded() const { return m_ended; }
    //! The observer is going away: nothing more is reported to it; the process goes on.
    void detachObserver() { m_observer = nullptr; }

protected:
    //! The process runs. Dropped after the end.
    void reportStarted();
    //! A chunk of output. Dropped after the end.
    void reportOutput(OutputChannel channel, QByteArrayView chunk);
    //! As above, for bytes the observer may share (processOutputShared()): no copy of a read.
    void reportOutput(OutputChannel channel, const QByteArray &chunk);
    //! The end: the first call reaches the observer, every later call is ignored.
    void reportEnded(const ProcessEnd &end);

private:
    TaskProcessObserver *m_observer;
    bool m_ended = false;
};

//! What a TaskProcess may offer for blocking, used in one place only: the Broker's destructor,
//! which must not return while processes it started still run (as QProcess's destructor). A
//! process without it is killed there (kill()) and deleted without waiting.
class TASKCONDUCTOR_EXPORT TaskProcessBlockingInterface
{
public:
    virtual ~TaskProcessBlockingInterface();
    //! Called after terminate(), with the observer detached: waits at most \a graceMsecs for the
    //! process to end, then ends it and all it spawned (as kill()) and waits until it has.
    virtual void reap(int graceMsecs) = 0;
};

//! One Broker's use of an Executor: from the Broker's constructor to the end of its destructor.
//! Lives in the Broker's thread.
class TASKCONDUCTOR_EXPORT ExecutorSession
{
public:
    virtual ~ExecutorSession();
    //! A new, unstarted process reporting to \a observer.
    virtual std::unique_ptr<TaskProcess> createProcess(TaskProcessObserver *observer) = 0;
    //! Called at enqueue: why this session cannot run \a task as asked, naming the control
    //! (e.g. "the Slurm executor cannot give a task standard input (stdin)"), or an empty
    //! string. A task refused here ends with one terminal internalError. Default: runs any.
    virtual QString unsupportedControls(const TaskDescriptor &task) const;
    //! Called once, by the Broker's destructor, after every process of this session was reaped
    //! or killed: clean up what they may have left behind. Default: nothing.
    virtual void shutdown();
    //! Whether one more process may start now, with \a running (at least 1) of this session's
    //! running: false holds the start back until one ends. The Broker asks only while its slots
    //! allow one more, never with none running (a task that cannot fit even alone then fails
    //! to start instead of waiting forever). Default: true.
    virtual bool canStartAnother(int running);
    //! What lets a later host find this session's processes on this machine once this host
    //! is gone; a Broker on a TaskStore records it before it starts anything. Empty (the
    //! default): nothing to find.
    virtual QByteArray identity() const;
    //! Called by a Broker on a TaskStore before it resumes anything, with the identity() an
    //! earlier host recorded there: ends whatever that session's processes left running and
    //! returns once it is gone, or after a bounded wait. Default: nothing.
    virtual void endLeftovers(const QByteArray &previousIdentity);
    //! Called by the Broker right after openSession(): where notice() goes (a non-terminal
    //! internalError of task 0, i.e. the logs and the host's signals).
    void setNoticeHandler(std::function<void(const QString &)> handler)
    {
        m_notice = std::move(handler);
    }

protected:
    //! Reports something of no one task ("waiting for allocation 12 (Resources)").
    void notice(const QString &message) const
    {
        if (m_notice)
            m_notice(message);
    }

private:
    std::function<void(const QString &)> m_notice;
};

//! Launches TaskProcesses. The seam between the Broker's scheduling and where processes run
//! (this machine: LocalExecutor; a cluster: SlurmExecutor). One executor may serve several
//! Brokers, each through its own session.
class TASKCONDUCTOR_EXPORT Executor
{
public:
    virtual ~Executor();
    //! Called once by each Broker that uses this executor, in its constructor; the Broker keeps
    //! the session to the end of its destructor. Default: a session whose processes come from
    //! createProcess() and whose shutdown() does nothing.
    virtual std::unique_ptr<ExecutorSession> openSession(const BrokerConfig &config);
    //! A new, unstarted process reporting to \a observer, outside any session.
    virtual std::unique_ptr<TaskProcess> createProcess(TaskProcessObserver *observer) = 0;
};

//! Runs each attempt in a QProcess on this machine, as the leader of its own process group, so
//! that terminate() and kill() reach every process the task spawned (unless it left the group).
//! In a Broker's session it also marks every child (TASKCONDUCTOR_BROKER) and kills, at each
//! task's end and at the Broker's, whatever still carries the mark; it makes the host a child
//! subreaper if BrokerConfig::childSubreaper asks, and runs fewer tasks at once than BrokerConfig::
//! maxConcurrentTasks when the file descriptor limit leaves room for fewer (saying so once).
//! Tasks do not outlive the host: each child gets the parent-death signal SIGKILL from the
//! thread that starts it (the Broker's), and a guardian process kills every task's process
//! group and marked process when the host dies. Linux.
class TASKCONDUCTOR_EXPORT LocalExecutor : public Executor
{
public:
    std::unique_ptr<ExecutorSession> openSession(const BrokerConfig &config) override;
    //! Outside a Broker's session the child carries no mark: only its group is killed at its end.
    std::unique_ptr<TaskProcess> createProcess(TaskProcessObserver *observer) override;
};

} // namespace TaskConductor
