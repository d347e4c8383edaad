// SPDX-License-Identifier: MIT
#include "taskrun.h"
#include "broker_p.h"

#include <QtCore/qtimer.h>

#include <cstring>

namespace TaskConductor {

/*!
    \class TaskConductor::TaskRun
    \internal
    Lifecycle of one task once it has left the pending queue. State changes happen in
    setState() only, so that the Broker's counts follow every transition:

        Pending -> Running -> Stopping -> Running (retry) ... -> Done
                      \\-> RetryWait -> Running ...

    Exactly one terminal event: finish() is the only place that publishes one, and it refuses a
    second call. After the Broker is destroyed from inside a handler, m_broker is null and the
    run only winds down.
*/

TaskRun::TaskRun(BrokerPrivate *broker, TaskId id, TaskDescriptor task, TaskEventHandler handler)
    : m_broker(broker)
    , m_id(id)
    , m_task(std::move(task))
    , m_handler(std::move(handler))
    , m_stdout(broker->config.maxLineBytes)
    , m_stderr(broker->config.maxLineBytes)
{
    setParent(broker->q);
}

TaskRun::~TaskRun() = default; // m_process kills and reaps a process still running

void TaskRun::setState(TaskState state)
{
    const TaskState from = std::exchange(m_state, state);
    if (m_broker && from != state)
        m_broker->runStateChanged(from, state);
}

QTimer *TaskRun::makeTimer(void (TaskRun::*slot)())
{
    auto *timer = new QTimer(this);
    timer->setSingleShot(true);
    timer->setTimerType(Qt::PreciseTimer); // deadlines: the coarse timer may be 5% late
    connect(timer, &QTimer::timeout, this, slot);
    return timer;
}

void TaskRun::launch()
{
    Q_ASSERT(m_state == TaskState::Pending || m_state == TaskState::RetryWait);
    if (m_attempt == 0) {
        m_request = m_broker->resolveLaunch(m_id, m_task);
        m_timeoutMs = m_broker->resolveTimeoutMs(m_task);
        m_retry = m_broker->resolveRetry(m_task);
        m_clock.start();
    }
    ++m_attempt;
    m_stopReason = StopReason::None;
    m_stdout.reset();
    m_stderr.reset();
    setState(TaskState::Running);
    if (m_timeoutMs > 0) {
        if (!m_timeoutTimer)
            m_timeoutTimer = makeTimer(&TaskRun::onTimeout);
        m_timeoutTimer->start(std::chrono::milliseconds(m_timeoutMs));
    }
    m_process = m_broker->createProcess(this); // the previous attempt's process goes here
    m_process->start(m_request);
}

bool TaskRun::deliver(const TaskEvent &event)
{
    if (!m_broker)
        return false;
    m_broker->publish(m_handler, event);
    return m_broker != nullptr;
}

void TaskRun::processStarted()
{
    deliver(TaskEvent::started(m_id, m_attempt, m_request.command, m_request.workingDirectory));
}

static bool isAscii(QByteArrayView bytes)
{
    const char *p = bytes.data();
    const char *const end = p + bytes.size();
    for (; end - p >= 8; p += 8) {
        quint64 word;
        std::memcpy(&word, p, sizeof word);
        if (word & 0x8080808080808080ULL)
            return false;
    }
    for (; p < end; ++p) {
        if (uchar(*p) & 0x80)
            return false;
    }
    return true;
}

void TaskRun::emitLine(OutputChannel channel, QByteArrayView line)
{
    if (!m_broker)
        return;
    // A short line costs one small allocation, which malloc serves from its cache. A long one
    // (100 KB lines in bench_host) got fresh pages from the kernel every time, and the page
    // faults dominated the profile: long lines are decoded into the previous long line's
    // buffer. One a handler kept is left to the handler (writing would detach, i.e. copy it).
    constexpr qsizetype reuseFromBytes = 4096;
    if (line.size() < reuseFromBytes) {
        m_line = QString();
        // Most output is ASCII, where Latin-1 decodes the same bytes at a fraction of UTF-8's
        // per-call cost (a fifth of a short line's instructions went to the UTF-8 decoder).
        deliver(TaskEvent::output(m_id, m_attempt, channel,
                                  isAscii(line) ? QString::fromLatin1(line)
                                                : QString::fromUtf8(line)));
        return;
    }
    if (!m_line.isDetached())
        m_line = QString();
    m_line.resize(line.size()); // UTF-8 never needs more UTF-16 units than it has bytes
    const QChar *end = m_decoder.appendToBuffer(m_line.data(), line);
    m_line.truncate(end - m_line.constData());
    deliver(TaskEvent::output(m_id, m_attempt, channel, m_line));
}

void TaskRun::processOutput(OutputChannel channel, QByteArrayView chunk)
{
    LineSplitter &splitter = channel == OutputChannel::Stdout ? m_stdout : m_stderr;
    splitter.feed(chunk, [this, channel](QByteArrayView line) { emitLine(channel, line); });
}

void TaskRun::flushLines()
{
    m_stdout.flush([this](QByteArrayView line) { emitLine(OutputChannel::Stdout, line); });
    m_stderr.flush([this](QByteArrayView line) { emitLine(OutputChannel::Stderr, line); });
}

void TaskRun::processEnded(const ProcessEnd &end)
{
    if (m_timeoutTimer)
        m_timeoutTimer->stop();
    if (m_graceTimer)
        m_graceTimer->stop();
    flushLines();
    if (!m_broker || m_state == TaskState::Done)
        return;

    const qint64 elapsed = elapsedMs();
    switch (m_stopReason) {
    case StopReason::Cancel:
        return finish(TaskEvent::canceled(m_id, m_attempt, elapsed));
    case StopReason::Timeout:
        if (m_retry.retryOnTimeout && m_attempt <= m_retry.count)
            return scheduleRetry(-1);
        return finish(TaskEvent::timeout(m_id, m_attempt, elapsed));
    case StopReason::None:
        break;
    }
    switch (end.kind) {
    case ProcessEnd::Kind::FailedToStart: {
        QString why = end.message;
        if (why.startsWith(QLatin1String("chdir:")))
            why = QStringLiteral("working directory '%1': %2")
                          .arg(m_request.workingDirectory, why.mid(6).trimmed());
        return finish(TaskEvent::failed(
                m_id, m_attempt, -1, elapsed,
                QStringLiteral("failed to start '%1': %2").arg(m_request.command.first(), why)));
    }
    case ProcessEnd::Kind::Exited:
        if (end.exitCode == 0)
            return finish(TaskEvent::finished(m_id, m_attempt, elapsed));
        if (m_attempt <= m_retry.count)
            return scheduleRetry(end.exitCode);
        return finish(TaskEvent::failed(m_id, m_attempt, end.exitCode, elapsed));
    case ProcessEnd::Kind::Crashed:
        if (m_attempt <= m_retry.count)
            return scheduleRetry(-end.exitCode);
        return finish(TaskEvent::failed(m_id, m_attempt, -end.exitCode, elapsed, end.message));
    }
}

void TaskRun::scheduleRetry(int exitCode)
{
    const auto delay = m_retry.delayAfter(m_attempt, m_broker->nextRandom());
    setState(TaskState::RetryWait);
    BrokerPrivate *broker = m_broker;
    if (!deliver(TaskEvent::retrying(m_id, m_attempt, exitCode, delay.count())))
        return;
    if (m_state != TaskState::RetryWait)
        return; // the handler canceled it
    if (!m_retryTimer)
        m_retryTimer = makeTimer(&TaskRun::onRetryDue);
    m_retryTimer->start(delay);
    broker->schedule(); // our slot is free
}

void TaskRun::onRetryDue()
{
    if (m_broker && m_state == TaskState::RetryWait)
        m_broker->runWantsSlot(this);
}

bool TaskRun::cancel()
{
    switch (m_state) {
    case TaskState::Running:
        stop(StopReason::Cancel);
        return true;
    case TaskState::RetryWait:
        if (m_retryTimer)
            m_retryTimer->stop();
        finish(TaskEvent::canceled(m_id, m_attempt, elapsedMs()));
        return true;
    case TaskState::Pending:
    case TaskState::Stopping:
    case TaskState::Done:
        break;
    }
    return false;
}

void TaskRun::onTimeout()
{
    if (m_state == TaskState::Running)
        stop(StopReason::Timeout);
}

void TaskRun::stop(StopReason reason)
{
    m_stopReason = reason;
    setState(TaskState::Stopping);
    if (m_timeoutTimer)
        m_timeoutTimer->stop();
    const int graceMs = m_broker->killGraceMs;
    if (graceMs <= 0) {
        m_process->kill();
        return;
    }
    m_process->terminate();
    if (!m_graceTimer)
        m_graceTimer = makeTimer(&TaskRun::onGraceExpired);
    m_graceTimer->start(graceMs);
}

void TaskRun::onGraceExpired()
{
    if (m_state == TaskState::Stopping && m_process)
        m_process->kill();
}

void TaskRun::finish(const TaskEvent &terminal)
{
    Q_ASSERT(terminal.isTerminal());
    if (m_state == TaskState::Done) {
        qCWarning(lcBroker, "task %llu: a second terminal event was suppressed", m_id);
        return;
    }
    setState(TaskState::Done);
    BrokerPrivate *broker = m_broker;
    if (!deliver(terminal))
        return;
    broker->runEnded(this);
}

void TaskRun::beginShutdown()
{
    if (m_timeoutTimer)
        m_timeoutTimer->stop();
    if (m_graceTimer)
        m_graceTimer->stop();
    if (m_retryTimer)
        m_retryTimer->stop();
    if (m_process && (m_state == TaskState::Running || m_state == TaskState::Stopping))
        m_process->terminate();
}

void TaskRun::finishShutdown(int graceMsecs)
{
    m_broker = nullptr;
    if (m_process)
        m_process->reap(m_state == TaskState::RetryWait ? 0 : graceMsecs);
    m_state = TaskState::Done;
}

void TaskRun::detach()
{
    m_broker = nullptr;
}

} // namespace TaskConductor
