// SPDX-License-Identifier: MIT
#include "pendingqueue.h"

#include <algorithm>

namespace TaskConductor {

void PendingQueue::push(TaskId id, TaskDescriptor task, TaskEventHandler handler,
                        qint64 enqueuedAtMs)
{
    Slot slot { { id, std::move(task), std::move(handler), enqueuedAtMs }, true };
    if (m_entries.empty() || m_entries.back().entry.id < id) {
        m_entries.push_back(std::move(slot));
        return;
    }
    const auto at = std::upper_bound(m_entries.begin(), m_entries.end(), id,
                                     [](TaskId v, const Slot &s) { return v < s.entry.id; });
    m_entries.insert(at, std::move(slot));
}

std::deque<PendingQueue::Slot>::const_iterator PendingQueue::lowerBound(TaskId id) const
{
    // Ids in the queue increase by at least one per entry, and usually by exactly one (dead
    // entries keep their place until compaction), so id sits at most id - front.id entries in,
    // and usually right there. The direct probe keeps cancel() flat at a million pending tasks,
    // where a full binary search pays a cache miss per step.
    const auto byId = [](const Slot &s, TaskId v) { return s.entry.id < v; };
    if (m_entries.empty() || id <= m_entries.front().entry.id)
        return m_entries.begin();
    const TaskId offset = id - m_entries.front().entry.id;
    if (offset >= m_entries.size())
        return std::lower_bound(m_entries.begin(), m_entries.end(), id, byId);
    const auto guess = m_entries.begin() + qsizetype(offset);
    if (guess->entry.id == id)
        return guess;
    return std::lower_bound(m_entries.begin(), guess, id, byId);
}

bool PendingQueue::contains(TaskId id) const
{
    const auto it = lowerBound(id);
    return it != m_entries.end() && it->entry.id == id && it->live;
}

std::optional<TaskEventHandler> PendingQueue::take(TaskId id)
{
    std::optional<Entry> entry = takeEntry(id);
    if (!entry)
        return std::nullopt;
    return std::move(entry->handler);
}

std::optional<PendingQueue::Entry> PendingQueue::takeEntry(TaskId id)
{
    const auto found = lowerBound(id);
    if (found == m_entries.end() || found->entry.id != id || !found->live)
        return std::nullopt;
    const bool atFront = found == m_entries.cbegin();
    Slot &slot = m_entries[found - m_entries.cbegin()];
    Entry entry = std::move(slot.entry);
    slot.live = false;
    // The dead entry shares one empty descriptor instead of allocating.
    static const TaskDescriptor released;
    slot.entry.id = id;
    slot.entry.task = released;
    slot.entry.handler = {};
    ++m_dead;
    if (atFront)
        dropDeadFront(); // FIFO order takes from the front: nothing dead stays behind
    else
        compact();
    return entry;
}

void PendingQueue::dropDeadFront()
{
    while (!m_entries.empty() && !m_entries.front().live) {
        m_entries.pop_front();
        --m_dead;
    }
}

PendingQueue::Entry PendingQueue::takeFirst()
{
    dropDeadFront();
    Q_ASSERT(!m_entries.empty());
    Entry first = std::move(m_entries.front().entry);
    m_entries.pop_front();
    return first;
}

std::optional<TaskId> PendingQueue::firstId()
{
    dropDeadFront();
    if (m_entries.empty())
        return std::nullopt;
    return m_entries.front().entry.id;
}

void PendingQueue::compact()
{
    // Dead entries cost memory until they reach the front; drop them when they dominate.
    if (m_dead < 1024 || m_dead < qsizetype(m_entries.size()) / 2)
        return;
    m_entries.erase(std::remove_if(m_entries.begin(), m_entries.end(),
                                   [](const Slot &s) { return !s.live; }),
                    m_entries.end());
    m_dead = 0;
}

} // namespace TaskConductor
