// SPDX-License-Identifier: MIT
#pragma once

#include <taskconductor/taskconductormodels_export.h>
#include <taskconductor/taskevent.h>
#include <taskconductor/types.h>

#include <QtCore/qabstractitemmodel.h>
#include <QtCore/qlist.h>

#include <memory>

namespace TaskConductor {

class Broker;
class TaskDescriptor;
class TaskListModelPrivate;

//! One line of a task's output, as kept in the bounded tail of its row.
struct OutputLine
{
    QString text;
    OutputChannel channel = OutputChannel::Stdout;
};

//! One row per task of a Broker, for views (Qt Quick or widgets), updated live from its events.
//!
//! Contracts:
//! - Events update the row data at once; views hear of it in one batch of dataChanged per
//!   updateIntervalMs (0: at once), so a task printing 100,000 lines per second costs a view one
//!   update per frame, not one per line.
//! - Rows are appended (addTask() or a task's first event) and removed only by clear(),
//!   removeDone() or the finishedRowLimit; a row is never moved.
//! - Each row keeps at most outputLineLimit lines of output (the tail); memory stays bounded by
//!   finishedRowLimit plus the tasks not yet done.
//! - A row added with dependencies (addTask()) is blocked until each of them ended `finished`
//!   (its terminal event, or, for a task without a row here, the Broker's state Done); one that
//!   ends otherwise ends the dependent's row through the dependent's own `canceled` event.
class TASKCONDUCTORMODELS_EXPORT TaskListModel : public QAbstractListModel
{
    Q_OBJECT
    Q_PROPERTY(int count READ rowCount NOTIFY countChanged)
    Q_PROPERTY(int updateIntervalMs READ updateIntervalMs WRITE setUpdateIntervalMs NOTIFY
                       updateIntervalMsChanged)
    Q_PROPERTY(int outputLineLimit READ outputLineLimit WRITE setOutputLineLimit NOTIFY
                       outputLineLimitChanged)
    Q_PROPERTY(int finishedRowLimit READ finishedRowLimit WRITE setFinishedRowLimit NOTIFY
                       finishedRowLimitChanged)

public:
    enum Role {
        TaskIdRole = Qt::UserRole + 1, //!< quint64
        NameRole, //!< the descriptor's name, else the program's file name
        CommandRole, //!< QStringList, argv
        StateRole, //!< QString: blocked, pending, running, retrying, finished, failed, canceled,
                   //!< timeout, rejected
        AttemptRole, //!< int, 1-based run; 0 before the first one
        ExitCodeRole, //!< int (negative signal number for a crash); 0 until the task ended
        DurationMsRole, //!< qint64, from the terminal event; -1 until the task ended
        LastLineRole, //!< QString, the latest output line of either channel
        ErrorStringRole, //!< QString, why the task failed or was rejected; empty otherwise
        LineCountRole, //!< qint64, output lines received so far (also those dropped from the tail)
        DoneRole, //!< bool, the task received its terminal event
        StartedAtRole, //!< qint64, ms since the epoch when the first attempt started; 0 before
        PriorityRole, //!< int, TaskDescriptor::priority()
        LaneRole, //!< QString, TaskDescriptor::lane() ("" the default lane)
        BlockedRole, //!< bool, waiting for dependencies that have not finished yet
        WaitingForRole, //!< QVariantList of quint64: the dependencies it still waits for
        WaitingForNamesRole, //!< QStringList: their names (as NameRole), "#id" for rows not here
        MetricsRole, //!< QVariantMap of the terminal event's TaskMetrics (queueMs, runMs,
                     //!< stdoutBytes, ..., cpuMs and maxRssKb when known); empty until it ended
    };
    Q_ENUM(Role)

    explicit TaskListModel(QObject *parent = nullptr);
    ~TaskListModel() override;

    //! Follows every event of \a broker (nullptr: none). Does not take ownership.
    void setBroker(Broker *broker);
    //! A row for task \a id (pending), or the name and command for a row that events created.
    void addTask(TaskId id, const TaskDescriptor &task);
    //! Updates the row of event.taskId(), creating it if needed.
    void applyEvent(const TaskEvent &event);

    int rowCount(const QModelIndex &parent = QModelIndex()) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QHash<int, QByteArray> roleNames() const override;

    //! The row of task \a id, or -1.
    Q_INVOKABLE int rowOf(quint64 id) const;
    //! The task id of \a row, or 0.
    Q_INVOKABLE quint64 taskIdAt(int row) const;
    //! Removes every row.
    Q_INVOKABLE void clear();
    //! Removes the rows of tasks that are done.
    Q_INVOKABLE void removeDone();
    //! Emits the batched dataChanged now instead of at the next tick.
    Q_INVOKABLE void flush();

    //! The last outputLineLimit lines of task \a id (oldest first).
    QList<OutputLine> outputTail(TaskId id) const;
    //! How many lines task \a id printed so far (the tail holds the last of them).
    qint64 outputLineCount(TaskId id) const;

    //! How long changes wait to be announced together (default 25 ms; 0: at once, per event).
    int updateIntervalMs() const;
    void setUpdateIntervalMs(int ms);
    //! Output lines kept per task (default 1000; 0: none, lastLine and lineCount still work).
    int outputLineLimit() const;
    void setOutputLineLimit(int lines);
    //! Done rows kept; beyond it the oldest done rows are removed (default 10000; -1: all).
    int finishedRowLimit() const;
    void setFinishedRowLimit(int rows);

Q_SIGNALS:
    void countChanged();
    //! At each batch, the tasks that printed since the previous one (for TaskOutputModel).
    void outputAppended(const QList<TaskConductor::TaskId> &ids);
    //! The row of task \a id was removed (its output is gone too).
    void taskRemoved(TaskConductor::TaskId id);
    void updateIntervalMsChanged();
    void outputLineLimitChanged();
    void finishedRowLimitChanged();

private:
    std::unique_ptr<TaskListModelPrivate> d;
    friend class TaskListModelPrivate;
};

} // namespace TaskConductor
