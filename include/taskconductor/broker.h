// SPDX-License-Identifier: MIT
#pragma once

#include <taskconductor/brokerconfig.h>
#include <taskconductor/taskconductor_export.h>
#include <taskconductor/taskdescriptor.h>
#include <taskconductor/taskevent.h>
#include <taskconductor/taskmetrics.h>
#include <taskconductor/types.h>

#include <QtCore/qobject.h>
#include <QtCore/qpointer.h>

#include <functional>
#include <memory>
#include <type_traits>

namespace TaskConductor {

class BrokerPrivate;

//! The callable that receives every event of one enqueue, and nothing else.
using TaskEventHandler = std::function<void(const TaskEvent &event)>;

//! Runs tasks as processes, at most BrokerConfig::maxConcurrentTasks at once, the rest waiting
//! in a queue of at most BrokerConfig::maxQueueDepth, and reports what happens. Pending tasks
//! start by priority, then FIFO; a task whose lane is at its cap (BrokerConfig::laneLimits) or
//! paused waits without holding back other lanes; a task with dependencies is Blocked until
//! they all finish.
//!
//! Contracts:
//! - Every enqueue gets exactly one terminal event (TaskEvent::isTerminal()), on every path.
//! - An enqueue's events go to its own handler only, retries included, and then to the signals.
//! - Handlers and signals run in the Broker's thread; enqueue() and cancel() may be called from
//!   any thread and from inside a handler.
//! - Destroying the Broker stops every task's process group (SIGTERM, then SIGKILL after at most
//!   killGraceSeconds), reaps it, and delivers `canceled` to the handlers of unfinished tasks;
//!   signals are not emitted during destruction.
class TASKCONDUCTOR_EXPORT Broker : public QObject
{
    Q_OBJECT
    Q_PROPERTY(int runningCount READ runningCount NOTIFY countsChanged)
    Q_PROPERTY(int pendingCount READ pendingCount NOTIFY countsChanged)
    Q_PROPERTY(int retryWaitingCount READ retryWaitingCount NOTIFY countsChanged)
    Q_PROPERTY(int blockedCount READ blockedCount NOTIFY countsChanged)
    Q_PROPERTY(bool idle READ isIdle NOTIFY countsChanged)
    Q_PROPERTY(bool paused READ isPaused NOTIFY pausedChanged)

public:
    explicit Broker(const BrokerConfig &config = BrokerConfig(), QObject *parent = nullptr);
    ~Broker() override;

    BrokerConfig config() const;

    //! Queues \a task; its events go to \a handler. Returns the new task's id.
    //! Called in the Broker's thread, a rejection (queue full, empty command) is delivered as one
    //! terminal internalError before enqueue() returns; a task that fits may start at once.
    //! From another thread, the task is handed to the Broker's thread and the id returned at once.
    TaskId enqueue(const TaskDescriptor &task, TaskEventHandler handler = {});

    //! As enqueue(task, handler), with \a handler called in \a context's thread, and not at all
    //! once \a context is destroyed (as with QObject::connect()).
    template<typename Functor>
    TaskId enqueue(const TaskDescriptor &task, const QObject *context, Functor &&handler)
    {
        return enqueueWithContext(task, context, TaskEventHandler(std::forward<Functor>(handler)));
    }

    //! Cancels task \a id. Of a pending task or one waiting to retry: `canceled` before cancel()
    //! returns. Of a running one: its process group is stopped (SIGTERM, then SIGKILL after the
    //! grace period) and `canceled` follows. Of an unknown, finished or already stopping task: a
    //! non-terminal internalError to \a errorHandler (if given), and nothing else.
    //! Returns whether the task will end as canceled. From another thread: returns true and
    //! hands the request to the Broker's thread.
    bool cancel(TaskId id, TaskEventHandler errorHandler = {});

    //! Cancels every pending, blocked, waiting and running task.
    void cancelAll();
    //! As cancelAll(), and every running or stopping task's process group gets SIGKILL now
    //! instead of at the end of its grace period; each task's terminal event follows as usual.
    void killAll();

    //! Starts no task until resume(): running ones go on, pending ones wait, and so does a retry
    //! whose delay elapses. Enqueue and cancel work as always.
    Q_INVOKABLE void pause();
    //! Starts tasks again after pause() or drain().
    Q_INVOKABLE void resume();
    bool isPaused() const;
    //! As pause()/resume() for the tasks of lane \a lane only ("" is the default lane).
    Q_INVOKABLE void pauseLane(const QString &lane);
    Q_INVOKABLE void resumeLane(const QString &lane);
    bool isLanePaused(const QString &lane) const;
    //! pause(), then drained() once nothing runs (before drain() returns if nothing runs now).
    Q_INVOKABLE void drain();

    //! Tasks whose process is starting, running or stopping.
    int runningCount() const;
    //! Tasks waiting in the queue for a slot.
    int pendingCount() const;
    //! Tasks waiting for their dependencies to finish (state Blocked; not in pendingCount()).
    int blockedCount() const;
    //! Tasks waiting for their retry delay (holding no slot).
    int retryWaitingCount() const;
    //! No task pending, blocked, running or waiting to retry.
    bool isIdle() const;
    //! The state of task \a id; Done for finished and unknown ids.
    TaskState state(TaskId id) const;

    //! Queues \a bytes for the stdin of running task \a id (StdinMode::Open), in order. Refused
    //! (BufferFull), nothing queued, when what the task has not read yet plus \a bytes would
    //! pass BrokerConfig::maxStdinBufferBytes; NotOpen when the task is not running, has no open
    //! stdin, or it was closed. Each attempt has a stdin of its own. In the Broker's thread only.
    StdinWriteResult writeStdin(TaskId id, QByteArrayView bytes);
    //! Ends task \a id's stdin once what is queued is written. False when it was not open.
    //! In the Broker's thread only.
    bool closeStdin(TaskId id);

    //! Totals since construction and the percentiles of the last tasks (BrokerStatistics). Any
    //! thread.
    BrokerStatistics statistics() const;

Q_SIGNALS:
    // Every event of every task, after the enqueue's own handler.
    void eventOccurred(const TaskConductor::TaskEvent &event);
    void started(TaskConductor::TaskId id, const QStringList &command,
                 const QString &workingDirectory);
    void stdoutLine(TaskConductor::TaskId id, const QString &line);
    void stderrLine(TaskConductor::TaskId id, const QString &line);
    void finished(TaskConductor::TaskId id, int exitCode, qint64 durationMs);
    void failed(TaskConductor::TaskId id, int exitCode, qint64 durationMs, const QString &message);
    void canceled(TaskConductor::TaskId id, qint64 durationMs);
    void timedOut(TaskConductor::TaskId id, qint64 durationMs);
    void retrying(TaskConductor::TaskId id, int attempt, int exitCode, qint64 delayMs);
    void internalError(TaskConductor::TaskId id, const QString &message);
    //! runningCount, pendingCount, blockedCount or retryWaitingCount changed.
    void countsChanged();
    //! pause(), drain() or resume() changed isPaused().
    void pausedChanged(bool paused);
    //! After drain(): nothing runs any more (the queue stays paused). Once per drain().
    void drained();
    //! The last task ended: nothing is pending, running or waiting to retry.
    void idle();

protected:
    // Signals are emitted only once something was connected: per output line, two emits to
    // nobody cost a fifth of the line's time (callgrind, bench_host).
    void connectNotify(const QMetaMethod &signal) override;

private:
    TaskId enqueueWithContext(const TaskDescriptor &task, const QObject *context,
                              TaskEventHandler handler);

    std::unique_ptr<BrokerPrivate> d;
    friend class BrokerPrivate;
};

} // namespace TaskConductor
