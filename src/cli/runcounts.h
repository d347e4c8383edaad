// SPDX-License-Identifier: MIT
#pragma once

#include <taskconductor/taskevent.h>

#include <QtCore/qstring.h>

namespace TaskConductor {

//! How many tasks ended, and how. A value type.
struct RunCounts
{
    qint64 total = -1; //!< tasks in the file, -1 when unknown (standard input)
    qint64 finished = 0;
    qint64 failed = 0; //!< non-zero exit, crash, start failure or rejection
    qint64 timedOut = 0;
    qint64 canceled = 0;
    qint64 cpuMs = 0; //!< TaskMetrics::cpuMs of the tasks that report it

    qint64 ended() const { return finished + failed + timedOut + canceled; }
    bool allFinished() const { return ended() == finished; }
    //! Counts \a event by its outcome() if it is terminal (Rejected counts as failed).
    void count(const TaskEvent &event);
    //! Counts one ended task by \a outcome (Rejected counts as failed) and its CPU time.
    void count(Outcome outcome, const TaskMetrics &metrics);
    //! "5 tasks in 1.23 s: 3 finished, 1 failed, 1 timed out, 0 canceled; CPU 0.41 s"
    QString summary(qint64 wallMs) const;
};

} // namespace TaskConductor
