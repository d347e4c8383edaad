// SPDX-License-Identifier: MIT
#include "tasklistmodel_p.h"

#include <taskconductor/broker.h>
#include <taskconductor/tasklistmodel.h>

#include <QtCore/qdatetime.h>
#include <QtCore/qfileinfo.h>
#include <QtCore/qhash.h>
#include <QtCore/qpointer.h>
#include <QtCore/qset.h>
#include <QtCore/qtimer.h>

#include <algorithm>
#include <functional>

namespace TaskConductor {

/*!
    \class TaskConductor::TaskListModel
    Why the batching: a view's cost is per dataChanged (delegate bindings re-evaluate, items
    relayout), while an event's cost here is a few assignments. So events write the row at
    once and only remember which rows and roles changed; a single-shot timer, started by the
    first change after a batch, turns that into one dataChanged per contiguous run of rows.
    Inserting a row is not batched: it happens once per task and keeps rowCount() truthful.
*/

namespace {

QString stateName(RowState state, std::optional<Outcome> outcome, bool blocked)
{
    switch (state) {
    case RowState::Pending:
        return blocked ? QStringLiteral("blocked") : QStringLiteral("pending");
    case RowState::Running:
        return QStringLiteral("running");
    case RowState::Retrying:
        return QStringLiteral("retrying");
    case RowState::Done:
        break;
    }
    // finished, failed, timeout, canceled, rejected
    return outcome ? TaskEvent::outcomeName(*outcome) : QString();
}

} // namespace

TaskListModel::TaskListModel(QObject *parent)
    : QAbstractListModel(parent)
    , d(std::make_unique<TaskListModelPrivate>(this))
{
    d->batchTimer.setSingleShot(true);
    d->batchTimer.setInterval(25); // ~40 updates a second: smooth to the eye, cheap for views
    connect(&d->batchTimer, &QTimer::timeout, this, &TaskListModel::flush);
}

TaskListModel::~TaskListModel() = default;

void TaskListModel::setBroker(Broker *broker)
{
    if (d->broker == broker)
        return;
    disconnect(d->brokerConnection);
    d->broker = broker;
    if (broker)
        d->brokerConnection =
                connect(broker, &Broker::eventOccurred, this, &TaskListModel::applyEvent);
}

void TaskListModel::addTask(TaskId id, const TaskDescriptor &task)
{
    TaskRow &row = d->rowFor(id);
    row.name = task.name();
    row.command = task.command();
    row.priority = task.priority();
    row.lane = task.lane();
    quint32 roles = bit(NameRole) | bit(CommandRole) | bit(PriorityRole) | bit(LaneRole);
    if (!row.done && row.state == RowState::Pending) {
        const QList<TaskId> dependencies = task.dependencies();
        for (TaskId dependency : dependencies) {
            if (row.waitingFor.contains(dependency) || d->hasFinished(dependency))
                continue;
            row.waitingFor.append(dependency);
            d->dependents[dependency].append(id);
            roles |= WaitingBits;
        }
    }
    d->markDirty(id, roles);
}

void TaskListModel::applyEvent(const TaskEvent &event)
{
    TaskRow &row = d->rowFor(event.taskId());
    if (row.done)
        return; // nothing follows a terminal event; a late notice must not reopen the row
    quint32 roles = 0;
    auto end = [&](Outcome outcome, const QString &error) {
        row.state = RowState::Done;
        row.outcome = outcome;
        row.durationMs = outcome == Outcome::Rejected ? 0 : event.durationMs();
        row.exitCode = event.exitCode();
        row.errorString = error;
        row.done = true;
        row.metrics = event.metrics();
        ++d->doneRows;
        roles |= bit(StateRole) | bit(DurationMsRole) | bit(ExitCodeRole) | bit(ErrorStringRole)
                | bit(DoneRole) | bit(MetricsRole);
        if (!row.waitingFor.isEmpty()) {
            row.waitingFor.clear();
            roles |= WaitingBits;
        }
    };
    switch (event.kind()) {
    case EventKind::Started:
        row.state = RowState::Running;
        row.attempt = event.attempt();
        row.errorString.clear();
        roles |= bit(StateRole) | bit(AttemptRole) | bit(ErrorStringRole);
        row.waitingFor.clear(); // it started: whatever it waited for finished
        if (row.priority != event.priority() || row.lane != event.lane()) {
            // A row that events created (a task resumed from a store) learns them here.
            row.priority = event.priority();
            row.lane = event.lane();
            roles |= bit(PriorityRole) | bit(LaneRole);
        }
        if (row.startedAtMs == 0) {
            // Lets a view show a running task's age without an event per second.
            row.startedAtMs = QDateTime::currentMSecsSinceEpoch();
            roles |= bit(StartedAtRole);
        }
        if (row.command.isEmpty()) {
            row.command = event.command();
            roles |= bit(CommandRole) | bit(NameRole);
        }
        break;
    case EventKind::Stdout:
    case EventKind::Stderr: {
        // A batch (BrokerConfig::outputBatching) appends its lines at once: the views get one
        // insert for it at the next flush.
        const OutputChannel channel =
                event.kind() == EventKind::Stdout ? OutputChannel::Stdout : OutputChannel::Stderr;
        for (qsizetype i = 0, count = event.lineCount(); i < count; ++i)
            d->appendLine(row, event.lineAt(i), channel);
        roles |= bit(LastLineRole) | bit(LineCountRole);
        break;
    }
    case EventKind::Finished:
    case EventKind::Failed:
    case EventKind::Canceled:
    case EventKind::Timeout:
    case EventKind::InternalError:
        // Terminal ones end the row, by their outcome; a non-terminal internalError is a
        // notice about a call (e.g. cancel of a task that is already stopping): nothing ends.
        if (const std::optional<Outcome> outcome = event.outcome()) {
            switch (*outcome) {
            case Outcome::Finished:
                end(*outcome, {});
                break;
            case Outcome::Canceled: // a dependency that did not finish says so in the message
                end(*outcome, event.message());
                break;
            case Outcome::Failed:
                end(*outcome,
                    event.message().isEmpty()
                            ? TaskListModel::tr("exited with code %1").arg(event.exitCode())
                            : event.message());
                break;
            case Outcome::TimedOut:
                end(*outcome,
                    event.timeoutReason() == TimeoutReason::Idle
                            ? TaskListModel::tr("timed out after %1 ms without output")
                                      .arg(event.durationMs())
                            : TaskListModel::tr("timed out after %1 ms").arg(event.durationMs()));
                break;
            case Outcome::Rejected: // queue full, empty command, shutdown: it never ran
                end(*outcome, event.message());
                break;
            }
        }
        break;
    case EventKind::Retrying:
        row.state = RowState::Retrying;
        row.attempt = event.attempt();
        row.exitCode = event.exitCode();
        row.errorString = TaskListModel::tr("attempt %1 exited with code %2; retrying in %3 ms")
                                  .arg(event.attempt())
                                  .arg(event.exitCode())
                                  .arg(event.delayMs());
        roles |= bit(StateRole) | bit(AttemptRole) | bit(ExitCodeRole) | bit(ErrorStringRole);
        break;
    }
    const TaskId id = row.id; // the row may move when dependents are marked
    if (roles)
        d->markDirty(id, roles);
    if (const std::optional<Outcome> outcome = event.outcome();
        outcome && d->dependents.contains(id))
        d->dependencyEnded(id, *outcome);
}

int TaskListModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(d->rows.size());
}

QVariant TaskListModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const TaskRow &row = d->rows.at(index.row());
    switch (role) {
    case Qt::DisplayRole:
    case NameRole:
        if (!row.name.isEmpty())
            return row.name;
        return row.command.isEmpty() ? QString() : QFileInfo(row.command.first()).fileName();
    case TaskIdRole:
        return QVariant::fromValue<quint64>(row.id);
    case CommandRole:
        return row.command;
    case StateRole:
        return stateName(row.state, row.outcome, !row.waitingFor.isEmpty());
    case AttemptRole:
        return row.attempt;
    case ExitCodeRole:
        return row.exitCode;
    case DurationMsRole:
        return row.durationMs;
    case LastLineRole:
        return row.lastLine;
    case ErrorStringRole:
        return row.errorString;
    case LineCountRole:
        return row.lineCount;
    case DoneRole:
        return row.done;
    case StartedAtRole:
        return row.startedAtMs;
    case PriorityRole:
        return row.priority;
    case LaneRole:
        return row.lane;
    case BlockedRole:
        return !row.waitingFor.isEmpty();
    case WaitingForRole: {
        QVariantList ids;
        for (TaskId dependency : row.waitingFor)
            ids.append(QVariant::fromValue<quint64>(dependency));
        return ids;
    }
    case WaitingForNamesRole: {
        QStringList names;
        for (TaskId dependency : row.waitingFor) {
            const int other = d->rowById.value(dependency, -1);
            names.append(other >= 0 ? data(index.siblingAtRow(other), NameRole).toString()
                                    : QStringLiteral("#%1").arg(dependency));
        }
        return names;
    }
    case MetricsRole: {
        if (!row.done)
            return QVariantMap();
        const TaskMetrics &m = row.metrics;
        QVariantMap map { { QStringLiteral("queueMs"), m.queueMs },
                          { QStringLiteral("runMs"), m.runMs },
                          { QStringLiteral("stdoutBytes"), m.stdoutBytes },
                          { QStringLiteral("stderrBytes"), m.stderrBytes },
                          { QStringLiteral("stdoutLines"), m.stdoutLines },
                          { QStringLiteral("stderrLines"), m.stderrLines } };
        if (m.cpuMs >= 0)
            map.insert(QStringLiteral("cpuMs"), m.cpuMs);
        if (m.maxRssKb >= 0)
            map.insert(QStringLiteral("maxRssKb"), m.maxRssKb);
        return map;
    }
    default:
        return {};
    }
}

QHash<int, QByteArray> TaskListModel::roleNames() const
{
    return {
        { Qt::DisplayRole, "display" },
        { TaskIdRole, "taskId" },
        { NameRole, "name" },
        { CommandRole, "command" },
        { StateRole, "state" },
        { AttemptRole, "attempt" },
        { ExitCodeRole, "exitCode" },
        { DurationMsRole, "durationMs" },
        { LastLineRole, "lastLine" },
        { ErrorStringRole, "errorString" },
        { LineCountRole, "lineCount" },
        { DoneRole, "done" },
        { StartedAtRole, "startedAt" },
        { PriorityRole, "priority" },
        { LaneRole, "lane" },
        { BlockedRole, "blocked" },
        { WaitingForRole, "waitingFor" },
        { WaitingForNamesRole, "waitingForNames" },
        { MetricsRole, "metrics" },
    };
}

int TaskListModel::rowOf(quint64 id) const
{
    return d->rowById.value(id, -1);
}

quint64 TaskListModel::taskIdAt(int row) const
{
    return row >= 0 && row < d->rows.size() ? d->rows.at(row).id : 0;
}

void TaskListModel::clear()
{
    d->batchTimer.stop();
    const QList<TaskRow> old = std::exchange(d->rows, {});
    beginResetModel();
    d->rowById.clear();
    d->dependents.clear();
    d->dirtyIds.clear();
    d->dirtyRoles = 0;
    d->outputIds.clear();
    d->doneRows = 0;
    endResetModel();
    Q_EMIT countChanged();
    for (const TaskRow &row : old)
        Q_EMIT taskRemoved(row.id);
}

void TaskListModel::removeDone()
{
    d->removeRowsWhere([](const TaskRow &row) { return row.done; });
}

void TaskListModel::flush()
{
    d->batchTimer.stop();
    d->trimDone();
    if (!d->dirtyIds.isEmpty()) {
        QList<int> dirtyRows;
        dirtyRows.reserve(d->dirtyIds.size());
        for (TaskId id : std::as_const(d->dirtyIds)) {
            const int row = d->rowById.value(id, -1);
            if (row >= 0)
                dirtyRows.append(row);
        }
        QList<int> roles;
        for (int role = TaskIdRole; role <= MetricsRole; ++role) {
            if (d->dirtyRoles & bit(role))
                roles.append(role);
        }
        if (d->dirtyRoles & bit(NameRole))
            roles.append(Qt::DisplayRole);
        d->dirtyIds.clear();
        d->dirtyRoles = 0;
        std::sort(dirtyRows.begin(), dirtyRows.end());
        for (int i = 0; i < dirtyRows.size();) {
            int j = i;
            while (j + 1 < dirtyRows.size() && dirtyRows.at(j + 1) == dirtyRows.at(j) + 1)
                ++j;
            Q_EMIT dataChanged(index(dirtyRows.at(i)), index(dirtyRows.at(j)), roles);
            i = j + 1;
        }
    }
    if (!d->outputIds.isEmpty()) {
        const QList<TaskId> ids = d->outputIds.values();
        d->outputIds.clear();
        Q_EMIT outputAppended(ids);
    }
}

QList<OutputLine> TaskListModel::outputTail(TaskId id) const
{
    const int row = d->rowById.value(id, -1);
    return row < 0 ? QList<OutputLine>() : d->rows.at(row).tail;
}

qint64 TaskListModel::outputLineCount(TaskId id) const
{
    const int row = d->rowById.value(id, -1);
    return row < 0 ? 0 : d->rows.at(row).lineCount;
}

int TaskListModel::updateIntervalMs() const
{
    return d->batchTimer.interval();
}

void TaskListModel::setUpdateIntervalMs(int ms)
{
    ms = std::max(0, ms);
    if (ms == d->batchTimer.interval())
        return;
    flush(); // what waited for the old interval goes out now
    d->batchTimer.setInterval(ms);
    Q_EMIT updateIntervalMsChanged();
}

int TaskListModel::outputLineLimit() const
{
    return d->outputLineLimit;
}

void TaskListModel::setOutputLineLimit(int lines)
{
    lines = std::max(0, lines);
    if (lines == d->outputLineLimit)
        return;
    d->outputLineLimit = lines;
    for (TaskRow &row : d->rows) {
        if (row.tail.size() > lines)
            row.tail.remove(0, row.tail.size() - lines);
    }
    Q_EMIT outputLineLimitChanged();
}

int TaskListModel::finishedRowLimit() const
{
    return d->finishedRowLimit;
}

void TaskListModel::setFinishedRowLimit(int rows)
{
    rows = std::max(-1, rows);
    if (rows == d->finishedRowLimit)
        return;
    d->finishedRowLimit = rows;
    d->trimDone();
    Q_EMIT finishedRowLimitChanged();
}

} // namespace TaskConductor
