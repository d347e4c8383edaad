// SPDX-License-Identifier: MIT
#pragma once

#include <taskconductor/taskconductorsqlite_export.h>
#include <taskconductor/taskstore.h>

#include <memory>

namespace TaskConductor {

class SqliteTaskStorePrivate;

//! A TaskStore in one SQLite file, through QtSql's QSQLITE driver (target
//! TaskConductor::Sqlite). WAL journal, synchronous=NORMAL: a commit survives a crash of the
//! host process; records are batched into one transaction until flush(). One connection,
//! used from the thread that opened it.
class TASKCONDUCTORSQLITE_EXPORT SqliteTaskStore : public TaskStore
{
public:
    explicit SqliteTaskStore(const QString &path);
    ~SqliteTaskStore() override; // commits what is pending

    QString path() const;

    //! Creates the file and schema if needed. False if the driver is missing, the file cannot be
    //! opened, is not an SQLite database (corrupt) or was written by a newer schema version.
    bool open() override;
    bool isOpen() const override;
    QString errorString() const override;

    bool recordEnqueued(TaskId id, const TaskDescriptor &task, const QDateTime &at) override;
    bool recordEvent(const TaskEvent &event, const QDateTime &at) override;
    bool flush() override;

    QList<StoredTask> unfinishedTasks() override;
    TaskId highestTaskId() override;
    QList<StoredTask> history(const HistoryQuery &query) override;

private:
    std::unique_ptr<SqliteTaskStorePrivate> d;
};

} // namespace TaskConductor
