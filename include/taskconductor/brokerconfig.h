// SPDX-License-Identifier: MIT
#pragma once

#include <taskconductor/retrypolicy.h>
#include <taskconductor/taskconductor_export.h>
#include <taskconductor/types.h>

#include <QtCore/qbytearrayview.h>
#include <QtCore/qhash.h>
#include <QtCore/qlist.h>
#include <QtCore/qstring.h>

#include <functional>
#include <memory>

namespace TaskConductor {

class Executor;
class LogSink;
class TaskEvent;
class TaskStore;

//! How a Broker runs tasks. A value type, read once by the Broker's constructor.
struct TASKCONDUCTOR_EXPORT BrokerConfig
{
    Q_GADGET
    Q_PROPERTY(QString defaultWorkingDirectory MEMBER defaultWorkingDirectory)
    Q_PROPERTY(double defaultTimeoutSeconds MEMBER defaultTimeoutSeconds)
    Q_PROPERTY(double defaultIdleTimeoutSeconds MEMBER defaultIdleTimeoutSeconds)
    Q_PROPERTY(int defaultStopSignal MEMBER defaultStopSignal)
    Q_PROPERTY(qint64 maxStdinBufferBytes MEMBER maxStdinBufferBytes)
    Q_PROPERTY(QString globalLogPath MEMBER globalLogPath)
    Q_PROPERTY(qint64 logRotationBytes MEMBER logRotationBytes)
    Q_PROPERTY(int logRotationBackups MEMBER logRotationBackups)
    Q_PROPERTY(TaskConductor::LogFormat logFormat MEMBER logFormat)
    Q_PROPERTY(TaskConductor::RecoveryPolicy recoveryPolicy MEMBER recoveryPolicy)
    Q_PROPERTY(int maxConcurrentTasks MEMBER maxConcurrentTasks)
    Q_PROPERTY(int maxQueueDepth MEMBER maxQueueDepth)
    Q_PROPERTY(TaskConductor::RetryPolicy retry MEMBER retry)
    Q_PROPERTY(double killGraceSeconds MEMBER killGraceSeconds)
    Q_PROPERTY(int maxLineBytes MEMBER maxLineBytes)
    Q_PROPERTY(bool outputBatching MEMBER outputBatching)
    Q_PROPERTY(bool childSubreaper MEMBER childSubreaper)

public:
    //! Working directory of tasks that name none (empty: the host's current directory).
    QString defaultWorkingDirectory;
    //! Set for every task, over the host environment; a task's own variables win.
    QHash<QString, QString> defaultEnvironment;
    //! Timeout of tasks that set none (0: none; as TaskDescriptor::timeoutSeconds()).
    double defaultTimeoutSeconds = 0;
    //! Idle timeout of tasks that set none (0: none; as TaskDescriptor::idleTimeoutSeconds()).
    double defaultIdleTimeoutSeconds = 0;
    //! The signal that stops tasks that set none (TaskDescriptor::stopSignal()); 15 is SIGTERM.
    int defaultStopSignal = 15;
    //! Broker::writeStdin() refuses bytes that would make a task's unread stdin exceed this.
    qint64 maxStdinBufferBytes = 1024 * 1024;

    //! A log file that receives one line per event of every task (empty: none).
    QString globalLogPath;
    //! The global log is rotated to "<path>.1" before it would grow past this size (0: never).
    qint64 logRotationBytes = 0;
    //! Rotated files kept: "<path>.1" (newest) ... "<path>.N"; the oldest is dropped (min 1).
    int logRotationBackups = 1;
    //! Format of the global log, the per-task logs and logLineHandler.
    LogFormat logFormat = LogFormat::Text;
    //! More sinks, each fed every event once (e.g. a JSON RotatingFileSink, the host's logger).
    QList<std::shared_ptr<LogSink>> logSinks;
    //! Receives each line written to the global log, as written (without the line break), in
    //! order; called with the same lines when globalLogPath is empty. A string per output line,
    //! batched or not: with it set, that is the logs' cost per line.
    std::function<void(const QString &line)> logLineHandler;
    //! Receives every event of every task, after the enqueue's own handler; a batch's lines
    //! (outputBatching) as one-line events, each made for it.
    std::function<void(const TaskEvent &event)> extraLogHandler;
    //! Receives each chunk of a task's output as the process wrote it (bytes, before line
    //! splitting and decoding), in order per channel, before the line events it holds; for
    //! byte-exact copies such as the CLI's --results. Must not destroy the Broker.
    std::function<void(TaskId id, int attempt, OutputChannel channel, QByteArrayView chunk)>
            rawOutputHandler;

    //! At most this many tasks run at once (at least 1).
    int maxConcurrentTasks = 4;
    //! At most this many tasks wait (pending or blocked on dependencies); an enqueue beyond it is
    //! rejected ("queue full").
    int maxQueueDepth = 10000;
    //! Lane name -> at most this many of its tasks run at once (within maxConcurrentTasks). A
    //! lane without an entry (or with a value <= 0) is bounded only by maxConcurrentTasks.
    QHash<QString, int> laneLimits;

    //! How failed tasks are retried (default: never).
    RetryPolicy retry;
    //! After SIGTERM to a task's process group, SIGKILL follows after this many seconds (at most
    //! 86400: a longer grace counts as one day).
    double killGraceSeconds = 5.0;
    //! A line longer than this many bytes is delivered in pieces of at most this size.
    int maxLineBytes = 1024 * 1024;
    //! Output events carry the lines of one read each (TaskEvent::lineCount(), lineBytes()),
    //! kept as bytes until asked for text, instead of one event per line: for hosts that want
    //! throughput. Order, pieces and the terminal event are as with one event per line; the
    //! stdoutLine/stderrLine signals and the log sinks still get one line at a time.
    bool outputBatching = false;
    //! Make the host a child subreaper (Linux prctl, process-wide, never undone), so processes
    //! that escaped a task's group are re-parented to the host and reaped by the broker. Off by
    //! default: it also adopts orphans of the host's other children (e.g. startDetached()).
    bool childSubreaper = false;

    //! Uniform random numbers in [0, 1) for retry jitter (empty: QRandomGenerator::global()).
    std::function<double()> randomSource;
    //! What launches the processes (empty: LocalExecutor, a QProcess per attempt).
    std::shared_ptr<Executor> executor;

    //! Durable record of every task (empty: none). The Broker opens it, gives out ids above the
    //! highest stored one and, at its first event-loop turn, resumes the tasks that had not ended.
    std::shared_ptr<TaskStore> store;
    //! What resuming does with tasks that were running or waiting to retry.
    RecoveryPolicy recoveryPolicy = RecoveryPolicy::Rerun;
};

} // namespace TaskConductor
