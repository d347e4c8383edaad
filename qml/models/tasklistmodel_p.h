// SPDX-License-Identifier: MIT
#pragma once

// Private to TaskConductor::Models: TaskListModel's rows and the bookkeeping behind them
// (tasklistmodelrows.cpp), shared with the model itself (tasklistmodel.cpp).

#include <taskconductor/broker.h>
#include <taskconductor/tasklistmodel.h>

#include <QtCore/qhash.h>
#include <QtCore/qpointer.h>
#include <QtCore/qset.h>
#include <QtCore/qtimer.h>

#include <functional>
#include <optional>

namespace TaskConductor {

// Where a live row is; a done row's state is its Outcome, classified once by the core.
enum class RowState { Pending, Running, Retrying, Done };

struct TaskRow
{
    TaskId id = 0;
    QString name;
    QStringList command;
    RowState state = RowState::Pending;
    std::optional<Outcome> outcome; // once Done
    int attempt = 0;
    int exitCode = 0;
    qint64 durationMs = -1;
    QString lastLine;
    QString errorString;
    QList<OutputLine> tail;
    qint64 lineCount = 0;
    qint64 startedAtMs = 0;
    bool done = false;
    int priority = 0;
    QString lane;
    QList<TaskId> waitingFor; // dependencies not finished yet
    TaskMetrics metrics; // of the terminal event
};

// Roles as bits, so a batch remembers which roles changed without a container.
constexpr quint32 bit(int role)
{
    return 1u << (role - TaskListModel::TaskIdRole);
}
static_assert(TaskListModel::WaitingForNamesRole - TaskListModel::TaskIdRole < 32, "role bits");

constexpr quint32 WaitingBits = bit(TaskListModel::StateRole) | bit(TaskListModel::BlockedRole)
        | bit(TaskListModel::WaitingForRole) | bit(TaskListModel::WaitingForNamesRole);

class TaskListModelPrivate
{
public:
    explicit TaskListModelPrivate(TaskListModel *qq)
        : q(qq)
    { }

    TaskRow &rowFor(TaskId id);
    void markDirty(TaskId id, quint32 roles);
    void appendLine(TaskRow &row, const QString &line, OutputChannel channel);
    void removeRowsWhere(const std::function<bool(const TaskRow &)> &match);
    void trimDone();
    void rebuildIndex();
    bool hasFinished(TaskId id) const;
    void dependencyEnded(TaskId id, Outcome outcome);

    TaskListModel *const q;
    QList<TaskRow> rows;
    QHash<TaskId, int> rowById;
    QPointer<Broker> broker;
    QMetaObject::Connection brokerConnection;

    // A dependency -> the rows waiting for it; entries go when it ends.
    QHash<TaskId, QList<TaskId>> dependents;

    QSet<TaskId> dirtyIds;
    quint32 dirtyRoles = 0;
    QSet<TaskId> outputIds;
    QTimer batchTimer;
    int doneRows = 0;

    int outputLineLimit = 1000;
    int finishedRowLimit = 10000;
};

} // namespace TaskConductor
