// SPDX-License-Identifier: MIT
// TaskListModel's rows: found or inserted by id, marked for the next batch, their output tail,
// their dependencies, and removed (done rows beyond the limit, clear()).
#include "tasklistmodel_p.h"

namespace TaskConductor {

TaskRow &TaskListModelPrivate::rowFor(TaskId id)
{
    const auto it = rowById.constFind(id);
    if (it != rowById.cend())
        return rows[*it];
    const int row = int(rows.size());
    q->beginInsertRows({}, row, row);
    TaskRow fresh;
    fresh.id = id;
    rows.append(fresh);
    rowById.insert(id, row);
    q->endInsertRows();
    Q_EMIT q->countChanged();
    return rows[row];
}

void TaskListModelPrivate::markDirty(TaskId id, quint32 roles)
{
    dirtyIds.insert(id);
    dirtyRoles |= roles;
    if (batchTimer.interval() == 0)
        q->flush();
    else if (!batchTimer.isActive())
        batchTimer.start();
}

void TaskListModelPrivate::appendLine(TaskRow &row, const QString &line, OutputChannel channel)
{
    row.lastLine = line;
    ++row.lineCount;
    if (outputLineLimit > 0) {
        if (row.tail.size() >= outputLineLimit)
            row.tail.removeFirst(); // O(1) in Qt 6: the list just moves its start
        row.tail.append({ line, channel });
    }
    outputIds.insert(row.id);
}

bool TaskListModelPrivate::hasFinished(TaskId id) const
{
    const auto it = rowById.constFind(id);
    if (it != rowById.cend())
        return rows.at(*it).outcome == Outcome::Finished;
    // No row (removed, or never added): the Broker knows. A dependency that ended otherwise
    // would have ended the dependent already.
    return broker && broker->state(id) == TaskState::Done;
}

void TaskListModelPrivate::dependencyEnded(TaskId id, Outcome outcome)
{
    const QList<TaskId> waiting = dependents.take(id);
    if (outcome != Outcome::Finished)
        return; // each dependent gets its own `canceled`, which ends its row
    for (TaskId dependent : waiting) {
        const int index = rowById.value(dependent, -1);
        if (index < 0 || rows.at(index).done)
            continue;
        if (rows[index].waitingFor.removeAll(id) > 0)
            markDirty(dependent, WaitingBits);
    }
}

void TaskListModelPrivate::rebuildIndex()
{
    rowById.clear();
    rowById.reserve(rows.size());
    for (int i = 0; i < rows.size(); ++i)
        rowById.insert(rows.at(i).id, i);
}

void TaskListModelPrivate::removeRowsWhere(const std::function<bool(const TaskRow &)> &match)
{
    // From the bottom, in contiguous runs, so that each beginRemoveRows names rows that exist.
    QList<TaskId> removed;
    int end = int(rows.size()) - 1;
    while (end >= 0) {
        if (!match(rows.at(end))) {
            --end;
            continue;
        }
        int first = end;
        while (first > 0 && match(rows.at(first - 1)))
            --first;
        q->beginRemoveRows({}, first, end);
        for (int i = first; i <= end; ++i) {
            removed.append(rows.at(i).id);
            doneRows -= rows.at(i).done ? 1 : 0;
        }
        rows.remove(first, end - first + 1);
        q->endRemoveRows();
        end = first - 1;
    }
    if (removed.isEmpty())
        return;
    rebuildIndex();
    Q_EMIT q->countChanged();
    for (TaskId id : std::as_const(removed)) {
        dirtyIds.remove(id);
        outputIds.remove(id);
        Q_EMIT q->taskRemoved(id);
    }
}

void TaskListModelPrivate::trimDone()
{
    if (finishedRowLimit < 0 || doneRows <= finishedRowLimit)
        return;
    int excess = doneRows - finishedRowLimit;
    // The oldest done rows go first; the match counts down so that only `excess` rows match.
    QSet<TaskId> victims;
    for (const TaskRow &row : std::as_const(rows)) {
        if (excess == 0)
            break;
        if (row.done) {
            victims.insert(row.id);
            --excess;
        }
    }
    removeRowsWhere([&victims](const TaskRow &row) { return victims.contains(row.id); });
}

} // namespace TaskConductor
