// SPDX-License-Identifier: MIT
#include "runcounts.h"

namespace TaskConductor {

void RunCounts::count(const TaskEvent &event)
{
    if (const std::optional<Outcome> outcome = event.outcome())
        count(*outcome, event.metrics());
}

void RunCounts::count(Outcome outcome, const TaskMetrics &metrics)
{
    cpuMs += qMax<qint64>(0, metrics.cpuMs);
    switch (outcome) {
    case Outcome::Finished:
        ++finished;
        break;
    case Outcome::TimedOut:
        ++timedOut;
        break;
    case Outcome::Canceled:
        ++canceled;
        break;
    case Outcome::Failed:
    case Outcome::Rejected: // the summary has no column of its own for a task that never ran
        ++failed;
        break;
    }
}

QString RunCounts::summary(qint64 wallMs) const
{
    return QStringLiteral("%1 task%2 in %3 s: %4 finished, %5 failed, %6 timed out, %7 canceled; "
                          "CPU %8 s")
            .arg(ended())
            .arg(ended() == 1 ? QString() : QStringLiteral("s"))
            .arg(double(wallMs) / 1000.0, 0, 'f', 2)
            .arg(finished)
            .arg(failed)
            .arg(timedOut)
            .arg(canceled)
            .arg(double(cpuMs) / 1000.0, 0, 'f', 2);
}

} // namespace TaskConductor
