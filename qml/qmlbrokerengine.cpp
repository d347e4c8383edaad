// SPDX-License-Identifier: MIT
// QmlBroker's engine: the Broker created at the first enqueue(), and its signals turned into
// the QML signals, counters and model rows.
#include "qmlbroker_p.h"

#include <taskconductor/tasklistmodel.h>

#include <QtCore/qmetaobject.h>

namespace TaskConductor {

Broker *QmlBrokerPrivate::engine()
{
    if (!broker) {
        broker = new Broker(config, q);
        connectEngine(broker);
        tasks->setBroker(broker);
        // `started` from the event, which carries the priority and lane that Broker::started
        // lacks; connected after the model, so that the task's row is up to date when QML hears.
        QObject::connect(broker, &Broker::eventOccurred, q, [this](const TaskEvent &event) {
            if (event.kind() == EventKind::Started)
                Q_EMIT q->started(event.taskId(), event.command(), event.workingDirectory(),
                                  event.priority(), event.lane());
        });
        if (paused)
            broker->pause();
        for (const QString &lane : std::as_const(pausedLanes))
            broker->pauseLane(lane);
        Q_EMIT q->activeChanged();
    }
    return broker;
}

void QmlBrokerPrivate::connectEngine(Broker *b)
{
    QObject::connect(b, &Broker::countsChanged, q, &QmlBroker::countsChanged);
    QObject::connect(b, &Broker::drained, q, &QmlBroker::drained);
    QObject::connect(b, &Broker::stdoutLine, q,
                     [this](TaskId id, const QString &line) { Q_EMIT q->stdoutLine(id, line); });
    QObject::connect(b, &Broker::stderrLine, q,
                     [this](TaskId id, const QString &line) { Q_EMIT q->stderrLine(id, line); });
    QObject::connect(b, &Broker::finished, q, [this](TaskId id, int exitCode, qint64 ms) {
        ++finished;
        Q_EMIT q->countsChanged();
        Q_EMIT q->finished(id, exitCode, double(ms));
    });
    QObject::connect(b, &Broker::failed, q,
                     [this](TaskId id, int exitCode, qint64 ms, const QString &message) {
                         ++failed;
                         Q_EMIT q->countsChanged();
                         Q_EMIT q->failed(id, exitCode, double(ms), message);
                     });
    QObject::connect(b, &Broker::timedOut, q, [this](TaskId id, qint64 ms) {
        ++failed;
        Q_EMIT q->countsChanged();
        Q_EMIT q->timedOut(id, double(ms));
    });
    QObject::connect(b, &Broker::canceled, q, [this](TaskId id, qint64 ms) {
        ++canceled;
        Q_EMIT q->countsChanged();
        Q_EMIT q->canceled(id, double(ms));
    });
    QObject::connect(b, &Broker::retrying, q,
                     [this](TaskId id, int attempt, int exitCode, qint64 delayMs) {
                         Q_EMIT q->retrying(id, attempt, exitCode, double(delayMs));
                     });
    // A terminal internalError refuses an enqueue (queue full, empty command, shutdown).
    QObject::connect(b, &Broker::eventOccurred, q, [this](const TaskEvent &event) {
        if (event.kind() != EventKind::InternalError)
            return;
        if (event.isTerminal())
            refuse(event.taskId(), event.message());
        else
            Q_EMIT q->internalError(event.taskId(), event.message());
    });
}

void QmlBrokerPrivate::refuse(TaskId id, const QString &message)
{
    ++rejected;
    if (lastError != message) {
        lastError = message;
        Q_EMIT q->lastErrorChanged();
    }
    Q_EMIT q->countsChanged();
    Q_EMIT q->rejected(id, message);
}

void QmlBrokerPrivate::setConfig(const std::function<void(BrokerConfig &)> &change)
{
    change(config);
    Q_EMIT q->configChanged();
}

} // namespace TaskConductor
