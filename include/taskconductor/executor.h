// SPDX-License-Identifier: MIT
#pragma once

#include <taskconductor/taskconductor_export.h>
#include <taskconductor/types.h>

#include <QtCore/qbytearrayview.h>
#include <QtCore/qprocess.h>
#include <QtCore/qstringlist.h>

#include <memory>

namespace TaskConductor {

//! Everything an executor needs to launch one attempt of a task, already resolved by the Broker.
struct LaunchRequest
{
    QStringList command; //!< argv, never empty
    QString workingDirectory; //!< absolute or as given; never empty
    QProcessEnvironment environment; //!< the complete environment of the child
};

//! How one process ended, as the executor saw it.
struct ProcessEnd
{
    enum class Kind {
        Exited, //!< exitCode() is valid
        Crashed, //!< killed by a signal (including ours); exitCode is the signal number if known
        FailedToStart, //!< never ran; message says why
    };
    Kind kind = Kind::Exited;
    int exitCode = 0;
    QString message;
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
    //! Called exactly once per start(), after the last processOutput(). The observer may delete
    //! the TaskProcess only later (deleteLater), never from inside this call.
    virtual void processEnded(const ProcessEnd &end) = 0;
};

//! One attempt of one task on some executor. Not a QObject of its own, so executors may pool.
class TASKCONDUCTOR_EXPORT TaskProcess
{
public:
    virtual ~TaskProcess();
    //! Launches; processStarted() or processEnded() follow, possibly before start() returns.
    virtual void start(const LaunchRequest &request) = 0;
    //! Asks the task, with all it spawned, to stop (SIGTERM to its process group).
    virtual void terminate() = 0;
    //! Ends the task, with all it spawned, now (SIGKILL to its process group).
    virtual void kill() = 0;
    //! Blocking, for destruction only: waits at most \a graceMsecs for the process to end (after
    //! terminate()), then kills its group and reaps it. Reports nothing more to the observer.
    virtual void reap(int graceMsecs) = 0;
    //! OS process id of the task's main process (0 if not running or not local).
    virtual qint64 processId() const = 0;
};

//! Launches TaskProcesses. The seam between the Broker's scheduling and where processes run
//! (this machine: LocalExecutor; later, a cluster). Lives in the Broker's thread.
class TASKCONDUCTOR_EXPORT Executor
{
public:
    virtual ~Executor();
    //! A new, unstarted process reporting to \a observer, which outlives it.
    virtual std::unique_ptr<TaskProcess> createProcess(TaskProcessObserver *observer) = 0;
};

//! Runs each attempt in a QProcess on this machine, as the leader of its own process group, so
//! that terminate() and kill() reach every process the task spawned (unless it left the group).
class TASKCONDUCTOR_EXPORT LocalExecutor : public Executor
{
public:
    std::unique_ptr<TaskProcess> createProcess(TaskProcessObserver *observer) override;
};

} // namespace TaskConductor
