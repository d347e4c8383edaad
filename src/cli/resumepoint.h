// SPDX-License-Identifier: MIT
#pragma once

#include <taskconductor/taskdescriptor.h>
#include <taskconductor/types.h>

#include <QtCore/qbytearrayview.h>
#include <QtCore/qhash.h>
#include <QtCore/qlist.h>
#include <QtCore/qstring.h>

#include <memory>

namespace TaskConductor {

class SqliteTaskStore;
class TaskStore;
class StopAwareStore;

//! Where a task list stands in its --store. The tool enqueues the list's tasks in order on a
//! Broker that numbers them from 1, so task k of the list is task id k in the store: the first
//! skipCount() tasks were accepted by an earlier run (the Broker resumes those that had not
//! ended, under their own ids) and are skipped; the rest are enqueued as usual. Each accepted
//! task's line is recorded as a digest, so that a resume notices any edited line.
class ResumePoint
{
public:
    ResumePoint();
    ~ResumePoint();

    //! Takes the store's writer lock and opens the SQLite store at \a path (created if missing);
    //! \a fresh discards what it recorded. False, with \a error, if it cannot (another run
    //! holds it, not a database, ...).
    bool open(const QString &path, bool fresh, QString &error);

    //! The store to give the Broker (records stops as interruptions once stopping() was called).
    std::shared_ptr<TaskStore> store() const;
    //! Tasks of the list that an earlier run already accepted (0 for a new store).
    qint64 skipCount() const { return m_skip; }
    //! Tasks the Broker will resume: their ids and names (bounded by the earlier run's window).
    const QHash<TaskId, QString> &resumed() const { return m_resumed; }

    //! Whether task number \a ordinal (1-based) of the list, from the line \a source, is the
    //! one the store recorded under that id: same line digest (stores of older versions: the
    //! last recorded command only).
    bool matches(qint64 ordinal, const TaskDescriptor &task, QByteArrayView source, QString &error);
    //! Records the digest of \a source for the newly accepted task \a id.
    void accepted(TaskId id, QByteArrayView source);
    //! The run is stopping on purpose (\a reason): from now on a `canceled` task that ran is
    //! recorded as interrupted, not ended, so that the next run resumes it.
    void stopping(const QString &reason);

    static QByteArray digest(QByteArrayView source);

private:
    QByteArray storedDigest(qint64 ordinal);

    std::shared_ptr<SqliteTaskStore> m_sqlite;
    std::shared_ptr<StopAwareStore> m_store;
    qint64 m_skip = 0;
    QStringList m_lastCommand;
    QHash<TaskId, QString> m_resumed;
    qint64 m_pageFirst = 0; // digests of tasks m_pageFirst ... are in m_page
    QList<QByteArray> m_page;
};

} // namespace TaskConductor
