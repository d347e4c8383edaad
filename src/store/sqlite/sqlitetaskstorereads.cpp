// SPDX-License-Identifier: MIT
// SqliteTaskStore's reads: tasks by id, state and outcome, the source digests, the executor
// identity.
#include "sqlitetaskstore_p.h"

namespace TaskConductor {

namespace {

QString stateName(TaskState state)
{
    switch (state) {
    case TaskState::Pending:
    case TaskState::Blocked: // stored as accepted; its dependencies decide again on resume
        return QStringLiteral("pending");
    case TaskState::Running:
    case TaskState::Stopping:
        return QStringLiteral("running");
    case TaskState::RetryWait:
        return QStringLiteral("retryWait");
    case TaskState::Done:
        return QStringLiteral("done");
    }
    return QString();
}

TaskState stateFromName(const QString &name)
{
    // "interrupted": stopped on purpose while running (recordInterrupted()); resumed as such.
    if (name == QLatin1String("running") || name == QLatin1String("interrupted"))
        return TaskState::Running;
    if (name == QLatin1String("retryWait"))
        return TaskState::RetryWait;
    if (name == QLatin1String("done"))
        return TaskState::Done;
    return TaskState::Pending;
}

QDateTime fromMsecs(const QVariant &value)
{
    return value.isNull() ? QDateTime() : QDateTime::fromMSecsSinceEpoch(value.toLongLong());
}

const char *const Columns = "id, descriptor, state, outcome, attempts, exit_code, duration_ms, "
                            "message, enqueued_at, started_at, ended_at, ";

} // namespace

QList<StoredTask> SqliteTaskStorePrivate::select(const QString &tail, const QVariantList &values)
{
    QList<StoredTask> tasks;
    if (!db.isOpen())
        return tasks;
    QSqlQuery query(db);
    query.setForwardOnly(true);
    if (!query.prepare(
                QStringLiteral("SELECT %1%2 FROM tasks %3")
                        .arg(QLatin1String(Columns),
                             // a store from before metrics, opened read-only, lacks the column
                             hasMetricsColumn() ? QLatin1String("metrics") : QLatin1String("NULL"),
                             tail))) {
        fail(QStringLiteral("reading failed"), query.lastError());
        return tasks;
    }
    for (const QVariant &value : values)
        query.addBindValue(value);
    if (!query.exec()) {
        fail(QStringLiteral("reading failed"), query.lastError());
        return tasks;
    }
    while (query.next()) {
        StoredTask task;
        task.id = query.value(0).toULongLong();
        const std::optional<TaskDescriptor> descriptor =
                TaskStore::descriptorFromJson(query.value(1).toByteArray());
        if (!descriptor) {
            error = QStringLiteral("task %1 in '%2' has an unreadable descriptor; skipped")
                            .arg(task.id)
                            .arg(path);
            continue;
        }
        task.descriptor = *descriptor;
        task.state = stateFromName(query.value(2).toString());
        task.outcome = TaskEvent::outcomeFromName(query.value(3).toString());
        task.attempts = query.value(4).toInt();
        task.exitCode = query.value(5).toInt();
        task.durationMs = query.value(6).toLongLong();
        task.message = query.value(7).toString();
        task.enqueuedAt = fromMsecs(query.value(8));
        task.startedAt = fromMsecs(query.value(9));
        task.endedAt = fromMsecs(query.value(10));
        if (!query.value(11).isNull())
            task.metrics = TaskStore::metricsFromJson(query.value(11).toByteArray());
        tasks.append(task);
    }
    return tasks;
}

QList<StoredTask> SqliteTaskStore::tasksFrom(TaskId firstId, int limit)
{
    return d->select(QStringLiteral("WHERE id >= ? ORDER BY id LIMIT ?"),
                     { qint64(firstId), std::max(0, limit) });
}

QList<StoredTask> SqliteTaskStore::unfinishedTasks()
{
    return d->select(QStringLiteral("WHERE state != 'done' ORDER BY id"), {});
}

std::optional<StoredTask> SqliteTaskStore::task(TaskId id)
{
    const QList<StoredTask> found = d->select(QStringLiteral("WHERE id = ?"), { qint64(id) });
    if (found.isEmpty())
        return std::nullopt;
    return found.first();
}

TaskId SqliteTaskStore::highestTaskId()
{
    if (!isOpen())
        return 0;
    QSqlQuery query(d->db);
    if (!query.exec(QStringLiteral("SELECT MAX(id) FROM tasks")) || !query.next())
        return 0;
    return query.value(0).toULongLong();
}

QList<StoredTask> SqliteTaskStore::history(const HistoryQuery &query)
{
    QStringList conditions;
    QVariantList values;
    if (query.state) {
        conditions.append(QStringLiteral("state = ?"));
        values.append(stateName(*query.state));
    }
    if (query.outcome) {
        // Stores written before Outcome named a rejection by its event, "internalError".
        conditions.append(QStringLiteral("outcome IN (?, ?)"));
        values.append(TaskEvent::outcomeName(*query.outcome));
        values.append(*query.outcome == Outcome::Rejected ? QStringLiteral("internalError")
                                                          : TaskEvent::outcomeName(*query.outcome));
    }
    QString tail;
    if (!conditions.isEmpty())
        tail = QStringLiteral("WHERE ") + conditions.join(QStringLiteral(" AND ")) + u' ';
    tail += QStringLiteral("ORDER BY id DESC LIMIT ?");
    values.append(std::max(0, query.limit));
    return d->select(tail, values);
}

QList<QByteArray> SqliteTaskStore::sourceDigests(TaskId first, int count)
{
    QList<QByteArray> digests(qMax(0, count));
    if (!isOpen() || count <= 0)
        return digests;
    QSqlQuery query(d->db);
    query.setForwardOnly(true);
    if (!query.prepare(QStringLiteral("SELECT id, digest FROM task_sources WHERE id >= ? AND "
                                      "id < ? ORDER BY id"))) {
        d->fail(QStringLiteral("reading failed"), query.lastError());
        return digests;
    }
    query.addBindValue(qint64(first));
    query.addBindValue(qint64(first) + count);
    if (!query.exec()) {
        d->fail(QStringLiteral("reading failed"), query.lastError());
        return digests;
    }
    while (query.next())
        digests[qsizetype(query.value(0).toLongLong() - qint64(first))] =
                query.value(1).toByteArray();
    return digests;
}

QByteArray SqliteTaskStore::executorIdentity()
{
    if (!isOpen())
        return {};
    QSqlQuery query(d->db);
    // No table yet (no Broker recorded one): nothing.
    if (!query.exec(QStringLiteral("SELECT value FROM store_values WHERE key = 'executor'"))
        || !query.next())
        return {};
    return query.value(0).toByteArray();
}

} // namespace TaskConductor
