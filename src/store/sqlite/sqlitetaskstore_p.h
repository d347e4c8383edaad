// SPDX-License-Identifier: MIT
#pragma once

// Private to TaskConductor::Sqlite: the store's connection, prepared statements and writer lock,
// shared by opening and locking (sqlitetaskstore.cpp), the writes (sqlitetaskstorewrites.cpp) and
// the reads (sqlitetaskstorereads.cpp).

#include <taskconductor/sqlitetaskstore.h>

#include <QtSql/qsqldatabase.h>
#include <QtSql/qsqlerror.h>
#include <QtSql/qsqlquery.h>

#include <QtCore/qfile.h>

#include <optional>
#include <sys/stat.h>
#include <unistd.h>

namespace TaskConductor {

class SqliteTaskStorePrivate
{
public:
    QString path;
    QString connectionName;
    QString error;
    QSqlDatabase db;
    std::optional<QSqlQuery> insertTask, markStarted, markRetrying, markEnded;
    std::optional<QSqlQuery> markInterrupted, insertDigest;
    bool inTransaction = false;
    int lockFd = -1; // the writer lock's file, flock()ed while open

    std::optional<bool> metricsColumn; // whether "tasks" has it; asked once
    bool hasMetricsColumn()
    {
        if (!metricsColumn) {
            QSqlQuery columns(db);
            metricsColumn = false;
            if (columns.exec(QStringLiteral("PRAGMA table_info(tasks)"))) {
                while (columns.next()) {
                    if (columns.value(1).toString() == QLatin1String("metrics"))
                        metricsColumn = true;
                }
            }
        }
        return *metricsColumn;
    }
    //! Stores made before metrics were kept (schema 1 without the column) get it, empty.
    bool addMetricsColumn()
    {
        if (hasMetricsColumn())
            return true;
        metricsColumn.reset();
        return exec(QStringLiteral("ALTER TABLE tasks ADD COLUMN metrics TEXT"));
    }

    ~SqliteTaskStorePrivate()
    {
        if (lockFd >= 0)
            ::close(lockFd); // releases the lock
    }
    //! A path that exists but is no regular file (/dev/null, a directory) is refused before
    //! SQLite creates anything next to it (a "-journal").
    bool refuseNonRegularFile()
    {
        struct stat info;
        if (::stat(QFile::encodeName(path).constData(), &info) == 0 && !S_ISREG(info.st_mode)) {
            error = QStringLiteral("cannot open task store '%1': not a regular file").arg(path);
            return true;
        }
        return false;
    }

    bool fail(const QString &what, const QSqlError &sqlError)
    {
        error = QStringLiteral("%1 (task store '%2'): %3").arg(what, path, sqlError.text());
        return false;
    }
    bool exec(const QString &sql)
    {
        QSqlQuery query(db);
        if (!query.exec(sql))
            return fail(QStringLiteral("'%1' failed").arg(sql), query.lastError());
        return true;
    }
    bool prepare(std::optional<QSqlQuery> &query, const QString &sql)
    {
        query.emplace(db);
        if (!query->prepare(sql))
            return fail(QStringLiteral("preparing '%1' failed").arg(sql), query->lastError());
        return true;
    }
    bool begin()
    {
        if (inTransaction)
            return true;
        if (!db.transaction())
            return fail(QStringLiteral("beginning a transaction failed"), db.lastError());
        inTransaction = true;
        return true;
    }
    bool run(QSqlQuery &query)
    {
        if (!begin())
            return false;
        if (!query.exec())
            return fail(QStringLiteral("writing failed"), query.lastError());
        return true;
    }
    void close()
    {
        insertTask.reset();
        markStarted.reset();
        markRetrying.reset();
        markEnded.reset();
        markInterrupted.reset();
        insertDigest.reset();
        metricsColumn.reset();
        if (db.isOpen())
            db.close();
    }
    QList<StoredTask> select(const QString &where, const QVariantList &values);
};

} // namespace TaskConductor
