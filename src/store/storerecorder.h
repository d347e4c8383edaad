// SPDX-License-Identifier: MIT
#pragma once

#include <taskconductor/executor.h>
#include <taskconductor/taskstore.h>

#include <QtCore/qtimer.h>

#include <functional>
#include <memory>

namespace TaskConductor {

//! The Broker's side of a TaskStore: opens it, records accepted tasks and events, commits
//! after terminal events and at least every FlushIntervalMs, and reports a failing store once
//! per failure episode instead of once per record. A store that cannot be opened is reported
//! and then ignored: tasks run without persistence.
class StoreRecorder
{
public:
    static constexpr int FlushIntervalMs = 200;

    //! \a timerOwner: the Broker, so that the commit timer follows it to another thread.
    StoreRecorder(std::shared_ptr<TaskStore> store, std::function<void(const QString &)> report,
                  QObject *timerOwner);
    ~StoreRecorder(); // flushes

    bool isActive() const { return m_store != nullptr; }
    TaskId highestTaskId() const;
    QList<StoredTask> unfinishedTasks() const;
    //! How stored task \a id ended; nullopt if it did not end or is not stored.
    std::optional<Outcome> outcomeOf(TaskId id) const;

    //! Before anything starts: ends what the host that used the store before left running
    //! (its \a session's identity, as recorded), then records \a session's own, durably.
    void takeOverFrom(ExecutorSession &session);
    void taskAccepted(TaskId id, const TaskDescriptor &task);
    void record(const TaskEvent &event);
    void flush();

private:
    void check(bool ok, const char *what);

    std::shared_ptr<TaskStore> m_store;
    std::function<void(const QString &)> m_report;
    QTimer *m_flushTimer;
    bool m_reported = false;
};

} // namespace TaskConductor
