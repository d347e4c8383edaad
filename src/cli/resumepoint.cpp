// SPDX-License-Identifier: MIT
#include "resumepoint.h"

#include <taskconductor/sqlitetaskstore.h>

#include <QtCore/qcryptographichash.h>

namespace TaskConductor {

namespace {
constexpr int DigestPage = 4096; // digests read from the store at once: memory stays bounded
}

//! Forwards to the SQLite store; once the run is stopping, a `canceled` event (the stop's)
//! becomes recordInterrupted(): the store then says what happened, and the task stays
//! resumable instead of ending as canceled.
class StopAwareStore final : public TaskStore
{
public:
    explicit StopAwareStore(std::shared_ptr<SqliteTaskStore> store)
        : m_store(std::move(store))
    { }

    void setStopping(const QString &reason) { m_stopReason = reason; }

    bool open() override { return m_store->open(); }
    bool isOpen() const override { return m_store->isOpen(); }
    QString errorString() const override { return m_store->errorString(); }
    bool recordEnqueued(TaskId id, const TaskDescriptor &task, const QDateTime &at) override
    {
        return m_store->recordEnqueued(id, task, at);
    }
    bool recordEvent(const TaskEvent &event, const QDateTime &at) override
    {
        if (!m_stopReason.isEmpty() && event.kind() == EventKind::Canceled)
            return m_store->recordInterrupted(event.taskId(), m_stopReason);
        return m_store->recordEvent(event, at);
    }
    bool flush() override { return m_store->flush(); }
    QList<StoredTask> unfinishedTasks() override { return m_store->unfinishedTasks(); }
    TaskId highestTaskId() override { return m_store->highestTaskId(); }
    QList<StoredTask> history(const HistoryQuery &query) override
    {
        return m_store->history(query);
    }
    bool recordExecutorIdentity(const QByteArray &identity) override
    {
        return m_store->recordExecutorIdentity(identity);
    }
    QByteArray executorIdentity() override { return m_store->executorIdentity(); }

private:
    std::shared_ptr<SqliteTaskStore> m_store;
    QString m_stopReason;
};

ResumePoint::ResumePoint() = default;
ResumePoint::~ResumePoint() = default;

bool ResumePoint::open(const QString &path, bool fresh, QString &error)
{
    auto store = std::make_shared<SqliteTaskStore>(path);
    if (!store->lockForWriting() || !store->open() || (fresh && !store->clear())) {
        error = store->errorString();
        return false;
    }
    m_sqlite = store;
    m_store = std::make_shared<StopAwareStore>(store);
    m_skip = qint64(store->highestTaskId());
    if (m_skip > 0) {
        HistoryQuery last;
        last.limit = 1;
        const QList<StoredTask> newest = store->history(last);
        if (!newest.isEmpty() && qint64(newest.first().id) == m_skip)
            m_lastCommand = newest.first().descriptor.command();
    }
    for (const StoredTask &task : store->unfinishedTasks())
        m_resumed.insert(task.id, task.descriptor.name());
    return true;
}

std::shared_ptr<TaskStore> ResumePoint::store() const
{
    return m_store;
}

QByteArray ResumePoint::digest(QByteArrayView source)
{
    return QCryptographicHash::hash(source, QCryptographicHash::Sha1);
}

QByteArray ResumePoint::storedDigest(qint64 ordinal)
{
    if (ordinal < m_pageFirst || ordinal >= m_pageFirst + m_page.size()) {
        m_pageFirst = ordinal;
        m_page = m_sqlite->sourceDigests(TaskId(ordinal),
                                         int(qMin<qint64>(DigestPage, m_skip - ordinal + 1)));
    }
    return m_page.value(qsizetype(ordinal - m_pageFirst));
}

bool ResumePoint::matches(qint64 ordinal, const TaskDescriptor &task, QByteArrayView source,
                          QString &error)
{
    if (ordinal < 1 || ordinal > m_skip)
        return true;
    const QByteArray stored = storedDigest(ordinal);
    if (!stored.isEmpty()) {
        if (stored == digest(source))
            return true;
        error = QStringLiteral("changed since the store accepted it as task %1: the store "
                               "holds a different task list (--fresh discards its history, or "
                               "use a new --store file)")
                        .arg(ordinal);
        return false;
    }
    // A store of an older version has no digests: only its last task can be compared.
    if (ordinal != m_skip || m_lastCommand.isEmpty() || task.command() == m_lastCommand)
        return true;
    error = QStringLiteral("the store holds a different task list: its task %1 ran \"%2\", the "
                           "list's task %1 is \"%3\" (use a new --store file for a new list)")
                    .arg(ordinal)
                    .arg(m_lastCommand.join(QLatin1Char(' ')),
                         task.command().join(QLatin1Char(' ')));
    return false;
}

void ResumePoint::accepted(TaskId id, QByteArrayView source)
{
    m_sqlite->recordSourceDigest(id, digest(source)); // a failure shows in the store's next flush
}

void ResumePoint::stopping(const QString &reason)
{
    m_store->setStopping(reason);
}

} // namespace TaskConductor
