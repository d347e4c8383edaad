// SPDX-License-Identifier: MIT
#include "lanequeues.h"

#include <algorithm>

namespace TaskConductor {

LaneQueues::LaneQueues()
{
    m_lanes.emplace_back();
    m_indexByName.insert(QString(), 0);
}

int LaneQueues::laneIndex(const QString &name)
{
    if (name.isEmpty())
        return 0; // the common case pays no hashing
    if (m_lanes.size() <= ScanLimit) {
        // A few lanes, as usual: comparing is cheaper than hashing (which cost a third of an
        // enqueue), and a name that shares the lane's own string compares by pointer.
        for (size_t i = 1; i < m_lanes.size(); ++i) {
            const QString &known = m_lanes[i].name;
            if (known.size() == name.size()
                && (known.constData() == name.constData() || known == name))
                return int(i);
        }
    } else if (const auto it = m_indexByName.constFind(name); it != m_indexByName.cend()) {
        return *it;
    }
    const int index = int(m_lanes.size());
    m_lanes.emplace_back().name = name;
    m_indexByName.insert(name, index);
    return index;
}

void LaneQueues::setLimit(int lane, int limit)
{
    m_lanes[size_t(lane)].limit = limit;
}

void LaneQueues::setPaused(int lane, bool paused)
{
    m_lanes[size_t(lane)].paused = paused;
}

bool LaneQueues::canStart(int lane) const
{
    const Lane &l = m_lanes[size_t(lane)];
    return !l.paused && (l.limit <= 0 || l.running < l.limit);
}

void LaneQueues::push(int lane, int priority, TaskId id)
{
    std::deque<TaskId> &ids = m_lanes[size_t(lane)].buckets[priority];
    if (ids.empty() || ids.back() < id)
        ids.push_back(id);
    else
        ids.insert(std::upper_bound(ids.begin(), ids.end(), id), id);
}

std::optional<TaskId> LaneQueues::takeNext(const std::function<bool(TaskId)> &isLive)
{
    std::deque<TaskId> *best = nullptr;
    int bestPriority = 0;
    Lane *bestLane = nullptr;
    for (Lane &lane : m_lanes) {
        if (lane.paused || (lane.limit > 0 && lane.running >= lane.limit))
            continue;
        // The first bucket with a live id at its front; emptied buckets go.
        while (!lane.buckets.empty()) {
            auto first = lane.buckets.begin();
            std::deque<TaskId> &ids = first->second;
            while (!ids.empty() && !isLive(ids.front()))
                ids.pop_front();
            if (!ids.empty())
                break;
            lane.buckets.erase(first);
        }
        if (lane.buckets.empty())
            continue;
        auto first = lane.buckets.begin();
        if (!best || first->first > bestPriority
            || (first->first == bestPriority && first->second.front() < best->front())) {
            best = &first->second;
            bestPriority = first->first;
            bestLane = &lane;
        }
    }
    if (!best)
        return std::nullopt;
    const TaskId id = best->front();
    best->pop_front();
    if (best->empty())
        bestLane->buckets.erase(bestPriority);
    return id;
}

} // namespace TaskConductor
