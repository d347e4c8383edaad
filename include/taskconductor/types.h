// SPDX-License-Identifier: MIT
#pragma once

#include <taskconductor/taskconductor_export.h>

#include <QtCore/qglobal.h>
#include <QtCore/qobjectdefs.h>

namespace TaskConductor {
Q_NAMESPACE_EXPORT(TASKCONDUCTOR_EXPORT)

//! Identifies one enqueue for the lifetime of its Broker; never 0, never reused.
using TaskId = quint64;

//! What a TaskEvent reports. The terminal kinds end an enqueue; exactly one of them is
//! delivered per enqueue (see TaskEvent::isTerminal()).
enum class EventKind {
    Started, //!< a process for one attempt of the task was launched
    Stdout, //!< one line of standard output (without its line break)
    Stderr, //!< one line of standard error (without its line break)
    Finished, //!< terminal: the process exited with code 0
    Failed, //!< terminal: non-zero exit or crash on the last attempt, or a start failure
    Canceled, //!< terminal: cancel() ended the task, pending or running
    Timeout, //!< terminal: the task ran past its timeout and was stopped
    Retrying, //!< an attempt failed; another one starts after a delay
    InternalError, //!< terminal when it ends the task (queue full, invalid task); otherwise a
                   //!< notice
};
Q_ENUM_NS(EventKind)

//! How a task ended: its terminal event, classified once (TaskEvent::outcome()) for the CLI's
//! counts, the models and the store.
enum class Outcome {
    Finished, //!< `finished`: the process exited with code 0
    Failed, //!< `failed`: non-zero exit or crash on the last attempt, or a start failure
    TimedOut, //!< `timeout`: stopped after its timeout
    Canceled, //!< `canceled`: cancel(), or the Broker was destroyed
    Rejected, //!< a terminal `internalError`: never accepted to run (queue full, invalid task)
};
Q_ENUM_NS(Outcome)

//! Where a task is in its life. A task moves forward only:
//! (Blocked ->) Pending -> Running -> (Stopping) -> (RetryWait -> Running ...) -> Done.
enum class TaskState {
    Pending, //!< waiting in the queue for a concurrency slot
    Running, //!< its process is starting or running
    Stopping, //!< asked to stop (cancel, timeout, shutdown); waiting for the group to die
    RetryWait, //!< an attempt failed; waiting for the retry delay (holds no slot)
    Done, //!< its terminal event was delivered
    Blocked, //!< waiting for its dependencies to finish (last so the older values keep theirs)
};
Q_ENUM_NS(TaskState)

//! The output stream a line came from.
enum class OutputChannel { Stdout, Stderr };
Q_ENUM_NS(OutputChannel)

//! How a task's process ended (ProcessEnd::reason, reported by an Executor).
enum class ProcessEndReason {
    Exited, //!< it exited; ProcessEnd::exitCode is its exit code
    Crashed, //!< a signal ended it (ours included); exitCode is the signal number, 0 if unknown
    FailedToStart, //!< it never ran; ProcessEnd::startFailure says what failed
};
Q_ENUM_NS(ProcessEndReason)

//! What kept a process from starting (ProcessEnd::startFailure).
enum class StartFailure {
    Other, //!< anything else, e.g. the executor's own tools (no Slurm allocation, no srun)
    WorkingDirectory, //!< the working directory is missing, no directory, or not accessible
    Program, //!< the program is missing or may not be executed
    ArgumentListTooLong, //!< argv and environment exceed what execve() accepts (E2BIG)
    Resources, //!< the system refused (fork failure: too many processes or open files)
};
Q_ENUM_NS(StartFailure)

//! Where a task's standard error goes (TaskDescriptor::outputMode()).
enum class OutputMode {
    Separate, //!< stdout and stderr are two streams (the default)
    Merged, //!< stderr is merged into stdout in the order the process wrote them
};
Q_ENUM_NS(OutputMode)

//! What a task reads on its standard input (TaskDescriptor::stdinMode()).
enum class StdinMode {
    Null, //!< /dev/null: end of input at once (the default)
    Data, //!< TaskDescriptor::stdinData(), then end of input
    File, //!< the file TaskDescriptor::stdinFile()
    Open, //!< a pipe the host writes with Broker::writeStdin() and closes with closeStdin()
};
Q_ENUM_NS(StdinMode)

//! Why a task timed out (TaskEvent::timeoutReason(), "reason" in JSON).
enum class TimeoutReason {
    Deadline, //!< it ran longer than its timeout ("deadline")
    Idle, //!< it wrote nothing on either stream for its idle timeout ("idle")
};
Q_ENUM_NS(TimeoutReason)

//! What Broker::writeStdin() did with the bytes.
enum class StdinWriteResult {
    Written, //!< queued for the task's standard input, in order
    BufferFull, //!< refused: what the task has not read yet plus these would pass
                //!< BrokerConfig::maxStdinBufferBytes; write again once it has read some
    NotOpen, //!< refused: no running task with StdinMode::Open and its stdin still open
};
Q_ENUM_NS(StdinWriteResult)

//! How a log sink writes an event: one physical line either way.
enum class LogFormat {
    Text, //!< "<ISO 8601 time with ms and offset> <task id> <event> <description>", escaped
    JsonLines, //!< one JSON object per line: ts, id, event, attempt and the fields that apply
};
Q_ENUM_NS(LogFormat)

//! What a Broker opened on a TaskStore does with tasks that were running or waiting to retry
//! when the previous host died. Pending tasks are re-enqueued either way.
enum class RecoveryPolicy {
    Rerun, //!< run them again from attempt 1 (the default)
    MarkFailed, //!< end them with `failed` ("interrupted") without running them
};
Q_ENUM_NS(RecoveryPolicy)

} // namespace TaskConductor
