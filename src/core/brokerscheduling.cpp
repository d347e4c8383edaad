// SPDX-License-Identifier: MIT
// The Broker's scheduling loop: enqueue, cancel, the pending queue and lanes, the slots, pause
// and drain.
#include "broker_p.h"
#include "logdispatcher.h"
#include "storerecorder.h"
#include "taskrun.h"

namespace TaskConductor {

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

} // namespace TaskConductor
