// SPDX-License-Identifier: MIT
// SqliteTaskStore's writes: each goes into the open transaction, which flush() commits.
#include "sqlitetaskstore_p.h"

namespace TaskConductor {

namespace {

QVariant msecs(const QDateTime &at)
{
    return at.isValid() ? QVariant(at.toMSecsSinceEpoch()) : QVariant();
}

} // namespace

bool SqliteTaskStore::recordEnqueued(TaskId id, const TaskDescriptor &task, const QDateTime &at)
{
    if (!isOpen())
        return d->fail(QStringLiteral("not open"), QSqlError());
    QSqlQuery &q = *d->insertTask;
    q.bindValue(0, qint64(id));
    q.bindValue(1, QString::fromUtf8(descriptorToJson(task)));
    q.bindValue(2, task.name().isEmpty() ? QVariant() : QVariant(task.name()));
    q.bindValue(3, msecs(at));
    return d->run(q);
}

bool SqliteTaskStore::recordEvent(const TaskEvent &event, const QDateTime &at)
{
    if (!isOpen())
        return d->fail(QStringLiteral("not open"), QSqlError());
    const qint64 id = qint64(event.taskId());
    if (event.isTerminal()) {
        QSqlQuery &q = *d->markEnded;
        // The one classification of a terminal event, under the one vocabulary's name.
        q.bindValue(0, TaskEvent::outcomeName(*event.outcome()));
        q.bindValue(1, event.attempt());
        q.bindValue(2, event.exitCode());
        q.bindValue(3, event.durationMs());
        q.bindValue(4, event.message().isEmpty() ? QVariant() : QVariant(event.message()));
        q.bindValue(5, msecs(at));
        q.bindValue(6, QString::fromUtf8(metricsToJson(event.metrics())));
        q.bindValue(7, id);
        return d->run(q);
    }
    if (event.kind() == EventKind::Started) {
        QSqlQuery &q = *d->markStarted;
        q.bindValue(0, event.attempt());
        q.bindValue(1, msecs(at));
        q.bindValue(2, id);
        return d->run(q);
    }
    if (event.kind() == EventKind::Retrying) {
        QSqlQuery &q = *d->markRetrying;
        q.bindValue(0, event.attempt());
        q.bindValue(1, event.exitCode());
        q.bindValue(2, id);
        return d->run(q);
    }
    return true;
}

bool SqliteTaskStore::flush()
{
    if (!d->inTransaction)
        return true;
    d->inTransaction = false;
    if (!d->db.commit()) {
        const QSqlError error = d->db.lastError();
        d->db.rollback();
        return d->fail(QStringLiteral("committing failed"), error);
    }
    return true;
}

bool SqliteTaskStore::recordInterrupted(TaskId id, const QString &reason)
{
    if (!isOpen())
        return d->fail(QStringLiteral("not open"), QSqlError());
    QSqlQuery &q = *d->markInterrupted;
    q.bindValue(0, reason);
    q.bindValue(1, qint64(id));
    return d->run(q);
}

bool SqliteTaskStore::recordSourceDigest(TaskId id, const QByteArray &digest)
{
    if (!isOpen())
        return d->fail(QStringLiteral("not open"), QSqlError());
    QSqlQuery &q = *d->insertDigest;
    q.bindValue(0, qint64(id));
    q.bindValue(1, digest);
    return d->run(q);
}

bool SqliteTaskStore::recordExecutorIdentity(const QByteArray &identity)
{
    if (!isOpen())
        return d->fail(QStringLiteral("not open"), QSqlError());
    // Created on first use, so that open() (and a reader's openReadOnly()) change nothing.
    if (!d->begin()
        || !d->exec(QStringLiteral("CREATE TABLE IF NOT EXISTS store_values (key TEXT PRIMARY "
                                   "KEY, value BLOB NOT NULL)")))
        return false;
    QSqlQuery query(d->db);
    if (!query.prepare(QStringLiteral("INSERT OR REPLACE INTO store_values (key, value) VALUES "
                                      "('executor', ?)")))
        return d->fail(QStringLiteral("writing failed"), query.lastError());
    query.addBindValue(identity);
    return d->run(query);
}

bool SqliteTaskStore::clear()
{
    if (!isOpen())
        return d->fail(QStringLiteral("not open"), QSqlError());
    return d->begin() && d->exec(QStringLiteral("DELETE FROM tasks"))
            && d->exec(QStringLiteral("DELETE FROM task_sources")) && flush();
}

} // namespace TaskConductor
