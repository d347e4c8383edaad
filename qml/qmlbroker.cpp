// SPDX-License-Identifier: MIT
#include "qmlbroker.h"
#include "qmlbroker_p.h"

#include <taskconductor/broker.h>
#include <taskconductor/tasklistmodel.h>

#include <QtCore/qjsonarray.h>
#include <QtCore/qjsonobject.h>
#include <QtCore/qmetaobject.h>
#include <QtCore/qprocess.h>
#include <QtCore/qset.h>
#include <QtQml/qjsvalue.h>

namespace TaskConductor {

/*!
    \class TaskConductor::QmlBroker
    BrokerConfig is read once, by the Broker's constructor, while QML sets properties one by one
    and in no promised order. So the wrapper keeps a BrokerConfig of its own and creates the
    Broker lazily, at the first enqueue(): by then every declared property has its value.
    reset() retires the engine without blocking the GUI thread (destroying a Broker with running
    tasks waits for their process groups); the retired one is deleted when it becomes idle.
*/

QmlBroker::QmlBroker(QObject *parent)
    : QObject(parent)
    , d(std::make_unique<QmlBrokerPrivate>(this))
{
    d->tasks = new TaskListModel(this);
}

QmlBroker::~QmlBroker()
{
    // The Broker's destructor delivers `canceled` to handlers only, not to signals: the model
    // and the counters need nothing more.
    d->tasks->setBroker(nullptr);
}

quint64 QmlBroker::enqueue(const QVariant &command, const QVariantMap &options)
{
    TaskDescriptor task;
    QString error;
    if (!d->parse(command, options, &task, &error)) {
        d->refuse(0, QStringLiteral("enqueue refused: %1").arg(error));
        return 0;
    }
    Broker *broker = d->engine();
    const int refusedBefore = d->rejected;
    const TaskId id = broker->enqueue(task); // a refusal is reported before this returns
    d->tasks->addTask(id, task);
    if (d->rejected == refusedBefore) {
        ++d->accepted;
        Q_EMIT countsChanged();
    }
    return id;
}

void QmlBroker::pause()
{
    if (d->broker)
        d->broker->pause();
    if (!std::exchange(d->paused, true))
        Q_EMIT pausedChanged();
}

void QmlBroker::resume()
{
    if (d->broker)
        d->broker->resume();
    if (std::exchange(d->paused, false))
        Q_EMIT pausedChanged();
}

void QmlBroker::drain()
{
    const bool wasPaused = std::exchange(d->paused, true);
    if (!wasPaused)
        Q_EMIT pausedChanged();
    if (d->broker)
        d->broker->drain(); // drained() comes through the engine's signal
    else
        Q_EMIT drained(); // no engine: nothing runs
}

void QmlBroker::pauseLane(const QString &lane)
{
    d->pausedLanes.insert(lane);
    if (d->broker)
        d->broker->pauseLane(lane);
}

void QmlBroker::resumeLane(const QString &lane)
{
    d->pausedLanes.remove(lane);
    if (d->broker)
        d->broker->resumeLane(lane);
}

bool QmlBroker::isLanePaused(const QString &lane) const
{
    return d->pausedLanes.contains(lane);
}

bool QmlBroker::cancel(quint64 id)
{
    // Refusals (unknown, finished or stopping task) reach internalError() through the signals.
    return d->broker && d->broker->cancel(id);
}

QString QmlBroker::writeStdin(quint64 id, const QString &text)
{
    if (!d->broker)
        return QStringLiteral("notOpen");
    switch (d->broker->writeStdin(id, text.toUtf8())) {
    case StdinWriteResult::Written:
        return QStringLiteral("written");
    case StdinWriteResult::BufferFull:
        return QStringLiteral("bufferFull");
    case StdinWriteResult::NotOpen:
        break;
    }
    return QStringLiteral("notOpen");
}

bool QmlBroker::closeStdin(quint64 id)
{
    return d->broker && d->broker->closeStdin(id);
}

QVariantMap QmlBroker::statistics() const
{
    const BrokerStatistics s = d->broker ? d->broker->statistics() : BrokerStatistics();
    QVariantMap map;
    const QMetaObject &meta = BrokerStatistics::staticMetaObject;
    for (int i = meta.propertyOffset(); i < meta.propertyCount(); ++i)
        map.insert(QString::fromLatin1(meta.property(i).name()), meta.property(i).readOnGadget(&s));
    return map;
}

void QmlBroker::cancelAll()
{
    if (d->broker)
        d->broker->cancelAll();
}

void QmlBroker::reset()
{
    if (Broker *old = std::exchange(d->broker, nullptr)) {
        d->tasks->setBroker(nullptr);
        old->disconnect(this);
        old->cancelAll();
        if (old->isIdle())
            old->deleteLater();
        else
            connect(old, &Broker::idle, old, &QObject::deleteLater);
    }
    d->tasks->clear();
    d->finished = d->failed = d->canceled = d->rejected = d->accepted = 0;
    if (!d->lastError.isEmpty()) {
        d->lastError.clear();
        Q_EMIT lastErrorChanged();
    }
    Q_EMIT countsChanged();
    Q_EMIT activeChanged();
}

TaskListModel *QmlBroker::tasks() const
{
    return d->tasks;
}

bool QmlBroker::isActive() const
{
    return d->broker != nullptr;
}

int QmlBroker::runningCount() const
{
    return d->broker ? d->broker->runningCount() : 0;
}

int QmlBroker::pendingCount() const
{
    return d->broker ? d->broker->pendingCount() : 0;
}

int QmlBroker::retryWaitingCount() const
{
    return d->broker ? d->broker->retryWaitingCount() : 0;
}

int QmlBroker::blockedCount() const
{
    return d->broker ? d->broker->blockedCount() : 0;
}

bool QmlBroker::isPaused() const
{
    return d->paused;
}

int QmlBroker::finishedCount() const
{
    return d->finished;
}

int QmlBroker::failedCount() const
{
    return d->failed;
}

int QmlBroker::canceledCount() const
{
    return d->canceled;
}

int QmlBroker::rejectedCount() const
{
    return d->rejected;
}

int QmlBroker::acceptedCount() const
{
    return d->accepted;
}

int QmlBroker::doneCount() const
{
    return d->finished + d->failed + d->canceled;
}

bool QmlBroker::isIdle() const
{
    return !d->broker || d->broker->isIdle();
}

QString QmlBroker::lastError() const
{
    return d->lastError;
}

BrokerConfig QmlBroker::config() const
{
    return d->config;
}

void QmlBroker::setConfig(const BrokerConfig &config)
{
    // QML writes the whole value back for each field it sets; compare what QML can see, so that
    // an unchanged write does not re-evaluate the bindings on configChanged().
    const QMetaObject &meta = BrokerConfig::staticMetaObject;
    bool changed = config.defaultEnvironment != d->config.defaultEnvironment
            || config.laneLimits != d->config.laneLimits;
    for (int i = meta.propertyOffset(); !changed && i < meta.propertyCount(); ++i) {
        const QMetaProperty property = meta.property(i);
        changed = property.readOnGadget(&config) != property.readOnGadget(&d->config);
    }
    d->config = config;
    if (changed)
        Q_EMIT configChanged();
}

RetryPolicy QmlBroker::retry() const
{
    return d->config.retry;
}

void QmlBroker::setRetry(const RetryPolicy &policy)
{
    if (d->config.retry != policy)
        d->setConfig([&](BrokerConfig &c) { c.retry = policy; });
}

QVariantMap QmlBroker::defaultEnvironment() const
{
    QVariantMap map;
    for (auto it = d->config.defaultEnvironment.cbegin(); it != d->config.defaultEnvironment.cend();
         ++it)
        map.insert(it.key(), it.value());
    return map;
}

void QmlBroker::setDefaultEnvironment(const QVariantMap &value)
{
    QHash<QString, QString> environment;
    for (auto it = value.cbegin(); it != value.cend(); ++it)
        environment.insert(it.key(), plain(it.value()).toString());
    if (d->config.defaultEnvironment != environment)
        d->setConfig([&](BrokerConfig &c) { c.defaultEnvironment = environment; });
}

QVariantMap QmlBroker::laneLimits() const
{
    QVariantMap map;
    for (auto it = d->config.laneLimits.cbegin(); it != d->config.laneLimits.cend(); ++it)
        map.insert(it.key(), it.value());
    return map;
}

void QmlBroker::setLaneLimits(const QVariantMap &value)
{
    QHash<QString, int> limits;
    for (auto it = value.cbegin(); it != value.cend(); ++it)
        limits.insert(it.key(), plain(it.value()).toInt());
    if (d->config.laneLimits != limits)
        d->setConfig([&](BrokerConfig &c) { c.laneLimits = limits; });
}

} // namespace TaskConductor
