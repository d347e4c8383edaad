// SPDX-License-Identifier: MIT
#include "groupedoutput.h"

#include <algorithm>

namespace TaskConductor {

GroupedOutput::GroupedOutput(bool keepOrder, Print print)
    : m_keepOrder(keepOrder)
    , m_print(std::move(print))
{ }

void GroupedOutput::release(Held &held)
{
    for (const TaskEvent &event : std::as_const(held.events))
        m_print(event, held.name);
    held.events.clear();
}

void GroupedOutput::add(qint64 ordinal, const TaskEvent &event, const QString &name)
{
    // Tasks outside the input order are keyed by their negated id, never waited for.
    const qint64 key = ordinal > 0 ? ordinal : -qint64(event.taskId());
    Held &held = m_held[key];
    held.name = name;
    held.events.append(event);
    if (!event.isTerminal())
        return;
    held.done = true;
    if (!m_keepOrder || ordinal <= 0) {
        release(held);
        m_held.remove(key);
        return;
    }
    releaseInOrder();
}

void GroupedOutput::skip(qint64 ordinal)
{
    if (ordinal <= 0)
        return;
    m_held[ordinal].done = true;
    if (m_keepOrder)
        releaseInOrder();
    else
        m_held.remove(ordinal);
}

void GroupedOutput::releaseInOrder()
{
    for (auto it = m_held.find(m_nextToRelease); it != m_held.end() && it->done;
         it = m_held.find(m_nextToRelease)) {
        release(*it);
        m_held.erase(it);
        ++m_nextToRelease;
    }
}

void GroupedOutput::flushAll()
{
    QList<qint64> keys = m_held.keys();
    std::sort(keys.begin(), keys.end(), [](qint64 a, qint64 b) {
        // Input order first, then the others by id.
        if ((a > 0) != (b > 0))
            return a > 0;
        return a > 0 ? a < b : a > b;
    });
    for (qint64 key : keys)
        release(m_held[key]);
    m_held.clear();
}

qsizetype GroupedOutput::heldEvents() const
{
    qsizetype n = 0;
    for (const Held &held : m_held)
        n += held.events.size();
    return n;
}

} // namespace TaskConductor
