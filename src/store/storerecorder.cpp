// SPDX-License-Identifier: MIT
#include "storerecorder.h"
#include "broker_p.h"

namespace TaskConductor {

StoreRecorder::StoreRecorder(std::shared_ptr<TaskStore> store,
                             std::function<void(const QString &)> report, QObject *timerOwner)
    : m_store(std::move(store))
    , m_report(std::move(report))
    , m_flushTimer(new QTimer(timerOwner))
{
    if (m_store && !m_store->isOpen() && !m_store->open()) {
        m_report(QStringLiteral("task store unusable, tasks are not persisted: %1")
                         .arg(m_store->errorString()));
        m_store.reset();
    }
    m_flushTimer->setSingleShot(true);
    m_flushTimer->setInterval(FlushIntervalMs);
    QObject::connect(m_flushTimer, &QTimer::timeout, m_flushTimer, [this] { flush(); });
}

StoreRecorder::~StoreRecorder()
{
    delete m_flushTimer;
    m_flushTimer = nullptr;
    if (m_store && !m_store->flush())
        qCWarning(lcBroker, "the task store could not commit at shutdown: %s",
                  qPrintable(m_store->errorString()));
}

TaskId StoreRecorder::highestTaskId() const
{
    return m_store ? m_store->highestTaskId() : 0;
}

QList<StoredTask> StoreRecorder::unfinishedTasks() const
{
    return m_store ? m_store->unfinishedTasks() : QList<StoredTask>();
}

std::optional<Outcome> StoreRecorder::outcomeOf(TaskId id) const
{
    if (!m_store)
        return std::nullopt;
    const std::optional<StoredTask> task = m_store->task(id);
    if (!task || task->state != TaskState::Done)
        return std::nullopt;
    return task->outcome;
}

void StoreRecorder::check(bool ok, const char *what)
{
    if (ok || m_reported)
        return;
    m_reported = true;
    m_report(QStringLiteral("task store: %1 failed: %2")
                     .arg(QLatin1String(what), m_store->errorString()));
}

void StoreRecorder::takeOverFrom(ExecutorSession &session)
{
    if (!m_store)
        return;
    // A host killed with SIGKILL, or a machine that lost power, recorded no end: a resumed
    // task must not run beside what is left of its first run.
    const QByteArray previous = m_store->executorIdentity();
    if (!previous.isEmpty())
        session.endLeftovers(previous);
    check(m_store->recordExecutorIdentity(session.identity()), "recording the executor");
    flush(); // durable before the first task starts
}

void StoreRecorder::taskAccepted(TaskId id, const TaskDescriptor &task)
{
    if (!m_store)
        return;
    check(m_store->recordEnqueued(id, task, QDateTime::currentDateTimeUtc()), "recording a task");
    if (!m_flushTimer->isActive())
        m_flushTimer->start();
}

void StoreRecorder::record(const TaskEvent &event)
{
    if (!m_store)
        return;
    switch (event.kind()) {
    case EventKind::Stdout:
    case EventKind::Stderr:
        return; // output belongs to the logs, not to the task's record
    case EventKind::InternalError:
        if (!event.isTerminal())
            return;
        break;
    default:
        break;
    }
    check(m_store->recordEvent(event, QDateTime::currentDateTimeUtc()), "recording an event");
    // A terminal event is made durable at once: after a crash, a task the store shows as
    // ended is never run again.
    if (event.isTerminal())
        flush();
    else if (!m_flushTimer->isActive())
        m_flushTimer->start();
}

void StoreRecorder::flush()
{
    m_flushTimer->stop();
    if (!m_store)
        return;
    const bool ok = m_store->flush();
    check(ok, "committing");
    if (ok)
        m_reported = false;
}

} // namespace TaskConductor
