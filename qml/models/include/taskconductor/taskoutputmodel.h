// SPDX-License-Identifier: MIT
#pragma once

#include <taskconductor/taskconductormodels_export.h>
#include <taskconductor/types.h>

#include <QtCore/qabstractitemmodel.h>

#include <memory>

namespace TaskConductor {

class TaskListModel;
class TaskOutputModelPrivate;

//! The output of one task of a TaskListModel, one row per line, for a log view.
//!
//! Contracts:
//! - Holds at most the source's outputLineLimit lines: the tail; older lines leave from the top.
//! - Follows the source's batches: new lines arrive as one rowsInserted per batch (a reset when a
//!   batch alone would overflow the tail), never one signal per line.
//! - Empty when source or taskId is unset, or the task's row is removed.
class TASKCONDUCTORMODELS_EXPORT TaskOutputModel : public QAbstractListModel
{
    Q_OBJECT
    Q_PROPERTY(
            TaskConductor::TaskListModel *source READ source WRITE setSource NOTIFY sourceChanged)
    Q_PROPERTY(quint64 taskId READ taskId WRITE setTaskId NOTIFY taskIdChanged)
    Q_PROPERTY(int count READ rowCount NOTIFY countChanged)

public:
    enum Role {
        LineRole = Qt::UserRole + 1, //!< QString, also Qt::DisplayRole
        ChannelRole, //!< QString: "stdout" or "stderr"
        LineNumberRole, //!< qint64, 1-based number of the line in the task's whole output
    };
    Q_ENUM(Role)

    explicit TaskOutputModel(QObject *parent = nullptr);
    ~TaskOutputModel() override;

    TaskListModel *source() const;
    void setSource(TaskListModel *source);
    //! The task shown; 0 for none.
    quint64 taskId() const;
    void setTaskId(quint64 id);

    int rowCount(const QModelIndex &parent = QModelIndex()) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QHash<int, QByteArray> roleNames() const override;

Q_SIGNALS:
    void sourceChanged();
    void taskIdChanged();
    void countChanged();

private:
    std::unique_ptr<TaskOutputModelPrivate> d;
    friend class TaskOutputModelPrivate;
};

} // namespace TaskConductor
