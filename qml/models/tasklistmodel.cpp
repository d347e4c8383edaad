// SPDX-License-Identifier: MIT
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

// Where a live row is; a done row's state is its Outcome, classified once by the core.
enum class RowState { Pending, Running, Retrying, Done };

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

} // namespace

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

// ---------------------------------------------------------------------------------------------

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
