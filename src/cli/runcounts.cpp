// SPDX-License-Identifier: MIT
#include "runcounts.h"

namespace TaskConductor {

void RunCounts::count(const TaskEvent &event)
{
    if (!event.isTerminal())
        return;
    switch (event.kind()) {
    case EventKind::Finished:
        ++finished;
        break;
    case EventKind::Timeout:
        ++timedOut;
        break;
    case EventKind::Canceled:
        ++canceled;
        break;
    default: // Failed, or an InternalError that ended the task
        ++failed;
        break;
    }
}

QString RunCounts::summary(qint64 wallMs) const
{
    return QStringLiteral("%1 task%2 in %3 s: %4 finished, %5 failed, %6 timed out, %7 canceled")
            .arg(ended())
            .arg(ended() == 1 ? QString() : QStringLiteral("s"))
            .arg(double(wallMs) / 1000.0, 0, 'f', 2)
            .arg(finished)
            .arg(failed)
            .arg(timedOut)
            .arg(canceled);
}

} // namespace TaskConductor
