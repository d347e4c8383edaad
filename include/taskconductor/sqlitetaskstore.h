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

    //! Creates the file (mode 0600: it holds task environments; -wal/-shm follow) and schema if
    //! needed; an existing file keeps its mode. False if the driver is missing, the file cannot be
    //! opened, is not an SQLite database (corrupt) or was written by a newer schema version.
    bool open() override;
    //! Opens an existing store to read it only (history(), unfinishedTasks(), tasksFrom()),
    //! while a run may be writing it: no schema change, no lock, never a write. False, with
    //! errorString(), if the file is missing or is not a task store.
    bool openReadOnly();
    //! Up to \a limit tasks with ids from \a firstId on, lowest id first: a reader pages
    //! through a store of any size with it.
    QList<StoredTask> tasksFrom(TaskId firstId, int limit);
    bool isOpen() const override;
    QString errorString() const override;

    bool recordEnqueued(TaskId id, const TaskDescriptor &task, const QDateTime &at) override;
    bool recordEvent(const TaskEvent &event, const QDateTime &at) override;
    bool flush() override;

    QList<StoredTask> unfinishedTasks() override;
    TaskId highestTaskId() override;
    QList<StoredTask> history(const HistoryQuery &query) override;
    std::optional<StoredTask> task(TaskId id) override;
    //! Kept across clear(): a fresh start must still end what a killed run left.
    bool recordExecutorIdentity(const QByteArray &identity) override;
    QByteArray executorIdentity() override;

    // Writers, and what a command-line runner records beyond the TaskStore interface.
    //! Takes the single-writer lock: an exclusive flock(2) on "<path>.lock" (which holds the
    //! holder's pid), released when this store is destroyed or its process dies, however it
    //! dies. False, with errorString() naming the holder, if another store object (in this or
    //! another process) holds it, or if path() exists and is not a regular file. Readers need
    //! not take it; open() does not.
    bool lockForWriting();
    //! Task  id, if it is running or waiting to retry, becomes "interrupted" with  reason as
    //! its message: stopped on purpose, not ended. It stays unfinished (unfinishedTasks() reads
    //! it back as Running), so the next Broker on the store resumes it.
    bool recordInterrupted(TaskId id, const QString &reason);
    //! Records  digest, a fingerprint of where task  id came from (a task-file line).
    bool recordSourceDigest(TaskId id, const QByteArray &digest);
    //! The digests of tasks \a first to \a first + \a count - 1, in order (empty: none recorded).
    QList<QByteArray> sourceDigests(TaskId first, int count);
    //! Deletes every task and digest: the store starts afresh, with ids from 1 again.
    bool clear();

private:
    std::unique_ptr<SqliteTaskStorePrivate> d;
};

} // namespace TaskConductor
