// SPDX-License-Identifier: MIT
// The models live in TaskConductorModels and the configuration values in the core, neither of
// which links QtQml; they are registered here.
#pragma once

#include <taskconductor/brokerconfig.h>
#include <taskconductor/retrypolicy.h>
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

//! BrokerConfig as the value type `brokerConfig` (Broker.config): its gadget properties.
struct BrokerConfigForeign
{
    Q_GADGET
    QML_FOREIGN(TaskConductor::BrokerConfig)
    QML_VALUE_TYPE(brokerConfig)
};

//! RetryPolicy as the value type `retryPolicy` (Broker.config.retry).
struct RetryPolicyForeign
{
    Q_GADGET
    QML_FOREIGN(TaskConductor::RetryPolicy)
    QML_VALUE_TYPE(retryPolicy)
};

} // namespace TaskConductor
