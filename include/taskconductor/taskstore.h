// SPDX-License-Identifier: MIT
#pragma once

#include <taskconductor/taskconductor_export.h>
#include <taskconductor/taskdescriptor.h>
#include <taskconductor/taskevent.h>
#include <taskconductor/taskmetrics.h>
#include <taskconductor/types.h>

#include <QtCore/qdatetime.h>
#include <QtCore/qlist.h>

#include <optional>

namespace TaskConductor {

//! One task as a TaskStore remembers it. A value type.
struct TASKCONDUCTOR_EXPORT StoredTask
{
    TaskId id = 0;
    TaskDescriptor descriptor;
    //! Pending, Running (started, not ended), RetryWait, or Done.
    TaskState state = TaskState::Pending;
    //! How it ended, once Done: TaskEvent::outcome() of its terminal event.
    std::optional<Outcome> outcome;
    //! Attempts launched so far (in the Broker run that last ran it).
    int attempts = 0;
    //! Of the terminal event, or of the last failed attempt.
    int exitCode = 0;
    qint64 durationMs = 0;
    QString message;
    QDateTime enqueuedAt;
    QDateTime startedAt; //!< first launch (invalid: never started)
    QDateTime endedAt; //!< terminal event (invalid: not ended)
    //! Of the terminal event (TaskEvent::metrics()); zero, cpu and RSS -1, until it ended.
    TaskMetrics metrics;
};

//! Which tasks TaskStore::history() returns.
struct TASKCONDUCTOR_EXPORT HistoryQuery
{
    //! Only tasks in this state (unset: all).
    std::optional<TaskState> state;
    //! Only Done tasks that ended with this outcome (unset: any).
    std::optional<Outcome> outcome;
    //! At most this many, newest (highest id) first.
    int limit = 100;
};

//! Durable record of a Broker's tasks: every accepted enqueue, state change and terminal event,
//! so that a Broker opened on it after a crash can resume (see BrokerConfig::store).
//! Used from the Broker's thread only. Implementations batch writes and make them durable at
//! flush(); the Broker calls flush() after every terminal event and at least every ~200 ms.
class TASKCONDUCTOR_EXPORT TaskStore
{
public:
    virtual ~TaskStore();

    //! Opens (and creates or migrates) the store. False, with errorString(), if it cannot be
    //! opened or is corrupt; never crashes. The Broker calls it if isOpen() is false.
    virtual bool open() = 0;
    virtual bool isOpen() const = 0;
    //! Why the last operation failed, readable by a user.
    virtual QString errorString() const = 0;

    //! Records an accepted task (state Pending).
    virtual bool recordEnqueued(TaskId id, const TaskDescriptor &task, const QDateTime &at) = 0;
    //! Records what \a event changes: started -> Running, retrying -> RetryWait, a terminal
    //! event -> Done with its outcome. Output lines and other events change nothing.
    virtual bool recordEvent(const TaskEvent &event, const QDateTime &at) = 0;
    //! Makes everything recorded so far durable.
    virtual bool flush() = 0;

    //! Tasks that are not Done, lowest id first.
    virtual QList<StoredTask> unfinishedTasks() = 0;
    //! The highest id ever recorded (0: none): a Broker on this store gives out ids above it.
    virtual TaskId highestTaskId() = 0;
    //! Tasks matching \a query, newest first.
    virtual QList<StoredTask> history(const HistoryQuery &query) = 0;
    //! Task \a id; nullopt if it is not stored. The default searches history() of Done tasks;
    //! implementations should look it up directly (the Broker asks when a resumed task depends
    //! on one that ended before the restart).
    virtual std::optional<StoredTask> task(TaskId id);

    //! Records what lets a later Broker on this store find the processes of the running
    //! Broker's executor session (ExecutorSession::identity()) if this host dies; replaces the
    //! one recorded before. Default: records nothing.
    virtual bool recordExecutorIdentity(const QByteArray &identity);
    //! What recordExecutorIdentity() recorded last (empty: nothing).
    virtual QByteArray executorIdentity();

    //! The descriptor as a JSON document (for implementations that store text): its one JSON
    //! form, TaskDescriptor::toJson().
    static QByteArray descriptorToJson(const TaskDescriptor &task);
    //! The inverse of descriptorToJson() (TaskDescriptor::fromJson(), which also reads what
    //! older versions wrote); nullopt if \a json is not a descriptor.
    static std::optional<TaskDescriptor> descriptorFromJson(const QByteArray &json);
    //! Metrics as a compact JSON object (the members of a terminal event: "queueMs" ...), for
    //! implementations that store text; metricsFromJson() reads it back (missing members: the
    //! TaskMetrics defaults).
    static QByteArray metricsToJson(const TaskMetrics &metrics);
    static TaskMetrics metricsFromJson(const QByteArray &json);
};

} // namespace TaskConductor
