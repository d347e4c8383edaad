// SPDX-License-Identifier: MIT
#pragma once

#include "linesplitter.h"
#include "longtimer.h"
#include "resolvedtask.h"

#include <taskconductor/broker.h>
#include <taskconductor/executor.h>

#include <QtCore/qelapsedtimer.h>
#include <QtCore/qobject.h>
#include <QtCore/qstringconverter.h>

#include <memory>

namespace TaskConductor {

class TaskRunHost;

//! One launched task: owns its current process, its timers (timeout, kill grace, retry delay)
//! and its line splitters, and turns what the process does into events. The Broker decides when
//! it may launch; the TaskRun decides what happens to its attempts, from its ResolvedTask alone,
//! and tells the Broker through TaskRunHost.
class TaskRun final : public QObject, private TaskProcessObserver
{
public:
    enum class StopReason { None, Cancel, Timeout, IdleTimeout };

    TaskRun(TaskRunHost *host, ResolvedTask task, TaskEventHandler handler, QObject *parent);
    ~TaskRun() override;

    TaskId id() const { return m_task.launch.taskId; }
    TaskState state() const { return m_state; }
    const QString &lane() const { return m_task.lane; }
    const TaskEventHandler &handler() const { return m_handler; }

    //! Starts the next attempt; the Broker gave it a slot. State: Pending/RetryWait -> Running.
    void launch();
    //! cancel(): Running -> Stopping (then `canceled`); RetryWait -> Done with `canceled` now.
    //! Returns false if the task is already stopping or done.
    bool cancel();
    //! Stopping: SIGKILL to the process group now, without waiting for the grace period.
    void killNow();
    //! The Broker is being destroyed: stop the process group now (SIGTERM), report nothing more.
    void beginShutdown();
    //! The one place that blocks: at most \a graceMsecs for the process to end after
    //! beginShutdown() (TaskProcessBlockingInterface::reap()), or kills it at once without one.
    void finishShutdown(int graceMsecs);
    //! The Broker is gone (destroyed from inside a handler): report nothing more.
    void detach();
    qint64 elapsedMs() const { return m_clock.isValid() ? m_clock.elapsed() : 0; }
    int attempt() const { return m_attempt; }
    //! What the task cost so far (TaskMetrics); terminal events carry it.
    TaskMetrics metrics() const;
    //! Broker::writeStdin(): queues \a bytes for the running attempt's stdin (StdinMode::Open),
    //! unless what it has not read yet plus these would pass \a limit.
    StdinWriteResult writeStdin(QByteArrayView bytes, qint64 limit);
    //! Broker::closeStdin(): the running attempt's stdin ends once what is queued is written.
    bool closeStdin();

private:
    void processStarted() override;
    void processOutput(OutputChannel channel, QByteArrayView chunk) override;
    void processOutputShared(OutputChannel channel, const QByteArray &chunk) override;
    void output(OutputChannel channel, QByteArrayView chunk, const QByteArray *shared);
    void processEnded(const ProcessEnd &end) override;

    void setState(TaskState state);
    bool deliver(const TaskEvent &event); // false: the Broker was destroyed meanwhile
    void stop(StopReason reason);
    void onTimeout();
    void onIdleCheck();
    bool stdinIsOpen() const;
    void onGraceExpired();
    void onRetryDue();
    void flushLines();
    void emitLine(OutputChannel channel, QByteArrayView line);

    // Batched output (ResolvedTask::outputBatching): the lines of one read (or of the splitter's
    // carry, at the end: flush), one event.
    struct BoundsCursor
    {
        qsizetype *at;
        qsizetype *end;
    };
    void batchLines(OutputChannel channel, QByteArrayView chunk, const QByteArray *shared,
                    LineSplitter &splitter, bool flush);
    BoundsCursor boundsCursor(qsizetype used);
    bool retryAllowed(const ProcessEnd &end) const;
    void scheduleRetry(int exitCode);
    void finish(const TaskEvent &terminal);
    LongTimer *makeTimer(void (TaskRun::*slot)());

    TaskRunHost *m_host;
    const ResolvedTask m_task;
    TaskEventHandler m_handler;
    std::unique_ptr<TaskProcess> m_process;
    LineSplitter m_stdout;
    LineSplitter m_stderr;
    // The last long line's text, reused for the next one when no handler kept it (emitLine()).
    QString m_line;
    // Stateless: each line decodes on its own, as QString::fromUtf8() does (BOM dropped).
    QStringDecoder m_decoder { QStringDecoder::Utf8, QStringDecoder::Flag::Stateless };
    QElapsedTimer m_clock;
    // Any duration: QTimer alone wraps beyond 2^31 ms (a 4,294,968 s timeout fired after 0.7 s).
    LongTimer *m_timeoutTimer = nullptr;
    LongTimer *m_graceTimer = nullptr;
    LongTimer *m_retryTimer = nullptr;
    struct
    {
        QByteArray carried; // lines not in the chunk (from the splitter's carry)
        QByteArray bytes; // the chunk's lines, then carried: what the event shares
        QList<qsizetype> bounds; // begin and end of each line in bytes
    } m_batch;
    // Rearmed when it fires, not per output chunk: a chunk only notes the time (m_lastOutputMs).
    LongTimer *m_idleTimer = nullptr;
    QElapsedTimer m_attemptClock; // from the running attempt's start
    qint64 m_lastOutputMs = 0; // on m_attemptClock
    TaskMetrics m_metrics; // queueMs set at the first start; cpu and RSS -1 until known
    bool m_queueMeasured = false;
    bool m_stdinClosed = false;
    int m_attempt = 0;
    TaskState m_state = TaskState::Pending;
    StopReason m_stopReason = StopReason::None;
    bool m_shuttingDown = false;
};

} // namespace TaskConductor
