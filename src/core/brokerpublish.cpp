// SPDX-License-Identifier: MIT
// The Broker's publish step: every event passes here once, to the store, the enqueue's own
// handler, the log sinks and the connected signals, in that order.
#include "broker_p.h"
#include "logdispatcher.h"
#include "storerecorder.h"

#include <QtCore/qmetaobject.h>

#include <exception>

namespace TaskConductor {

DestructionGuard::DestructionGuard(BrokerPrivate *d)
    : m_d(d)
    , m_outer(std::exchange(d->destroyedFlag, &m_destroyed))
{ }

DestructionGuard::~DestructionGuard()
{
    if (m_destroyed) {
        if (m_outer)
            *m_outer = true;
    } else {
        m_d->destroyedFlag = m_outer;
    }
}

void BrokerPrivate::publish(const TaskEventHandler &handler, const TaskEvent &event)
{
    // Recorded before anyone sees it; tasks canceled by the Broker's destruction stay unfinished
    // in the store, so that the next Broker on it resumes them.
    if (!destroying && recorder->isActive()) // checked here: a call per output line costs
        recorder->record(event);
    // Known as ended before anyone sees it: a handler may enqueue a task that depends on it.
    const bool ends = event.isTerminal() && event.taskId() != 0;
    if (ends)
        taskEnded(event.taskId(), *event.outcome());
    if (event.isTerminal())
        statistics.record(event);
    DestructionGuard guard(this);
    const bool &destroyed = guard.m_destroyed;
    // Qt is not exception-safe: a throwing handler must not unwind through the event loop.
    if (handler) {
        try {
            handler(event);
        } catch (const std::exception &e) {
            qCWarning(lcBroker, "task %llu: an event handler threw: %s", event.taskId(), e.what());
        } catch (...) {
            qCWarning(lcBroker, "task %llu: an event handler threw", event.taskId());
        }
    }
    if (!destroyed)
        logging->dispatch(event); // the logs, logLineHandler, extraLogHandler, the host's sinks
    if (destroyed || destroying) // a handler or a sink may have destroyed the Broker
        return;
    // Checked here, not in emitSignals(): with nothing connected, a call per line is measurable.
    if (const quint32 connected = connectedSignals.load(std::memory_order_relaxed))
        emitSignals(event, connected, destroyed);
    // Its dependents learn of it after everyone else did, so their events follow its own.
    if (ends && !destroyed && dependents.contains(event.taskId()))
        dependencyEnded(event.taskId(), *event.outcome());
}

void BrokerPrivate::emitSignals(const TaskEvent &event, quint32 connected, const bool &destroyed)
{
    const TaskId id = event.taskId();
    if (connected & EventOccurredBit) {
        Q_EMIT q->eventOccurred(event);
        if (destroyed) // a receiver destroyed the Broker: this is gone too
            return;
    }
    if (!(connected & bitFor(event.kind())))
        return;
    switch (event.kind()) {
    case EventKind::Started:
        Q_EMIT q->started(id, event.command(), event.workingDirectory());
        break;
    case EventKind::Stdout:
    case EventKind::Stderr:
        // One signal per line, batched or not: the signals' promise.
        for (qsizetype i = 0, count = event.lineCount(); i < count; ++i) {
            if (event.kind() == EventKind::Stdout)
                Q_EMIT q->stdoutLine(id, event.lineAt(i));
            else
                Q_EMIT q->stderrLine(id, event.lineAt(i));
            if (destroyed)
                return;
        }
        break;
    case EventKind::Finished:
        Q_EMIT q->finished(id, event.exitCode(), event.durationMs());
        break;
    case EventKind::Failed:
        Q_EMIT q->failed(id, event.exitCode(), event.durationMs(), event.message());
        break;
    case EventKind::Canceled:
        Q_EMIT q->canceled(id, event.durationMs());
        break;
    case EventKind::Timeout:
        Q_EMIT q->timedOut(id, event.durationMs());
        break;
    case EventKind::Retrying:
        Q_EMIT q->retrying(id, event.attempt(), event.exitCode(), event.delayMs());
        break;
    case EventKind::InternalError:
        Q_EMIT q->internalError(id, event.message());
        break;
    }
}

void BrokerPrivate::reportNotice(const QString &message)
{
    // Queued: a sink reports from inside publish(); the notice must not overtake that event,
    // and it must never recurse into the sink that is failing.
    QMetaObject::invokeMethod(
            q, [this, message] { publish({}, TaskEvent::internalError(0, 0, message, false)); },
            Qt::QueuedConnection);
}

void Broker::connectNotify(const QMetaMethod &signal)
{
    // May run in another thread with a QObject mutex held: only set a bit. Bits are never
    // cleared on disconnect: emitting to nobody is correct, merely slower.
    static const std::pair<QMetaMethod, quint32> eventSignals[] = {
        { QMetaMethod::fromSignal(&Broker::eventOccurred), BrokerPrivate::EventOccurredBit },
        { QMetaMethod::fromSignal(&Broker::started), BrokerPrivate::bitFor(EventKind::Started) },
        { QMetaMethod::fromSignal(&Broker::stdoutLine), BrokerPrivate::bitFor(EventKind::Stdout) },
        { QMetaMethod::fromSignal(&Broker::stderrLine), BrokerPrivate::bitFor(EventKind::Stderr) },
        { QMetaMethod::fromSignal(&Broker::finished), BrokerPrivate::bitFor(EventKind::Finished) },
        { QMetaMethod::fromSignal(&Broker::failed), BrokerPrivate::bitFor(EventKind::Failed) },
        { QMetaMethod::fromSignal(&Broker::canceled), BrokerPrivate::bitFor(EventKind::Canceled) },
        { QMetaMethod::fromSignal(&Broker::timedOut), BrokerPrivate::bitFor(EventKind::Timeout) },
        { QMetaMethod::fromSignal(&Broker::retrying), BrokerPrivate::bitFor(EventKind::Retrying) },
        { QMetaMethod::fromSignal(&Broker::internalError),
          BrokerPrivate::bitFor(EventKind::InternalError) },
    };
    quint32 bits = signal.isValid() ? 0 : ~0u; // unknown: assume every signal
    for (const auto &[method, bit] : eventSignals) {
        if (method == signal)
            bits = bit;
    }
    d->connectedSignals.fetch_or(bits, std::memory_order_relaxed);
}

} // namespace TaskConductor
