// SPDX-License-Identifier: MIT
#include "taskrun.h"
#include "outputlines_p.h"
#include "taskrunhost.h"

#include <algorithm>

namespace TaskConductor {

/*!
    \class TaskConductor::TaskRun
    \internal
    Lifecycle of one task once it has left the pending queue. State changes happen in
    setState() only, so that the Broker's counts follow every transition (TaskRunHost):

        Pending -> Running -> Stopping -> Running (retry) ... -> Done
                      \\-> RetryWait -> Running ...

    Exactly one terminal event: finish() is the only place that publishes one, and it refuses a
    second call. After the Broker is destroyed from inside a handler, m_host is null and the run
    only winds down.
*/

TaskRun::TaskRun(TaskRunHost *host, ResolvedTask task, TaskEventHandler handler, QObject *parent)
    : QObject(parent)
    , m_host(host)
    , m_task(std::move(task))
    , m_handler(std::move(handler))
    , m_stdout(m_task.maxLineBytes)
    , m_stderr(m_task.maxLineBytes)
{ }

TaskRun::~TaskRun() = default; // m_process kills and reaps a process still running

void TaskRun::setState(TaskState state)
{
    const TaskState from = std::exchange(m_state, state);
    if (m_host && from != state)
        m_host->runStateChanged(this, from, state);
}

LongTimer *TaskRun::makeTimer(void (TaskRun::*slot)())
{
    auto *timer = new LongTimer(this); // single shot, precise
    connect(timer, &LongTimer::timeout, this, slot);
    return timer;
}

void TaskRun::launch()
{
    Q_ASSERT(m_state == TaskState::Pending || m_state == TaskState::RetryWait);
    if (m_attempt == 0)
        m_clock.start();
    ++m_attempt;
    m_stopReason = StopReason::None;
    m_stdinClosed = false;
    m_stdout.reset();
    m_stderr.reset();
    setState(TaskState::Running);
    m_process = m_host->createProcess(this); // the previous attempt's process goes here
    m_process->start(m_task.launch);
}

bool TaskRun::deliver(const TaskEvent &event)
{
    if (!m_host)
        return false;
    m_host->publish(m_handler, event);
    return m_host != nullptr;
}

void TaskRun::processStarted()
{
    m_attemptClock.start();
    m_lastOutputMs = 0;
    if (!m_queueMeasured) {
        m_queueMeasured = true;
        m_metrics.queueMs = std::max<qint64>(0, monotonicMs() - m_task.enqueuedAtMs);
    }
    if (m_task.idleTimeoutMs > 0 && m_state == TaskState::Running) {
        if (!m_idleTimer)
            m_idleTimer = makeTimer(&TaskRun::onIdleCheck);
        m_idleTimer->start(std::chrono::milliseconds(m_task.idleTimeoutMs));
    }
    // The timeout counts from the start, as locally: not the wait for a cluster's resources.
    if (m_task.timeoutMs > 0 && m_state == TaskState::Running) {
        if (!m_timeoutTimer)
            m_timeoutTimer = makeTimer(&TaskRun::onTimeout);
        m_timeoutTimer->start(std::chrono::milliseconds(m_task.timeoutMs));
    }
    deliver(TaskEvent::started(id(), m_attempt, m_task.launch.command,
                               m_task.launch.workingDirectory, m_task.priority, m_task.lane));
}

void TaskRun::emitLine(OutputChannel channel, QByteArrayView line)
{
    if (!m_host)
        return;
    ++(channel == OutputChannel::Stdout ? m_metrics.stdoutLines : m_metrics.stderrLines);
    // A short line costs one small allocation, which malloc serves from its cache. A long one
    // (100 KB lines in bench_host) got fresh pages from the kernel every time, and the page
    // faults dominated the profile: long lines are decoded into the previous long line's
    // buffer. One a handler kept is left to the handler (writing would detach, i.e. copy it).
    constexpr qsizetype reuseFromBytes = 4096;
    if (line.size() < reuseFromBytes) {
        if (!m_line.isNull())
            m_line = QString();
        // As TaskEvent::decodeLine(): ASCII widened in the one pass that checks it (Latin-1's
        // and the check's own passes cost more than the rest of a short line's decoding).
        QString text(line.size(), Qt::Uninitialized);
        if (!OutputLines::widenAscii(line, reinterpret_cast<char16_t *>(text.data())))
            text = QString::fromUtf8(line);
        deliver(TaskEvent::output(id(), m_attempt, channel, std::move(text)));
        return;
    }
    if (!m_line.isDetached())
        m_line = QString();
    m_line.resize(line.size()); // UTF-8 never needs more UTF-16 units than it has bytes
    const QChar *end = m_decoder.appendToBuffer(m_line.data(), line);
    m_line.truncate(end - m_line.constData());
    deliver(TaskEvent::output(id(), m_attempt, channel, m_line));
}

void TaskRun::processOutput(OutputChannel channel, QByteArrayView chunk)
{
    output(channel, chunk, nullptr);
}

void TaskRun::processOutputShared(OutputChannel channel, const QByteArray &chunk)
{
    output(channel, chunk, &chunk);
}

// \a shared: \a chunk as a QByteArray that a batch may share instead of copying it.
void TaskRun::output(OutputChannel channel, QByteArrayView chunk, const QByteArray *shared)
{
    (channel == OutputChannel::Stdout ? m_metrics.stdoutBytes : m_metrics.stderrBytes) +=
            chunk.size();
    if (m_idleTimer)
        m_lastOutputMs = m_attemptClock.elapsed();
    if (m_host)
        m_host->rawOutput(id(), m_attempt, channel, chunk);
    LineSplitter &splitter = channel == OutputChannel::Stdout ? m_stdout : m_stderr;
    if (m_task.outputBatching)
        return batchLines(channel, chunk, shared, splitter, false);
    splitter.feed(chunk, [this, channel](QByteArrayView line) { emitLine(channel, line); });
}

void TaskRun::flushLines()
{
    if (m_task.outputBatching) {
        batchLines(OutputChannel::Stdout, {}, nullptr, m_stdout, true);
        batchLines(OutputChannel::Stderr, {}, nullptr, m_stderr, true);
        return;
    }
    m_stdout.flush([this](QByteArrayView line) { emitLine(OutputChannel::Stdout, line); });
    m_stderr.flush([this](QByteArrayView line) { emitLine(OutputChannel::Stderr, line); });
}

// A batch's buffers are reused: an event shares them (copy on write), and when no handler kept
// it they come back unshared, so a long-running stream allocates nothing per read.
//
// Most lines lie in the chunk just read: the splitter gives them as offsets, which are written
// straight into the bounds, and the event shares the read (or, from an executor that reports a
// view, a copy of it). Only a line completed from the splitter's carry, or cut out of it, is
// copied alone, and placed after the chunk.
void TaskRun::batchLines(OutputChannel channel, QByteArrayView chunk, const QByteArray *shared,
                         LineSplitter &splitter, bool flush)
{
    m_batch.carried.resize(0);
    BoundsCursor bounds = boundsCursor(0);
    qsizetype chunkUsed = 0; // the lines in chunk end before this
    auto carriedLine = [&](QByteArrayView line) {
        const qsizetype begin = chunk.size() + m_batch.carried.size();
        m_batch.carried.append(line);
        if (Q_UNLIKELY(bounds.end - bounds.at < 2))
            bounds = boundsCursor(bounds.at - m_batch.bounds.constData());
        bounds.at[0] = begin;
        bounds.at[1] = begin + line.size();
        bounds.at += 2;
    };
    if (flush) {
        splitter.flush(carriedLine);
    } else {
        splitter.feed(
                chunk,
                [&](qsizetype begin, qsizetype end) {
                    if (Q_UNLIKELY(bounds.end - bounds.at < 2))
                        bounds = boundsCursor(bounds.at - m_batch.bounds.constData());
                    bounds.at[0] = begin;
                    bounds.at[1] = end;
                    bounds.at += 2;
                    chunkUsed = end;
                },
                carriedLine);
    }
    const qsizetype boundsUsed = bounds.at - m_batch.bounds.constData();
    if (!m_host || boundsUsed == 0)
        return;
    (channel == OutputChannel::Stdout ? m_metrics.stdoutLines : m_metrics.stderrLines) +=
            boundsUsed / 2;
    m_batch.bounds.resize(boundsUsed);
    if (shared) { // the read itself, its partial last line unused; carried lines apart
        deliver(TaskEvent::outputBatch(id(), m_attempt, channel, *shared, m_batch.bounds,
                                       m_batch.carried));
        return;
    }
    // A partial last line stays with the splitter: the chunk's tail after chunkUsed is not
    // needed, unless carried lines follow it (their bounds count from the chunk's end).
    const qsizetype chunkBytes = m_batch.carried.isEmpty() ? chunkUsed : chunk.size();
    m_batch.bytes.resize(0);
    m_batch.bytes.reserve(chunkBytes + m_batch.carried.size());
    m_batch.bytes.append(chunk.first(chunkBytes));
    m_batch.bytes.append(m_batch.carried);
    deliver(TaskEvent::outputBatch(id(), m_attempt, channel, m_batch.bytes, m_batch.bounds));
}

TaskRun::BoundsCursor TaskRun::boundsCursor(qsizetype used)
{
    // Room for at least one more line; data() makes the list unshared (an event kept it).
    const qsizetype size = m_batch.bounds.size();
    if (used == 0 || size - used < 2)
        m_batch.bounds.resize(std::max<qsizetype>(256, used == 0 ? size : 2 * size));
    qsizetype *const data = m_batch.bounds.data();
    return { data + used, data + m_batch.bounds.size() };
}

void TaskRun::processEnded(const ProcessEnd &end)
{
    if (m_timeoutTimer)
        m_timeoutTimer->stop();
    if (m_graceTimer)
        m_graceTimer->stop();
    if (m_idleTimer)
        m_idleTimer->stop();
    if (m_attemptClock.isValid()) {
        m_metrics.runMs += m_attemptClock.elapsed();
        m_attemptClock.invalidate();
    }
    if (end.cpuMs >= 0)
        m_metrics.cpuMs = std::max<qint64>(0, m_metrics.cpuMs) + end.cpuMs;
    if (end.maxRssKb >= 0)
        m_metrics.maxRssKb = std::max(m_metrics.maxRssKb, end.maxRssKb);
    flushLines();
    if (!m_host || m_state == TaskState::Done)
        return;

    const qint64 elapsed = elapsedMs();
    switch (m_stopReason) {
    case StopReason::Cancel:
        return finish(TaskEvent::canceled(id(), m_attempt, elapsed));
    case StopReason::Timeout:
    case StopReason::IdleTimeout:
        if (m_task.retry.retryOnTimeout && m_attempt <= m_task.retry.count)
            return scheduleRetry(-1);
        return finish(TaskEvent::timeout(id(), m_attempt, elapsed,
                                         m_stopReason == StopReason::IdleTimeout
                                                 ? TimeoutReason::Idle
                                                 : TimeoutReason::Deadline));
    case StopReason::None:
        break;
    }
    switch (end.reason) {
    case ProcessEndReason::FailedToStart: {
        const QString why = end.startFailure == StartFailure::WorkingDirectory
                ? QStringLiteral("working directory '%1': %2")
                          .arg(m_task.launch.workingDirectory, end.errorString)
                : end.errorString;
        return finish(TaskEvent::failed(id(), m_attempt, -1, elapsed,
                                        QStringLiteral("failed to start '%1': %2")
                                                .arg(m_task.launch.command.first(), why)));
    }
    case ProcessEndReason::Exited: {
        const QList<int> &success = m_task.successExitCodes;
        if (success.isEmpty() ? end.exitCode == 0 : success.contains(end.exitCode))
            return finish(TaskEvent::finished(id(), m_attempt, elapsed, end.exitCode));
        if (m_attempt <= m_task.retry.count && m_task.retry.retriesExitCode(end.exitCode))
            return scheduleRetry(end.exitCode);
        return finish(TaskEvent::failed(id(), m_attempt, end.exitCode, elapsed));
    }
    case ProcessEndReason::Crashed:
        if (m_attempt <= m_task.retry.count && m_task.retry.retryOnSignal)
            return scheduleRetry(-end.exitCode);
        return finish(TaskEvent::failed(id(), m_attempt, -end.exitCode, elapsed, end.errorString));
    }
}

void TaskRun::scheduleRetry(int exitCode)
{
    const auto delay = m_task.retry.delayAfter(m_attempt, m_host->nextRandom());
    setState(TaskState::RetryWait);
    TaskRunHost *host = m_host;
    if (!deliver(TaskEvent::retrying(id(), m_attempt, exitCode, delay.count())))
        return;
    if (m_state != TaskState::RetryWait)
        return; // the handler canceled it
    if (!m_retryTimer)
        m_retryTimer = makeTimer(&TaskRun::onRetryDue);
    m_retryTimer->start(delay);
    host->runFreedSlot();
}

void TaskRun::onRetryDue()
{
    if (m_host && m_state == TaskState::RetryWait)
        m_host->runWantsSlot(this);
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
        finish(TaskEvent::canceled(id(), m_attempt, elapsedMs()));
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

void TaskRun::onIdleCheck()
{
    if (m_state != TaskState::Running || !m_attemptClock.isValid())
        return;
    const qint64 silentMs = m_attemptClock.elapsed() - m_lastOutputMs;
    if (silentMs >= m_task.idleTimeoutMs)
        return stop(StopReason::IdleTimeout);
    m_idleTimer->start(std::chrono::milliseconds(m_task.idleTimeoutMs - silentMs));
}

TaskMetrics TaskRun::metrics() const
{
    TaskMetrics metrics = m_metrics;
    if (!m_queueMeasured && m_attempt > 0) // launched, never started (a start failure)
        metrics.queueMs = std::max<qint64>(0, monotonicMs() - m_task.enqueuedAtMs);
    if (m_attemptClock.isValid()) // still running (the Broker's destruction)
        metrics.runMs += m_attemptClock.elapsed();
    return metrics;
}

bool TaskRun::stdinIsOpen() const
{
    return m_task.launch.stdinMode == StdinMode::Open && m_state == TaskState::Running && m_process
            && !m_process->hasEnded() && !m_stdinClosed;
}

StdinWriteResult TaskRun::writeStdin(QByteArrayView bytes, qint64 limit)
{
    if (!stdinIsOpen())
        return StdinWriteResult::NotOpen;
    if (m_process->stdinBytesPending() + bytes.size() > limit)
        return StdinWriteResult::BufferFull;
    m_process->writeStdin(bytes);
    return StdinWriteResult::Written;
}

bool TaskRun::closeStdin()
{
    if (!stdinIsOpen())
        return false;
    m_stdinClosed = true;
    m_process->closeStdin();
    return true;
}

void TaskRun::stop(StopReason reason)
{
    m_stopReason = reason;
    setState(TaskState::Stopping);
    if (m_timeoutTimer)
        m_timeoutTimer->stop();
    if (m_idleTimer)
        m_idleTimer->stop();
    const int graceMs = m_task.killGraceMs;
    if (graceMs <= 0) {
        m_process->kill();
        return;
    }
    m_process->terminate();
    if (!m_graceTimer)
        m_graceTimer = makeTimer(&TaskRun::onGraceExpired);
    m_graceTimer->start(std::chrono::milliseconds(graceMs));
}

void TaskRun::killNow()
{
    if (m_graceTimer)
        m_graceTimer->stop();
    if (m_state == TaskState::Stopping && m_process)
        m_process->kill();
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
        qCWarning(lcBroker, "task %llu: a second terminal event was suppressed", id());
        return;
    }
    setState(TaskState::Done);
    TaskRunHost *host = m_host;
    if (!deliver(terminal.withMetrics(metrics())))
        return;
    host->runEnded(this);
}

void TaskRun::beginShutdown()
{
    if (m_timeoutTimer)
        m_timeoutTimer->stop();
    if (m_idleTimer)
        m_idleTimer->stop();
    if (m_graceTimer)
        m_graceTimer->stop();
    if (m_retryTimer)
        m_retryTimer->stop();
    if (m_process && (m_state == TaskState::Running || m_state == TaskState::Stopping))
        m_process->terminate();
}

void TaskRun::finishShutdown(int graceMsecs)
{
    m_host = nullptr;
    if (m_process) {
        m_process->detachObserver();
        if (TaskProcessBlockingInterface *blocking = m_process->blockingInterface())
            blocking->reap(m_state == TaskState::RetryWait ? 0 : graceMsecs);
        else if (!m_process->hasEnded())
            m_process->kill();
    }
    m_state = TaskState::Done;
}

void TaskRun::detach()
{
    m_host = nullptr;
}

} // namespace TaskConductor
