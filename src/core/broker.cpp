// SPDX-License-Identifier: MIT
#include "broker_p.h"
#include "fdbudget.h"
#include "logdispatcher.h"
#include "processmarker.h"
#include "storerecorder.h"
#include "taskrun.h"

#include <QtCore/qdir.h>
#include <QtCore/qelapsedtimer.h>
#include <QtCore/qmetaobject.h>
#include <QtCore/qrandom.h>
#include <QtCore/qthread.h>

#include <algorithm>
#include <exception>

Q_LOGGING_CATEGORY(lcBroker, "taskconductor.broker", QtWarningMsg)

namespace TaskConductor {

/*!
    \class TaskConductor::Broker
    The Broker schedules: it owns the pending queue and the concurrency slots, hands a slot to a
    TaskRun, and routes each event to the enqueue's own handler, then to the signals. What happens
    inside one task (attempts, timers, line splitting, the stop sequence) is TaskRun's job; how a
    process is launched is the Executor's.

    Re-entrancy: a handler may call enqueue() or cancel(), so the Broker never holds an iterator
    or a reference into its containers across publish(), and schedule() runs as a loop that a
    nested call only asks to go round once more.
*/

static quint64 nextBrokerSerial()
{
    static std::atomic<quint64> serial { 1 };
    return serial.fetch_add(1, std::memory_order_relaxed);
}

BrokerPrivate::BrokerPrivate(Broker *qq, const BrokerConfig &cfg)
    : q(qq)
    , config(cfg)
    , executor(cfg.executor)
    , serial(nextBrokerSerial())
{
    if (!executor)
        executor = std::make_shared<LocalExecutor>();
    baseEnvironment = QProcessEnvironment::systemEnvironment();
    for (auto it = config.defaultEnvironment.cbegin(); it != config.defaultEnvironment.cend(); ++it)
        baseEnvironment.insert(it.key(), it.value());
    defaultWorkingDirectory = config.defaultWorkingDirectory.isEmpty()
            ? QDir::currentPath()
            : config.defaultWorkingDirectory;
    killGraceMs = int(std::clamp(config.killGraceSeconds, 0.0, 24.0 * 3600) * 1000);
    if (config.childSubreaper && !ProcessMarker::becomeChildSubreaper())
        qCWarning(lcBroker, "could not make the host a child subreaper");
    const int fit = runningTasksThatFitFdLimit();
    if (fit >= 0 && fit < std::max(1, config.maxConcurrentTasks)) {
        // Found out late, this shows as start failures ("Too many open files") under load.
        qCWarning(lcBroker,
                  "maxConcurrentTasks %d does not fit the file descriptor limit: "
                  "RLIMIT_NOFILE leaves room for about %d running tasks (%d descriptors each)",
                  config.maxConcurrentTasks, fit, fileDescriptorsPerRunningTask);
    }

    auto report = [this](const QString &message) { reportNotice(message); };
    logging = std::make_unique<LogDispatcher>(config, report, q);
    recorder = std::make_unique<StoreRecorder>(config.store, report, q);
    if (recorder->isActive()) {
        // Ids go on after the stored ones, so history and logs never mix two tasks' records.
        nextId = recorder->highestTaskId() + 1;
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

DestructionGuard::DestructionGuard(BrokerPrivate *d)
    : m_d(d)
    , m_outer(std::exchange(d->destroyedFlag, &m_destroyed))
{ }

DestructionGuard::~DestructionGuard()
{
    if (m_destroyed) {
        if (m_outer)
            *m_outer = true;
    } else {
        m_d->destroyedFlag = m_outer;
    }
}

void BrokerPrivate::reportNotice(const QString &message)
{
    // Queued: a sink reports from inside publish(); the notice must not overtake that event,
    // and it must never recurse into the sink that is failing.
    QMetaObject::invokeMethod(
            q, [this, message] { publish({}, TaskEvent::internalError(0, 0, message, false)); },
            Qt::QueuedConnection);
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
        enqueueInThread(task.id, task.descriptor, {});
    }
}

void BrokerPrivate::publish(const TaskEventHandler &handler, const TaskEvent &event)
{
    // Recorded before anyone sees it; tasks canceled by the Broker's destruction stay unfinished
    // in the store, so that the next Broker on it resumes them.
    if (!destroying)
        recorder->record(event);
    DestructionGuard guard(this);
    const bool &destroyed = guard.m_destroyed;
    // Qt is not exception-safe: a throwing handler must not unwind through the event loop.
    auto guarded = [&](const auto &call) {
        try {
            call();
        } catch (const std::exception &e) {
            qCWarning(lcBroker, "task %llu: an event handler threw: %s", event.taskId(), e.what());
        } catch (...) {
            qCWarning(lcBroker, "task %llu: an event handler threw", event.taskId());
        }
    };
    if (handler)
        guarded([&] { handler(event); });
    if (!destroyed)
        logging->dispatch(event); // the logs, logLineHandler, extraLogHandler, the host's sinks
    if (destroyed || destroying) // a handler or a sink may have destroyed the Broker
        return;
    const quint32 connected = connectedSignals.load(std::memory_order_relaxed);
    if (connected == 0)
        return;
    const TaskId id = event.taskId();
    if (connected & EventOccurredBit) {
        Q_EMIT q->eventOccurred(event);
        if (destroyed)
            return;
    }
    if (!(connected & bitFor(event.kind())))
        return;
    switch (event.kind()) {
    case EventKind::Started:
        Q_EMIT q->started(id, event.command(), event.workingDirectory());
        break;
    case EventKind::Stdout:
        Q_EMIT q->stdoutLine(id, event.line());
        break;
    case EventKind::Stderr:
        Q_EMIT q->stderrLine(id, event.line());
        break;
    case EventKind::Finished:
        Q_EMIT q->finished(id, 0, event.durationMs());
        break;
    case EventKind::Failed:
        Q_EMIT q->failed(id, event.exitCode(), event.durationMs(), event.message());
        break;
    case EventKind::Canceled:
        Q_EMIT q->canceled(id, event.durationMs());
        break;
    case EventKind::Timeout:
        Q_EMIT q->timedOut(id, event.durationMs());
        break;
    case EventKind::Retrying:
        Q_EMIT q->retrying(id, event.attempt(), event.exitCode(), event.delayMs());
        break;
    case EventKind::InternalError:
        Q_EMIT q->internalError(id, event.message());
        break;
    }
}

void BrokerPrivate::reject(TaskId id, const TaskEventHandler &handler, const QString &message)
{
    publish(handler, TaskEvent::internalError(id, 0, message, true));
}

void BrokerPrivate::enqueueInThread(TaskId id, TaskDescriptor task, TaskEventHandler handler)
{
    if (destroying)
        return reject(id, handler, QStringLiteral("the broker is shutting down"));
    if (task.command().isEmpty() || task.command().first().isEmpty())
        return reject(id, handler, QStringLiteral("invalid task: empty command"));
    const int free = std::max(1, config.maxConcurrentTasks) - runningCount;
    if (pendingCount >= std::max(0, config.maxQueueDepth) && !(free > 0 && pendingCount == 0)) {
        return reject(id, handler,
                      QStringLiteral("queue full: %1 tasks pending (maxQueueDepth %2)")
                              .arg(pendingCount.load())
                              .arg(config.maxQueueDepth));
    }
    recorder->taskAccepted(id, task);
    logging->taskAccepted(id, task);
    // Ids come in call order; an enqueue handed over from another thread may arrive late and
    // is put where its id belongs, so the queue stays sorted for cancel()'s binary search.
    if (pending.empty() || pending.back().id < id) {
        pending.push_back({ id, std::move(task), std::move(handler), true });
    } else {
        auto at = std::upper_bound(pending.begin(), pending.end(), id,
                                   [](TaskId v, const PendingTask &p) { return v < p.id; });
        pending.insert(at, { id, std::move(task), std::move(handler), true });
    }
    ++pendingCount;
    schedule();
}

std::deque<BrokerPrivate::PendingTask>::const_iterator
BrokerPrivate::lowerBoundPending(TaskId id) const
{
    // Ids in the queue increase by at least one per entry, and usually by exactly one (dead
    // entries keep their place until compaction), so id sits at most id - front.id entries in,
    // and usually right there. The direct probe keeps cancel() flat at a million pending tasks,
    // where a full binary search pays a cache miss per step.
    const auto byId = [](const PendingTask &p, TaskId v) { return p.id < v; };
    if (pending.empty() || id <= pending.front().id)
        return pending.begin();
    const TaskId offset = id - pending.front().id;
    if (offset >= pending.size())
        return std::lower_bound(pending.begin(), pending.end(), id, byId);
    const auto guess = pending.begin() + qsizetype(offset);
    if (guess->id == id)
        return guess;
    return std::lower_bound(pending.begin(), guess, id, byId);
}

BrokerPrivate::PendingTask *BrokerPrivate::findPending(TaskId id)
{
    const auto it = lowerBoundPending(id);
    if (it == pending.end() || it->id != id || !it->live)
        return nullptr;
    return const_cast<PendingTask *>(&*it);
}

void BrokerPrivate::compactPending()
{
    // Dead entries cost memory until they reach the front; drop them when they dominate.
    if (deadPending < 1024 || deadPending < qsizetype(pending.size()) / 2)
        return;
    pending.erase(std::remove_if(pending.begin(), pending.end(),
                                 [](const PendingTask &p) { return !p.live; }),
                  pending.end());
    deadPending = 0;
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
    if (PendingTask *entry = findPending(id)) {
        TaskEventHandler handler = std::move(entry->handler);
        entry->live = false;
        // Free the descriptor now; the dead entry shares one empty one instead of allocating.
        static const TaskDescriptor released;
        entry->task = released;
        --pendingCount;
        ++deadPending;
        compactPending();
        countsChanged();
        DestructionGuard guard(this);
        publish(handler, TaskEvent::canceled(id, 0, 0));
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
    // Pending first, so that nothing starts in a slot that a canceled task frees.
    while (!pending.empty()) {
        const TaskId id = pending.front().id;
        if (pending.front().live)
            cancelInThread(id, {});
        if (!pending.empty() && pending.front().id == id)
            pending.pop_front();
    }
    deadPending = 0;
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
        while (runningCount < slots && !destroying) {
            TaskRun *run = nullptr;
            if (!readyRetries.empty()) {
                run = readyRetries.front();
                readyRetries.pop_front();
            } else {
                while (!pending.empty() && !pending.front().live) {
                    pending.pop_front();
                    --deadPending;
                }
                if (pending.empty())
                    break;
                PendingTask next = std::move(pending.front());
                pending.pop_front();
                --pendingCount;
                run = new TaskRun(this, next.id, std::move(next.task), std::move(next.handler));
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

void BrokerPrivate::runStateChanged(TaskState from, TaskState to)
{
    runningCount += int(holdsSlot(to)) - int(holdsSlot(from));
    retryWaitingCount += int(to == TaskState::RetryWait) - int(from == TaskState::RetryWait);
}

void BrokerPrivate::runWantsSlot(TaskRun *run)
{
    readyRetries.push_back(run);
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
    return !destroying && pendingCount == 0 && runningCount == 0 && retryWaitingCount == 0
            && runs.isEmpty();
}

void BrokerPrivate::countsChanged()
{
    if (!destroying)
        Q_EMIT q->countsChanged();
}

LaunchRequest BrokerPrivate::resolveLaunch(TaskId id, const TaskDescriptor &task) const
{
    LaunchRequest request;
    request.command = task.command();
    request.workingDirectory =
            task.workingDirectory().isEmpty() ? defaultWorkingDirectory : task.workingDirectory();
    request.environment = baseEnvironment; // shared until changed
    const QHash<QString, QString> own = task.environment();
    for (auto it = own.cbegin(); it != own.cend(); ++it)
        request.environment.insert(it.key(), it.value());
    for (const QString &name : task.unsetEnvironment())
        request.environment.remove(name);
    // Last, so that no task can pose as another one (the marker decides what a sweep kills).
    request.environment.insert(QString::fromLatin1(ProcessMarker::variableName()),
                               ProcessMarker::forTask(serial, id).value());
    return request;
}

qint64 BrokerPrivate::resolveTimeoutMs(const TaskDescriptor &task) const
{
    const double seconds =
            task.timeoutSeconds() < 0 ? config.defaultTimeoutSeconds : task.timeoutSeconds();
    if (!(seconds > 0))
        return 0;
    return std::max<qint64>(1, qint64(std::min(seconds, 1e9) * 1000));
}

RetryPolicy BrokerPrivate::resolveRetry(const TaskDescriptor &task) const
{
    return task.retryPolicy().value_or(config.retry);
}

double BrokerPrivate::nextRandom() const
{
    if (config.randomSource)
        return config.randomSource();
    return QRandomGenerator::global()->generateDouble();
}

std::unique_ptr<TaskProcess> BrokerPrivate::createProcess(TaskProcessObserver *observer)
{
    return executor->createProcess(observer);
}

TaskState BrokerPrivate::stateOf(TaskId id) const
{
    if (const TaskRun *run = runs.value(id))
        return run->state();
    const auto it = lowerBoundPending(id);
    if (it != pending.end() && it->id == id && it->live)
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
    QList<qint64> groups;
    for (TaskRun *run : launched) {
        groups.append(run->processId());
        run->detach();
        run->beginShutdown();
    }
    QElapsedTimer grace;
    grace.start();
    for (TaskRun *run : launched)
        run->finishShutdown(int(std::max<qint64>(0, killGraceMs - grace.elapsed())));

    // Handlers still get their one terminal event; signals are not emitted any more.
    for (qsizetype i = 0; i < launched.size(); ++i) {
        TaskRun *run = launched.at(i);
        if (!ended.at(i))
            publish(run->handler(),
                    TaskEvent::canceled(run->id(), run->attempt(), run->elapsedMs()));
        if (insideHandler) {
            run->setParent(nullptr);
            run->deleteLater(); // the run may be on the stack below us
        } else {
            delete run;
        }
    }
    runs.clear();
    readyRetries.clear();
    // Whatever left its group and outlived its task's sweep (e.g. started during the grace).
    ProcessMarker::forBroker(serial).killAll(0, groups);
    while (!pending.empty()) {
        PendingTask entry = std::move(pending.front());
        pending.pop_front();
        if (entry.live)
            publish(entry.handler, TaskEvent::canceled(entry.id, 0, 0));
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

void Broker::connectNotify(const QMetaMethod &signal)
{
    // May run in another thread with a QObject mutex held: only set a bit. Bits are never
    // cleared on disconnect: emitting to nobody is correct, merely slower.
    static const std::pair<QMetaMethod, quint32> eventSignals[] = {
        { QMetaMethod::fromSignal(&Broker::eventOccurred), BrokerPrivate::EventOccurredBit },
        { QMetaMethod::fromSignal(&Broker::started), BrokerPrivate::bitFor(EventKind::Started) },
        { QMetaMethod::fromSignal(&Broker::stdoutLine), BrokerPrivate::bitFor(EventKind::Stdout) },
        { QMetaMethod::fromSignal(&Broker::stderrLine), BrokerPrivate::bitFor(EventKind::Stderr) },
        { QMetaMethod::fromSignal(&Broker::finished), BrokerPrivate::bitFor(EventKind::Finished) },
        { QMetaMethod::fromSignal(&Broker::failed), BrokerPrivate::bitFor(EventKind::Failed) },
        { QMetaMethod::fromSignal(&Broker::canceled), BrokerPrivate::bitFor(EventKind::Canceled) },
        { QMetaMethod::fromSignal(&Broker::timedOut), BrokerPrivate::bitFor(EventKind::Timeout) },
        { QMetaMethod::fromSignal(&Broker::retrying), BrokerPrivate::bitFor(EventKind::Retrying) },
        { QMetaMethod::fromSignal(&Broker::internalError),
          BrokerPrivate::bitFor(EventKind::InternalError) },
    };
    quint32 bits = signal.isValid() ? 0 : ~0u; // unknown: assume every signal
    for (const auto &[method, bit] : eventSignals) {
        if (method == signal)
            bits = bit;
    }
    d->connectedSignals.fetch_or(bits, std::memory_order_relaxed);
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
    return d->pendingCount == 0 && d->runningCount == 0 && d->retryWaitingCount == 0;
}

TaskState Broker::state(TaskId id) const
{
    return d->stateOf(id);
}

} // namespace TaskConductor
