// SPDX-License-Identifier: MIT
#pragma once

#include <taskconductor/taskdescriptor.h>
#include <taskconductor/types.h>

#include <QtCore/qhash.h>
#include <QtCore/qstring.h>

#include <memory>

namespace TaskConductor {

class TaskStore;

//! Where a task list stands in its --store. The tool enqueues the list's tasks in order on a
//! Broker that numbers them from 1, so task k of the list is task id k in the store: the first
//! skipCount() tasks were accepted by an earlier run (the Broker resumes those that had not
//! ended, under their own ids) and are skipped; the rest are enqueued as usual.
class ResumePoint
{
public:
    //! Opens the SQLite store at \a path (created if missing). False, with \a error, if it cannot.
    bool open(const QString &path, QString &error);

    std::shared_ptr<TaskStore> store() const { return m_store; }
    //! Tasks of the list that an earlier run already accepted (0 for a new store).
    qint64 skipCount() const { return m_skip; }
    //! Tasks the Broker will resume: their ids and names (bounded by the earlier run's window).
    const QHash<TaskId, QString> &resumed() const { return m_resumed; }

    //! Whether task number \a ordinal (1-based) of the list can be the one the store recorded
    //! under that id. Only the last recorded one is kept to compare with; others pass.
    bool matches(qint64 ordinal, const TaskDescriptor &task, QString &error) const;

private:
    std::shared_ptr<TaskStore> m_store;
    qint64 m_skip = 0;
    QStringList m_lastCommand;
    QHash<TaskId, QString> m_resumed;
};

} // namespace TaskConductor
