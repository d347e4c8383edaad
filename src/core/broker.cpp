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
    behind, is the Executor's (one ExecutorSession per Broker). Publishing: brokerpublish.cpp.

    Re-entrancy: a handler may call enqueue() or cancel(), so the Broker never holds an iterator
    or a reference into its containers across publish(), and schedule() runs as a loop that a
    nested call only asks to go round once more.
*/

// A task canceled before it left the queue (pending or blocked): its queueMs is the time it
// waited there.
static TaskEvent canceledInQueue(const PendingQueue::Entry &entry, const QString &message = {})
{
    TaskMetrics metrics;
    metrics.queueMs = std::max<qint64>(0, monotonicMs() - entry.enqueuedAtMs);
    return TaskEvent::canceled(entry.id, 0, 0, message).withMetrics(metrics);
}

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

void BrokerPrivate::enqueueInThread(TaskId id, TaskDescriptor task, TaskEventHandler handler,
                                    bool recovered)
{
    if (destroying)
        return reject(id, handler, QStringLiteral("the broker is shutting down"));
    if (task.command().isEmpty() || task.command().constFirst().isEmpty()) // first() detaches
        return reject(id, handler, QStringLiteral("invalid task: empty command"));
    if (const QString why = session->unsupportedControls(task); !why.isEmpty())
        return reject(id, handler, QStringLiteral("invalid task: %1").arg(why));
    const int free = std::max(1, config.maxConcurrentTasks) - runningCount;
    const int waiting = pendingCount + blockedCount;
    // Tasks that wait only because the executor holds slots back are not counted as queued.
    if (!recovered && waiting >= std::max(0, config.maxQueueDepth) + heldBackSlots
        && !(free > 0 && waiting == 0)) {
        return reject(id, handler,
                      QStringLiteral("queue full: %1 tasks pending (maxQueueDepth %2)")
                              .arg(waiting)
                              .arg(config.maxQueueDepth));
    }

    // Dependencies: an ended one is decided now, a live one makes the task wait for it.
    int unmet = 0;
    QString unsatisfied; // why the task cannot run
    const QList<TaskId> dependencies = task.dependencies();
    for (qsizetype i = 0; i < dependencies.size() && unsatisfied.isEmpty(); ++i) {
        const TaskId dependency = dependencies.at(i);
        if (dependencies.indexOf(dependency) < i)
            continue; // named twice: waits once
        if (dependency == 0 || dependency >= id) {
            unsatisfied = QStringLiteral("dependency %1 was not enqueued before task %2")
                                  .arg(dependency)
                                  .arg(id);
        } else if (const std::optional<Outcome> how = outcomeOf(dependency)) {
            if (*how != Outcome::Finished)
                unsatisfied = QStringLiteral("dependency %1 did not finish: it ended %2")
                                      .arg(dependency)
                                      .arg(TaskEvent::outcomeName(*how));
        } else if (isWaiting(dependency)) {
            ++unmet;
        } else {
            unsatisfied = QStringLiteral("dependency %1 is unknown").arg(dependency);
        }
    }

    recorder->taskAccepted(id, task);
    logging->taskAccepted(id, task);
    if (!unsatisfied.isEmpty())
        return publish(handler, TaskEvent::canceled(id, 0, 0, unsatisfied));

    const int lane = lanes.laneIndex(task.lane());
    const int priority = task.priority();
    pending.push(id, std::move(task), std::move(handler), monotonicMs());
    if (unmet > 0) {
        for (qsizetype i = 0; i < dependencies.size(); ++i) {
            const TaskId dependency = dependencies.at(i);
            if (dependencies.indexOf(dependency) == i && !outcomeOf(dependency))
                dependents[dependency].append(id);
        }
        blocked.insert(id, BlockedTask { unmet, lane, priority });
        ++blockedCount;
        countsChanged();
        return;
    }
    lanes.push(lane, priority, id);
    ++pendingCount;
    schedule();
}

bool BrokerPrivate::cancelInThread(TaskId id, const TaskEventHandler &errorHandler)
{
    if (TaskRun *run = runs.value(id)) {
        if (run->cancel())
            return true;
        publish(errorHandler,
                TaskEvent::internalError(
                        id, run->attempt(),
                        QStringLiteral("cancel: task %1 is already stopping").arg(id), false));
        return false;
    }
    if (std::optional<PendingQueue::Entry> entry = pending.takeEntry(id)) {
        if (blocked.remove(id))
            --blockedCount;
        else
            --pendingCount; // its id stays in its lane's bucket until it reaches the front
        countsChanged();
        DestructionGuard guard(this);
        publish(entry->handler, canceledInQueue(*entry));
        if (!guard.destroyed() && isIdleNow())
            Q_EMIT q->idle();
        return true;
    }
    publish(errorHandler,
            TaskEvent::internalError(
                    id, 0, QStringLiteral("cancel: no pending or running task %1").arg(id), false));
    return false;
}

void BrokerPrivate::cancelAllInThread()
{
    // Pending first, so that nothing starts in a slot that a canceled task frees (a handler
    // may enqueue more meanwhile: those are canceled too).
    while (const std::optional<TaskId> id = pending.firstId())
        cancelInThread(*id, {});
    const QList<TaskId> ids = runs.keys();
    for (TaskId id : ids) {
        if (TaskRun *run = runs.value(id))
            run->cancel();
    }
}

void BrokerPrivate::schedule()
{
    if (scheduling) {
        scheduleAgain = true;
        return;
    }
    scheduling = true;
    DestructionGuard guard(this); // a launch can end at once and call a handler
    do {
        scheduleAgain = false;
        const int slots = std::max(1, config.maxConcurrentTasks);
        heldBackSlots = 0;
        while (runningCount < slots && !destroying && !paused) {
            if (runningCount > 0 && (!readyRetries.empty() || pendingCount > 0)
                && !session->canStartAnother(runningCount)) {
                heldBackSlots = slots - runningCount; // e.g. out of file descriptors
                break; // the next end reschedules
            }
            TaskRun *run = nullptr;
            // Retries first, each as its lane allows (few wait at once: a scan is fine).
            const auto retry =
                    std::find_if(readyRetries.begin(), readyRetries.end(), [this](TaskRun *r) {
                        return lanes.canStart(lanes.laneIndex(r->lane()));
                    });
            if (retry != readyRetries.end()) {
                run = *retry;
                readyRetries.erase(retry);
            } else {
                const std::optional<TaskId> nextId =
                        lanes.takeNext([this](TaskId id) { return pending.contains(id); });
                if (!nextId)
                    break;
                PendingQueue::Entry next = *pending.takeEntry(*nextId);
                --pendingCount;
                // Resolved as it leaves the queue, not at enqueue: the defaults are fixed at
                // construction, so the result is the same, and a million pending tasks do not
                // each hold a resolved copy.
                ResolvedTask resolved = defaults.resolve(next.id, next.task);
                resolved.enqueuedAtMs = next.enqueuedAtMs;
                run = new TaskRun(this, std::move(resolved), std::move(next.handler), q);
                runs.insert(next.id, run);
            }
            run->launch(); // may end synchronously (start failure) and re-enter schedule()
            if (guard.destroyed())
                return;
        }
    } while (scheduleAgain);
    scheduling = false;
    countsChanged();
}

static bool holdsSlot(TaskState state)
{
    return state == TaskState::Running || state == TaskState::Stopping;
}

void BrokerPrivate::runStateChanged(TaskRun *run, TaskState from, TaskState to)
{
    const int slotDelta = int(holdsSlot(to)) - int(holdsSlot(from));
    runningCount += slotDelta;
    if (slotDelta != 0)
        lanes.slotChanged(lanes.laneIndex(run->lane()), slotDelta);
    retryWaitingCount += int(to == TaskState::RetryWait) - int(from == TaskState::RetryWait);
    if (slotDelta < 0)
        checkDrained();
}

void BrokerPrivate::runWantsSlot(TaskRun *run)
{
    readyRetries.push_back(run);
    schedule();
}

void BrokerPrivate::runFreedSlot()
{
    schedule();
}

void BrokerPrivate::runEnded(TaskRun *run)
{
    if (!runs.remove(run->id()))
        return;
    // A run canceled while its retry waited for a slot must not be launched later.
    readyRetries.erase(std::remove(readyRetries.begin(), readyRetries.end(), run),
                       readyRetries.end());
    run->deleteLater(); // we may be inside its process's signal
    schedule();
    countsChanged();
    if (isIdleNow())
        Q_EMIT q->idle();
}

bool BrokerPrivate::isIdleNow() const
{
    return !destroying && pendingCount == 0 && blockedCount == 0 && runningCount == 0
            && retryWaitingCount == 0 && runs.isEmpty();
}

void BrokerPrivate::setPaused(bool pause)
{
    if (!pause)
        draining = false;
    if (paused == pause)
        return;
    paused = pause;
    pausedMirror = pause;
    if (!destroying)
        Q_EMIT q->pausedChanged(pause);
    if (!pause)
        schedule();
}

void BrokerPrivate::setLanePaused(const QString &lane, bool pause)
{
    lanes.setPaused(lanes.laneIndex(lane), pause);
    if (!pause)
        schedule();
}

void BrokerPrivate::drainInThread()
{
    setPaused(true);
    draining = true;
    checkDrained();
}

void BrokerPrivate::checkDrained()
{
    if (!draining || runningCount > 0 || destroying)
        return;
    draining = false;
    Q_EMIT q->drained();
}

std::optional<Outcome> BrokerPrivate::outcomeOf(TaskId id)
{
    if (id >= outcomeBase) {
        const TaskId index = id - outcomeBase;
        if (index < outcomes.size() && outcomes[size_t(index)] != 0)
            return Outcome(outcomes[size_t(index)] - 1);
        return std::nullopt;
    }
    const auto it = olderOutcomes.constFind(id);
    if (it != olderOutcomes.cend())
        return *it;
    if (isWaiting(id))
        return std::nullopt;
    // Ended before this Broker opened the store (or never existed).
    return recorder->outcomeOf(id);
}

bool BrokerPrivate::isWaiting(TaskId id) const
{
    return pending.contains(id) || runs.contains(id);
}

void BrokerPrivate::taskEnded(TaskId id, Outcome how)
{
    if (id >= outcomeBase) {
        const size_t index = size_t(id - outcomeBase);
        if (index >= outcomes.size())
            outcomes.resize(std::max(index + 1, outcomes.size() * 2), 0);
        outcomes[index] = quint8(1 + int(how));
    } else {
        olderOutcomes.insert(id, how);
    }
}

void BrokerPrivate::dependencyEnded(TaskId id, Outcome how)
{
    if (how == Outcome::Finished) {
        const QList<TaskId> waiting = dependents.take(id);
        for (TaskId dependent : waiting) {
            const auto it = blocked.find(dependent);
            if (it == blocked.end() || --it->unmet > 0)
                continue; // canceled meanwhile, or still waiting for another
            lanes.push(it->lane, it->priority, dependent);
            blocked.erase(it);
            --blockedCount;
            ++pendingCount;
        }
        schedule();
        return;
    }
    // A worklist, not recursion: a chain of ten thousand cancels without deep stacks.
    cascade.emplace_back(id, how);
    if (cascading)
        return;
    cascading = true;
    DestructionGuard guard(this);
    while (!cascade.empty()) {
        const auto [dependency, ended] = cascade.front();
        cascade.pop_front();
        const QList<TaskId> waiting = dependents.take(dependency);
        for (TaskId dependent : waiting) {
            if (!blocked.remove(dependent))
                continue; // canceled meanwhile
            --blockedCount;
            std::optional<PendingQueue::Entry> entry = pending.takeEntry(dependent);
            Q_ASSERT(entry);
            // Its own ending comes back here through publish() and joins the worklist.
            publish(entry->handler,
                    canceledInQueue(*entry,
                                    QStringLiteral("dependency %1 did not finish: it ended %2")
                                            .arg(dependency)
                                            .arg(TaskEvent::outcomeName(ended))));
            if (guard.destroyed())
                return;
        }
    }
    cascading = false;
    countsChanged();
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
