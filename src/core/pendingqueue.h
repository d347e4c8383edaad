// SPDX-License-Identifier: MIT
#pragma once

#include "taskconductor_autotest_export.h"
#include <taskconductor/broker.h>

#include <deque>
#include <optional>

namespace TaskConductor {

//! The tasks waiting for a slot, first in first out, in id order. take() of any id costs about
//! constant time and leaves a dead entry in place, which the front skips and which are dropped
//! in bulk once they dominate; nothing else scans the queue. Pure; unit-tested.
class TASKCONDUCTOR_AUTOTEST_EXPORT PendingQueue
{
public:
    struct Entry
    {
        TaskId id = 0;
        TaskDescriptor task;
        TaskEventHandler handler;
        qint64 enqueuedAtMs = 0; //!< monotonicMs() at enqueue, for the task's queueMs
    };

    //! Waiting tasks (dead entries not counted).
    qsizetype size() const { return qsizetype(m_entries.size()) - m_dead; }
    bool isEmpty() const { return size() == 0; }
    //! Adds task \a id where its id belongs: ids come in call order, but an enqueue handed over
    //! from another thread may arrive after a later one.
    void push(TaskId id, TaskDescriptor task, TaskEventHandler handler, qint64 enqueuedAtMs = 0);
    //! Whether task \a id waits here.
    bool contains(TaskId id) const;
    //! Removes task \a id and returns its handler; nullopt if it does not wait here.
    std::optional<TaskEventHandler> take(TaskId id);
    //! Removes task \a id and returns it whole; nullopt if it does not wait here.
    std::optional<Entry> takeEntry(TaskId id);
    //! Removes and returns the first waiting task; the queue must not be empty.
    Entry takeFirst();
    //! The id of the first waiting task, if any.
    std::optional<TaskId> firstId();

private:
    struct Slot
    {
        Entry entry;
        bool live = true;
    };
    std::deque<Slot>::const_iterator lowerBound(TaskId id) const;
    void dropDeadFront();
    void compact();

    std::deque<Slot> m_entries;
    qsizetype m_dead = 0;
};

} // namespace TaskConductor
