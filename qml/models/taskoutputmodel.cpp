// SPDX-License-Identifier: MIT
#include <taskconductor/tasklistmodel.h>
#include <taskconductor/taskoutputmodel.h>

#include <QtCore/qpointer.h>

namespace TaskConductor {

/*!
    \class TaskConductor::TaskOutputModel
    The lines live in the source's per-task tail; this model keeps its own copy of the tail of
    one task (QList copies are shared until written) and learns at each of the source's batches
    how many lines are new, so a flood becomes one insert per batch.
*/

class TaskOutputModelPrivate
{
public:
    explicit TaskOutputModelPrivate(TaskOutputModel *qq)
        : q(qq)
    { }

    void reload();
    void append(const QList<TaskId> &ids);

    TaskOutputModel *const q;
    QPointer<TaskListModel> source;
    QList<QMetaObject::Connection> connections;
    quint64 taskId = 0;
    QList<OutputLine> lines;
    qint64 lastNumber = 0; // the number of the last line held, in the task's whole output
};

void TaskOutputModelPrivate::reload()
{
    const int before = int(lines.size());
    q->beginResetModel();
    lines = source && taskId ? source->outputTail(taskId) : QList<OutputLine>();
    lastNumber = source && taskId ? source->outputLineCount(taskId) : 0;
    q->endResetModel();
    if (before != lines.size())
        Q_EMIT q->countChanged();
}

void TaskOutputModelPrivate::append(const QList<TaskId> &ids)
{
    if (!source || !taskId || !ids.contains(taskId))
        return;
    const qint64 total = source->outputLineCount(taskId);
    const QList<OutputLine> tail = source->outputTail(taskId);
    const qsizetype fresh = qsizetype(std::min<qint64>(total - lastNumber, tail.size()));
    const qsizetype limit = source->outputLineLimit();
    if (fresh <= 0)
        return;
    const qsizetype overflow = lines.size() + fresh - limit;
    if (overflow >= lines.size() && !lines.isEmpty()) {
        reload(); // the batch alone fills the tail: one reset beats a remove plus an insert
        return;
    }
    if (overflow > 0) {
        q->beginRemoveRows({}, 0, int(overflow - 1));
        lines.remove(0, overflow);
        q->endRemoveRows();
    }
    const int first = int(lines.size());
    q->beginInsertRows({}, first, int(first + fresh - 1));
    lines.append(tail.mid(tail.size() - fresh));
    lastNumber = total;
    q->endInsertRows();
    Q_EMIT q->countChanged();
}

// ---------------------------------------------------------------------------------------------

TaskOutputModel::TaskOutputModel(QObject *parent)
    : QAbstractListModel(parent)
    , d(std::make_unique<TaskOutputModelPrivate>(this))
{ }

TaskOutputModel::~TaskOutputModel() = default;

TaskListModel *TaskOutputModel::source() const
{
    return d->source;
}

void TaskOutputModel::setSource(TaskListModel *source)
{
    if (d->source == source)
        return;
    for (const auto &c : std::as_const(d->connections))
        disconnect(c);
    d->connections.clear();
    d->source = source;
    if (source) {
        auto reload = [this] { d->reload(); };
        d->connections = {
            connect(source, &TaskListModel::outputAppended, this,
                    [this](const QList<TaskId> &ids) { d->append(ids); }),
            connect(source, &TaskListModel::taskRemoved, this,
                    [this](TaskId id) {
                        if (id == d->taskId)
                            d->reload();
                    }),
            connect(source, &TaskListModel::outputLineLimitChanged, this, reload),
            connect(source, &QObject::destroyed, this,
                    [this] {
                        d->source = nullptr;
                        d->connections.clear();
                        d->reload();
                        Q_EMIT sourceChanged();
                    }),
        };
    }
    d->reload();
    Q_EMIT sourceChanged();
}

quint64 TaskOutputModel::taskId() const
{
    return d->taskId;
}

void TaskOutputModel::setTaskId(quint64 id)
{
    if (d->taskId == id)
        return;
    d->taskId = id;
    d->reload();
    Q_EMIT taskIdChanged();
}

int TaskOutputModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(d->lines.size());
}

QVariant TaskOutputModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const OutputLine &line = d->lines.at(index.row());
    switch (role) {
    case Qt::DisplayRole:
    case LineRole:
        return line.text;
    case ChannelRole:
        return line.channel == OutputChannel::Stdout ? QStringLiteral("stdout")
                                                     : QStringLiteral("stderr");
    case LineNumberRole:
        return d->lastNumber - d->lines.size() + index.row() + 1;
    default:
        return {};
    }
}

QHash<int, QByteArray> TaskOutputModel::roleNames() const
{
    return {
        { Qt::DisplayRole, "display" },
        { LineRole, "line" },
        { ChannelRole, "channel" },
        { LineNumberRole, "lineNumber" },
    };
}

} // namespace TaskConductor
