// SPDX-License-Identifier: MIT
#pragma once

#include "taskconductor_autotest_export.h"
#include <taskconductor/types.h>

#include <QtCore/qhash.h>
#include <QtCore/qstring.h>

#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <vector>

namespace TaskConductor {

//! The order in which pending tasks start: one FIFO bucket of ids per (lane, priority), and per
//! lane its cap, its running count and whether it is paused. Picking the next task looks at the
//! front of one bucket per lane, so a full or paused lane is skipped without touching its
//! tasks. Canceled ids are not removed here: the caller's liveness test drops them as they
//! reach a bucket's front (tombstones live elsewhere, in the PendingQueue). Pure; unit-tested.
class TASKCONDUCTOR_AUTOTEST_EXPORT LaneQueues
{
public:
    //! Lane 0 is the default lane (empty name), bounded only by the Broker's global cap.
    LaneQueues();

    //! The index of lane \a name, created (uncapped, running) on first use.
    int laneIndex(const QString &name);
    //! The index of lane \a name; -1 if it was never used.
    int findLane(const QString &name) const { return m_indexByName.value(name, -1); }
    //! At most \a limit tasks of lane \a lane hold a slot at once (<= 0: no cap of its own).
    void setLimit(int lane, int limit);
    void setPaused(int lane, bool paused);
    bool isPaused(int lane) const { return m_lanes[size_t(lane)].paused; }
    //! Whether \a lane may start a task now (not paused, below its cap).
    bool canStart(int lane) const;
    //! A task of \a lane took (\a delta 1) or gave back (-1) a slot.
    void slotChanged(int lane, int delta) { m_lanes[size_t(lane)].running += delta; }
    int running(int lane) const { return m_lanes[size_t(lane)].running; }

    //! Queues \a id among the ids of the same lane and priority, in id order: usually at the
    //! back, but a resumed stored task (a lower id) goes ahead of the tasks enqueued since.
    void push(int lane, int priority, TaskId id);
    //! Removes and returns the next id to start: the highest priority among lanes that can
    //! start, the lowest id among equal priorities. Ids for which \a isLive returns false are
    //! dropped on the way. nullopt: no lane that can start has a live id.
    std::optional<TaskId> takeNext(const std::function<bool(TaskId)> &isLive);

private:
    struct Lane
    {
        QString name;
        int limit = 0;
        int running = 0;
        bool paused = false;
        std::map<int, std::deque<TaskId>, std::greater<int>> buckets; // highest priority first
    };

    static constexpr size_t ScanLimit = 16; // up to this many lanes, laneIndex() compares names
    std::vector<Lane> m_lanes;
    QHash<QString, int> m_indexByName;
};

} // namespace TaskConductor
