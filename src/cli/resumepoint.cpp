// SPDX-License-Identifier: MIT
#include "resumepoint.h"

#include <taskconductor/sqlitetaskstore.h>

namespace TaskConductor {

bool ResumePoint::open(const QString &path, QString &error)
{
    auto store = std::make_shared<SqliteTaskStore>(path);
    if (!store->open()) {
        error = store->errorString();
        return false;
    }
    m_store = store;
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

bool ResumePoint::matches(qint64 ordinal, const TaskDescriptor &task, QString &error) const
{
    if (ordinal != m_skip || m_lastCommand.isEmpty() || task.command() == m_lastCommand)
        return true;
    error = QStringLiteral("the store holds a different task list: its task %1 ran \"%2\", the "
                           "list's task %1 is \"%3\" (use a new --store file for a new list)")
                    .arg(ordinal)
                    .arg(m_lastCommand.join(QLatin1Char(' ')),
                         task.command().join(QLatin1Char(' ')));
    return false;
}

} // namespace TaskConductor
