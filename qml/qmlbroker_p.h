// SPDX-License-Identifier: MIT
#pragma once

// Private to the QML module: QmlBroker's state, its engine (qmlbrokerengine.cpp) and the reading
// of enqueue()'s options (qmlenqueueoptions.cpp).

#include "qmlbroker.h"

#include <taskconductor/broker.h>

#include <QtCore/qset.h>
#include <QtQml/qjsvalue.h>

#include <functional>

namespace TaskConductor {

class QmlBrokerPrivate
{
public:
    explicit QmlBrokerPrivate(QmlBroker *qq)
        : q(qq)
    { }

    Broker *engine();
    void connectEngine(Broker *broker);
    void setConfig(const std::function<void(BrokerConfig &)> &change);
    bool parse(const QVariant &command, const QVariantMap &options, TaskDescriptor *task,
               QString *error) const;
    void refuse(TaskId id, const QString &message);

    QmlBroker *const q;
    BrokerConfig config;
    Broker *broker = nullptr; // child of q; created by engine()
    TaskListModel *tasks = nullptr;
    int finished = 0;
    int failed = 0;
    int canceled = 0;
    int rejected = 0;
    int accepted = 0;
    QString lastError;
    bool paused = false;
    QSet<QString> pausedLanes;
};

//! A QJSValue (arrays and objects through a var property) as a plain QVariant.
inline QVariant plain(const QVariant &value)
{
    // Arrays and objects may arrive as QJSValue when they come through a var property.
    if (value.metaType() == QMetaType::fromType<QJSValue>())
        return value.value<QJSValue>().toVariant();
    return value;
}

} // namespace TaskConductor
