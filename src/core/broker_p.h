// SPDX-License-Identifier: MIT
#pragma once

#include "brokerstatistics.h"
#include "lanequeues.h"
#include "pendingqueue.h"
#include "resolvedtask.h"
#include "taskrunhost.h"

#include <taskconductor/broker.h>
#include <taskconductor/executor.h>
#include <taskconductor/taskstore.h>

#include <QtCore/qhash.h>

#include <algorithm>
#include <atomic>
#include <deque>

namespace TaskConductor {

class LogDispatcher;
class StoreRecorder;
class TaskRun;
class BrokerPrivate;

//! Lets a frame that calls out (to a handler, a signal, or a launch that may call one) learn
//! that the Broker was destroyed meanwhile: ~BrokerPrivate sets the innermost guard's flag,
//! and each guard passes it on to the one outside it.
class DestructionGuard
{
public:
    explicit DestructionGuard(BrokerPrivate *d);
    ~DestructionGuard();
    bool destroyed() const { return m_destroyed; }

private:
    friend class BrokerPrivate;
    BrokerPrivate *m_d;
    bool *m_outer;
    bool m_destroyed = false;
};

class BrokerPrivate final : public TaskRunHost
{
public:
    BrokerPrivate(Broker *q, const BrokerConfig &config);
    ~BrokerPrivate() override;

    // Entry points, in the Broker's thread.
    //! An enqueue; \a recovered (a stored task resumed) is never refused for queue depth: it
    //! was accepted once, and its lower id puts it ahead of the tasks enqueued since.
    void enqueueInThread(TaskId id, TaskDescriptor task, TaskEventHandler handler,
                         bool recovered = false);
    bool cancelInThread(TaskId id, const TaskEventHandler &errorHandler);
    void cancelAllInThread();

    // TaskRunHost
    void publish(const TaskEventHandler &handler, const TaskEvent &event) override;
    void runStateChanged(TaskRun *run, TaskState from, TaskState to) override; // keeps the counts
    void runWantsSlot(TaskRun *run) override; // retry delay elapsed
    void runFreedSlot() override;
    void runEnded(TaskRun *run) override; // terminal event delivered: forget it, reschedule
    double nextRandom() override;
    std::unique_ptr<TaskProcess> createProcess(TaskProcessObserver *observer) override;
    void rawOutput(TaskId id, int attempt, OutputChannel channel, QByteArrayView chunk) override;

    void schedule();
    void shutdown();
    TaskState stateOf(TaskId id) const;
    void reportNotice(const QString &message); // a non-terminal internalError, task id 0
    void recoverStoredTasks(const QList<StoredTask> &tasks);
    void setPaused(bool paused);
    void setLanePaused(const QString &lane, bool paused);
    void drainInThread();

    Broker *const q;
    const BrokerConfig config;
    const TaskDefaults defaults;
    // The session is closed before the executor it came from may go.
    const std::shared_ptr<Executor> executor;
    const std::unique_ptr<ExecutorSession> session;

    std::unique_ptr<StoreRecorder> recorder;
    std::unique_ptr<LogDispatcher> logging;
    StatisticsCollector statistics; // every terminal event, for Broker::statistics()

    std::atomic<TaskId> nextId { 1 };
    // Pending and blocked tasks (descriptor and handler), by id; the start order is in lanes.
    PendingQueue pending;
    LaneQueues lanes;
    struct BlockedTask
    {
        int unmet = 0; // dependencies not finished yet
        int lane = 0;
        int priority = 0;
    };
    QHash<TaskId, BlockedTask> blocked;
    QHash<TaskId, QList<TaskId>> dependents; // a live task -> blocked tasks waiting for it
    // How each ended task ended (1 + Outcome; 0: not ended or unknown), one byte per id from
    // outcomeBase on: dependencies on ended tasks are decided at enqueue. Older ids (resumed
    // from the store) in olderOutcomes, else asked of the store.
    std::vector<quint8> outcomes;
    TaskId outcomeBase = 1;
    QHash<TaskId, Outcome> olderOutcomes;
    std::deque<std::pair<TaskId, Outcome>> cascade; // ended dependencies still to cascade
    bool cascading = false;
    bool paused = false;
    bool draining = false;
    QHash<TaskId, TaskRun *> runs; // launched and not done
    std::deque<TaskRun *> readyRetries; // retry delay elapsed, waiting for a slot

    // Mirrors for the const getters, readable from any thread.
    std::atomic<int> pendingCount { 0 };
    std::atomic<int> blockedCount { 0 };
    std::atomic<bool> pausedMirror { false };
    std::atomic<int> runningCount { 0 };
    std::atomic<int> retryWaitingCount { 0 };

    // Which event signals have been connected (connectNotify(), any thread): bit 1 << kind for
    // each kind's own signal, EventOccurredBit for eventOccurred(). Only those are emitted; a
    // host that connects idle() alone must not pay two emissions per output line.
    static constexpr quint32 EventOccurredBit = 1u << 31;
    static constexpr quint32 bitFor(EventKind kind) { return 1u << int(kind); }
    std::atomic<quint32> connectedSignals { 0 };

    int heldBackSlots = 0; // free slots the session would not fill (canStartAnother())
    bool scheduling = false;
    bool scheduleAgain = false;
    bool destroying = false;
    bool *destroyedFlag = nullptr; // innermost DestructionGuard's flag; see below

    // Dependencies (broker.cpp).
    void taskEnded(TaskId id, Outcome how); // from publish(), before anyone sees the event
    void dependencyEnded(TaskId id, Outcome how); // from publish(), after everyone saw it
    std::optional<Outcome> outcomeOf(TaskId id);
    bool isWaiting(TaskId id) const; // pending, blocked or launched and not ended

private:
    bool isIdleNow() const;
    void checkDrained();
    void countsChanged();
    void reject(TaskId id, const TaskEventHandler &handler, const QString &message);
    void emitSignals(const TaskEvent &event, quint32 connected, const bool &destroyed);
};

// A task canceled before it left the queue (pending or blocked): its queueMs is the time it
// waited there.
inline TaskEvent canceledInQueue(const PendingQueue::Entry &entry, const QString &message = {})
{
    TaskMetrics metrics;
    metrics.queueMs = std::max<qint64>(0, monotonicMs() - entry.enqueuedAtMs);
    return TaskEvent::canceled(entry.id, 0, 0, message).withMetrics(metrics);
}

} // namespace TaskConductor
