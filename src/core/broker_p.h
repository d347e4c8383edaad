// SPDX-License-Identifier: MIT
#pragma once

#include <taskconductor/broker.h>
#include <taskconductor/executor.h>
#include <taskconductor/taskstore.h>

#include <QtCore/qhash.h>
#include <QtCore/qloggingcategory.h>
#include <QtCore/qprocess.h>

#include <atomic>
#include <deque>

Q_DECLARE_LOGGING_CATEGORY(lcBroker)

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

class BrokerPrivate
{
public:
    BrokerPrivate(Broker *q, const BrokerConfig &config);
    ~BrokerPrivate();

    // Entry points, in the Broker's thread.
    void enqueueInThread(TaskId id, TaskDescriptor task, TaskEventHandler handler);
    bool cancelInThread(TaskId id, const TaskEventHandler &errorHandler);
    void cancelAllInThread();

    // Called by TaskRun.
    LaunchRequest resolveLaunch(TaskId id, const TaskDescriptor &task) const;
    qint64 resolveTimeoutMs(const TaskDescriptor &task) const;
    RetryPolicy resolveRetry(const TaskDescriptor &task) const;
    double nextRandom() const;
    std::unique_ptr<TaskProcess> createProcess(TaskProcessObserver *observer);
    void publish(const TaskEventHandler &handler, const TaskEvent &event);
    void runStateChanged(TaskState from, TaskState to); // keeps the counts
    void runWantsSlot(TaskRun *run); // retry delay elapsed
    void runEnded(TaskRun *run); // terminal event delivered: forget it, reschedule
    void schedule();

    void shutdown();
    TaskState stateOf(TaskId id) const;
    void reportNotice(const QString &message); // a non-terminal internalError, task id 0
    void recoverStoredTasks(const QList<StoredTask> &tasks);

    struct PendingTask
    {
        TaskId id;
        TaskDescriptor task;
        TaskEventHandler handler;
        bool live;
    };

    Broker *const q;
    const BrokerConfig config;
    std::shared_ptr<Executor> executor;
    QProcessEnvironment baseEnvironment;
    QString defaultWorkingDirectory;
    int killGraceMs = 0;
    const quint64 serial; // tells this broker's children from other brokers' (ProcessMarker)

    std::unique_ptr<StoreRecorder> recorder;
    std::unique_ptr<LogDispatcher> logging;

    std::atomic<TaskId> nextId { 1 };
    // FIFO by id; cancel() marks entries dead (binary search), the front skips them.
    std::deque<PendingTask> pending;
    qsizetype deadPending = 0;
    QHash<TaskId, TaskRun *> runs; // launched and not done
    std::deque<TaskRun *> readyRetries; // retry delay elapsed, waiting for a slot

    // Mirrors for the const getters, readable from any thread.
    std::atomic<int> pendingCount { 0 };
    std::atomic<int> runningCount { 0 };
    std::atomic<int> retryWaitingCount { 0 };

    // Which event signals have been connected (connectNotify(), any thread): bit 1 << kind for
    // each kind's own signal, EventOccurredBit for eventOccurred(). Only those are emitted; a
    // host that connects idle() alone must not pay two emissions per output line.
    static constexpr quint32 EventOccurredBit = 1u << 31;
    static constexpr quint32 bitFor(EventKind kind) { return 1u << int(kind); }
    std::atomic<quint32> connectedSignals { 0 };

    bool scheduling = false;
    bool scheduleAgain = false;
    bool destroying = false;
    bool *destroyedFlag = nullptr; // innermost DestructionGuard's flag; see below

private:
    bool isIdleNow() const;
    std::deque<PendingTask>::const_iterator lowerBoundPending(TaskId id) const;
    PendingTask *findPending(TaskId id);
    void compactPending();
    void countsChanged();
    void reject(TaskId id, const TaskEventHandler &handler, const QString &message);
};

} // namespace TaskConductor
