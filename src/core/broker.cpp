// SPDX-License-Identifier: MIT
#include "broker_p.h"
#include "logdispatcher.h"
#include "storerecorder.h"
#include "taskrun.h"

#include <QtCore/qelapsedtimer.h>
#include <QtCore/qrandom.h>
#include <QtCore/qthread.h>

#include <algorithm>

Q_LOGGING_CATEGORY(lcBroker, "taskconductor.broker", QtWarningMsg)

namespace TaskConductor {

/*!
    \class TaskConductor::Broker
    The Broker schedules: it owns the pending queue and the concurrency slots, hands a slot to a
    TaskRun, and routes each event to the enqueue's own handler, then to the signals. What happens
    inside one task (attempts, timers, line splitting, the stop sequence) is TaskRun's job, from
    a ResolvedTask and through TaskRunHost; how a process is launched, and what it may leave
    behind, is the Executor's (one ExecutorSession per Broker). The scheduling loop (queue, lanes,
    slots, pause): brokerscheduling.cpp; dependencies: brokerdependencies.cpp; publishing:
    brokerpublish.cpp.

    Re-entrancy: a handler may call enqueue() or cancel(), so the Broker never holds an iterator
    or a reference into its containers across publish(), and schedule() runs as a loop that a
    nested call only asks to go round once more.
*/

static std::shared_ptr<Executor> executorOf(const BrokerConfig &config)
{
    return config.executor ? config.executor : std::make_shared<LocalExecutor>();
}

BrokerPrivate::BrokerPrivate(Broker *qq, const BrokerConfig &cfg)
    : q(qq)
    , config(cfg)
    , defaults(cfg)
    , executor(executorOf(cfg))
    , session(executor->openSession(cfg))
{
    auto report = [this](const QString &message) { reportNotice(message); };
    session->setNoticeHandler(report);
    logging = std::make_unique<LogDispatcher>(config, report, q);
    recorder = std::make_unique<StoreRecorder>(config.store, report, q);
    for (auto it = config.laneLimits.cbegin(); it != config.laneLimits.cend(); ++it)
        lanes.setLimit(lanes.laneIndex(it.key()), it.value());
    if (recorder->isActive()) {
        recorder->takeOverFrom(*session);
        // Ids go on after the stored ones, so history and logs never mix two tasks' records.
        nextId = recorder->highestTaskId() + 1;
        outcomeBase = nextId;
        // Read now, resumed at the first event-loop turn (the host connects its signals first):
        // tasks enqueued meanwhile are recorded too, and must not be taken for unfinished ones.
        QMetaObject::invokeMethod(
                q, [this, tasks = recorder->unfinishedTasks()] { recoverStoredTasks(tasks); },
                Qt::QueuedConnection);
    }
}

BrokerPrivate::~BrokerPrivate()
{
    if (destroyedFlag)
        *destroyedFlag = true;
}

void BrokerPrivate::recoverStoredTasks(const QList<StoredTask> &tasks)
{
    DestructionGuard guard(this); // a signal receiver may destroy the Broker meanwhile
    for (const StoredTask &task : tasks) {
        if (guard.destroyed())
            return;
        if (task.state != TaskState::Pending
            && config.recoveryPolicy == RecoveryPolicy::MarkFailed) {
            publish({},
                    TaskEvent::failed(task.id, task.attempts, -1, 0,
                                      QStringLiteral("interrupted: the host stopped while the "
                                                     "task ran (recovery policy MarkFailed)")));
            continue;
        }
        enqueueInThread(task.id, task.descriptor, {}, true);
    }
}

void BrokerPrivate::reject(TaskId id, const TaskEventHandler &handler, const QString &message)
{
    publish(handler, TaskEvent::internalError(id, 0, message, true));
}

void BrokerPrivate::countsChanged()
{
    if (!destroying)
        Q_EMIT q->countsChanged();
}

double BrokerPrivate::nextRandom()
{
    if (config.randomSource)
        return config.randomSource();
    return QRandomGenerator::global()->generateDouble();
}

void BrokerPrivate::rawOutput(TaskId id, int attempt, OutputChannel channel, QByteArrayView chunk)
{
    if (config.rawOutputHandler)
        config.rawOutputHandler(id, attempt, channel, chunk);
}

std::unique_ptr<TaskProcess> BrokerPrivate::createProcess(TaskProcessObserver *observer)
{
    return session->createProcess(observer);
}

TaskState BrokerPrivate::stateOf(TaskId id) const
{
    if (const TaskRun *run = runs.value(id))
        return run->state();
    if (blocked.contains(id))
        return TaskState::Blocked;
    if (pending.contains(id))
        return TaskState::Pending;
    return TaskState::Done;
}

void BrokerPrivate::shutdown()
{
    destroying = true;
    const bool insideHandler = destroyedFlag != nullptr;
    // Every process group gets SIGTERM at once, then they share one grace period.
    const QList<TaskRun *> launched = runs.values();
    // A run already Done is being destroyed from its own terminal event's handler or log sink:
    // it has had its one terminal event.
    QList<bool> ended;
    for (TaskRun *run : launched)
        ended.append(run->state() == TaskState::Done);
    for (TaskRun *run : launched) {
        run->detach();
        run->beginShutdown();
    }
    QElapsedTimer grace;
    grace.start();
    for (TaskRun *run : launched)
        run->finishShutdown(int(std::max<qint64>(0, defaults.killGraceMs() - grace.elapsed())));

    // Handlers still get their one terminal event; signals are not emitted any more.
    for (qsizetype i = 0; i < launched.size(); ++i) {
        TaskRun *run = launched.at(i);
        if (!ended.at(i))
            publish(run->handler(),
                    TaskEvent::canceled(run->id(), run->attempt(), run->elapsedMs())
                            .withMetrics(run->metrics()));
        if (insideHandler) {
            run->setParent(nullptr);
            run->deleteLater(); // the run may be on the stack below us
        } else {
            delete run;
        }
    }
    runs.clear();
    readyRetries.clear();
    session->shutdown(); // e.g. LocalExecutor's sweep for what escaped the process groups
    // Pending and blocked tasks alike, in id order (no cascade: everything ends here).
    blocked.clear();
    dependents.clear();
    while (!pending.isEmpty()) {
        PendingQueue::Entry entry = pending.takeFirst();
        publish(entry.handler, canceledInQueue(entry));
    }
}

// ---------------------------------------------------------------------------------------------

Broker::Broker(const BrokerConfig &config, QObject *parent)
    : QObject(parent)
    , d(std::make_unique<BrokerPrivate>(this, config))
{
    qRegisterMetaType<TaskEvent>();
    qRegisterMetaType<TaskId>("TaskConductor::TaskId");
}

Broker::~Broker()
{
    d->shutdown();
}

BrokerConfig Broker::config() const
{
    return d->config;
}

TaskId Broker::enqueue(const TaskDescriptor &task, TaskEventHandler handler)
{
    const TaskId id = d->nextId.fetch_add(1, std::memory_order_relaxed);
    if (QThread::currentThread() == thread()) {
        d->enqueueInThread(id, task, std::move(handler));
    } else {
        QMetaObject::invokeMethod(
                this,
                [this, id, task, handler = std::move(handler)]() mutable {
                    d->enqueueInThread(id, std::move(task), std::move(handler));
                },
                Qt::QueuedConnection);
    }
    return id;
}

TaskId Broker::enqueueWithContext(const TaskDescriptor &task, const QObject *context,
                                  TaskEventHandler handler)
{
    QPointer<QObject> guard(const_cast<QObject *>(context));
    return enqueue(task, [guard, handler = std::move(handler)](const TaskEvent &event) {
        QObject *receiver = guard.data();
        if (!receiver)
            return;
        if (receiver->thread() == QThread::currentThread())
            handler(event);
        else
            QMetaObject::invokeMethod(
                    receiver, [handler, event] { handler(event); }, Qt::QueuedConnection);
    });
}

bool Broker::cancel(TaskId id, TaskEventHandler errorHandler)
{
    if (QThread::currentThread() == thread())
        return d->cancelInThread(id, errorHandler);
    QMetaObject::invokeMethod(
            this,
            [this, id, errorHandler = std::move(errorHandler)] {
                d->cancelInThread(id, errorHandler);
            },
            Qt::QueuedConnection);
    return true;
}

void Broker::cancelAll()
{
    if (QThread::currentThread() == thread())
        d->cancelAllInThread();
    else
        QMetaObject::invokeMethod(
                this, [this] { d->cancelAllInThread(); }, Qt::QueuedConnection);
}

void Broker::killAll()
{
    if (QThread::currentThread() != thread()) {
        QMetaObject::invokeMethod(this, &Broker::killAll, Qt::QueuedConnection);
        return;
    }
    d->cancelAllInThread();
    const QList<TaskId> ids = d->runs.keys();
    for (TaskId id : ids) {
        if (TaskRun *run = d->runs.value(id)) // a kill may end a run at once
            run->killNow();
    }
}

void Broker::pause()
{
    if (QThread::currentThread() == thread())
        d->setPaused(true);
    else
        QMetaObject::invokeMethod(
                this, [this] { d->setPaused(true); }, Qt::QueuedConnection);
}

void Broker::resume()
{
    if (QThread::currentThread() == thread())
        d->setPaused(false);
    else
        QMetaObject::invokeMethod(
                this, [this] { d->setPaused(false); }, Qt::QueuedConnection);
}

bool Broker::isPaused() const
{
    return d->pausedMirror;
}

void Broker::pauseLane(const QString &lane)
{
    if (QThread::currentThread() == thread())
        d->setLanePaused(lane, true);
    else
        QMetaObject::invokeMethod(
                this, [this, lane] { d->setLanePaused(lane, true); }, Qt::QueuedConnection);
}

void Broker::resumeLane(const QString &lane)
{
    if (QThread::currentThread() == thread())
        d->setLanePaused(lane, false);
    else
        QMetaObject::invokeMethod(
                this, [this, lane] { d->setLanePaused(lane, false); }, Qt::QueuedConnection);
}

bool Broker::isLanePaused(const QString &lane) const
{
    // Broker's thread only: lanes are not mirrored.
    const int index = d->lanes.findLane(lane);
    return index >= 0 && d->lanes.isPaused(index);
}

void Broker::drain()
{
    if (QThread::currentThread() == thread())
        d->drainInThread();
    else
        QMetaObject::invokeMethod(
                this, [this] { d->drainInThread(); }, Qt::QueuedConnection);
}

int Broker::blockedCount() const
{
    return d->blockedCount;
}

int Broker::runningCount() const
{
    return d->runningCount;
}

int Broker::pendingCount() const
{
    return d->pendingCount;
}

int Broker::retryWaitingCount() const
{
    return d->retryWaitingCount;
}

bool Broker::isIdle() const
{
    return d->pendingCount == 0 && d->blockedCount == 0 && d->runningCount == 0
            && d->retryWaitingCount == 0;
}

TaskState Broker::state(TaskId id) const
{
    return d->stateOf(id);
}

StdinWriteResult Broker::writeStdin(TaskId id, QByteArrayView bytes)
{
    Q_ASSERT_X(QThread::currentThread() == thread(), "Broker::writeStdin",
               "call it in the Broker's thread");
    TaskRun *run = d->runs.value(id);
    if (!run || QThread::currentThread() != thread())
        return StdinWriteResult::NotOpen;
    return run->writeStdin(bytes, std::max<qint64>(0, d->config.maxStdinBufferBytes));
}

bool Broker::closeStdin(TaskId id)
{
    Q_ASSERT_X(QThread::currentThread() == thread(), "Broker::closeStdin",
               "call it in the Broker's thread");
    TaskRun *run = d->runs.value(id);
    return run && QThread::currentThread() == thread() && run->closeStdin();
}

BrokerStatistics Broker::statistics() const
{
    return d->statistics.snapshot();
}

} // namespace TaskConductor
