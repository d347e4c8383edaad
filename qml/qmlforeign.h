// SPDX-License-Identifier: MIT
// The models live in TaskConductorModels, which does not link QtQml; they are registered here.
#pragma once

#include <taskconductor/tasklistmodel.h>
#include <taskconductor/taskoutputmodel.h>

#include <QtQml/qqml.h>

namespace TaskConductor {

struct TaskListModelForeign
{
    Q_GADGET
    QML_FOREIGN(TaskConductor::TaskListModel)
    QML_NAMED_ELEMENT(TaskListModel)
    QML_UNCREATABLE("A Broker's tasks property provides the TaskListModel.")
};

struct TaskOutputModelForeign
{
    Q_GADGET
    QML_FOREIGN(TaskConductor::TaskOutputModel)
    QML_NAMED_ELEMENT(TaskOutputModel)
};

} // namespace TaskConductor
