// SPDX-License-Identifier: MIT
// Dependencies between tasks: how each task ended (one byte per id), and what a dependency's
// end does to the tasks blocked on it.
#include "broker_p.h"
#include "storerecorder.h"

namespace TaskConductor {

std::optional<Outcome> BrokerPrivate::outcomeOf(TaskId id)
{
    if (id >= outcomeBase) {
        const TaskId index = id - outcomeBase;
        if (index < outcomes.size() && outcomes[size_t(index)] != 0)
            return Outcome(outcomes[size_t(index)] - 1);
        return std::nullopt;
    }
    const auto it = olderOutcomes.constFind(id);
    if (it != olderOutcomes.cend())
        return *it;
    if (isWaiting(id))
        return std::nullopt;
    // Ended before this Broker opened the store (or never existed).
    return recorder->outcomeOf(id);
}

bool BrokerPrivate::isWaiting(TaskId id) const
{
    return pending.contains(id) || runs.contains(id);
}

void BrokerPrivate::taskEnded(TaskId id, Outcome how)
{
    if (id >= outcomeBase) {
        const size_t index = size_t(id - outcomeBase);
        if (index >= outcomes.size())
            outcomes.resize(std::max(index + 1, outcomes.size() * 2), 0);
        outcomes[index] = quint8(1 + int(how));
    } else {
        olderOutcomes.insert(id, how);
    }
}

void BrokerPrivate::dependencyEnded(TaskId id, Outcome how)
{
    if (how == Outcome::Finished) {
        const QList<TaskId> waiting = dependents.take(id);
        for (TaskId dependent : waiting) {
            const auto it = blocked.find(dependent);
            if (it == blocked.end() || --it->unmet > 0)
                continue; // canceled meanwhile, or still waiting for another
            lanes.push(it->lane, it->priority, dependent);
            blocked.erase(it);
            --blockedCount;
            ++pendingCount;
        }
        schedule();
        return;
    }
    // A worklist, not recursion: a chain of ten thousand cancels without deep stacks.
    cascade.emplace_back(id, how);
    if (cascading)
        return;
    cascading = true;
    DestructionGuard guard(this);
    while (!cascade.empty()) {
        const auto [dependency, ended] = cascade.front();
        cascade.pop_front();
        const QList<TaskId> waiting = dependents.take(dependency);
        for (TaskId dependent : waiting) {
            if (!blocked.remove(dependent))
                continue; // canceled meanwhile
            --blockedCount;
            std::optional<PendingQueue::Entry> entry = pending.takeEntry(dependent);
            Q_ASSERT(entry);
            // Its own ending comes back here through publish() and joins the worklist.
            publish(entry->handler,
                    canceledInQueue(*entry,
                                    QStringLiteral("dependency %1 did not finish: it ended %2")
                                            .arg(dependency)
                                            .arg(TaskEvent::outcomeName(ended))));
            if (guard.destroyed())
                return;
        }
    }
    cascading = false;
    countsChanged();
}

} // namespace TaskConductor
