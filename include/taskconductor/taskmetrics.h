// SPDX-License-Identifier: MIT
#pragma once

#include <taskconductor/taskconductor_export.h>

#include <QtCore/qobjectdefs.h>

namespace TaskConductor {

//! What one task cost, carried by its terminal event (TaskEvent::metrics()). A value type.
struct TASKCONDUCTOR_EXPORT TaskMetrics
{
    Q_GADGET
    Q_PROPERTY(qint64 queueMs MEMBER queueMs)
    Q_PROPERTY(qint64 runMs MEMBER runMs)
    Q_PROPERTY(qint64 stdoutBytes MEMBER stdoutBytes)
    Q_PROPERTY(qint64 stderrBytes MEMBER stderrBytes)
    Q_PROPERTY(qint64 stdoutLines MEMBER stdoutLines)
    Q_PROPERTY(qint64 stderrLines MEMBER stderrLines)
    Q_PROPERTY(qint64 cpuMs MEMBER cpuMs)
    Q_PROPERTY(qint64 maxRssKb MEMBER maxRssKb)

public:
    //! From enqueue to the first attempt's start (to the end, for a task that never started).
    qint64 queueMs = 0;
    //! Time its processes ran, all attempts together (start to end of each).
    qint64 runMs = 0;
    //! Output bytes and line events per stream, all attempts (merged output counts as stdout).
    qint64 stdoutBytes = 0;
    qint64 stderrBytes = 0;
    qint64 stdoutLines = 0;
    qint64 stderrLines = 0;
    //! User + system CPU time of the main process and the children it waited for, all attempts,
    //! as wait4() reports it; -1 where the executor cannot tell (Slurm, no attempt ended).
    qint64 cpuMs = -1;
    //! The largest resident set of the main process (or of a child it waited for) in any
    //! attempt, in KiB, as wait4() reports it; -1 where the executor cannot tell.
    qint64 maxRssKb = -1;

    friend TASKCONDUCTOR_EXPORT bool operator==(const TaskMetrics &a, const TaskMetrics &b);
    friend bool operator!=(const TaskMetrics &a, const TaskMetrics &b) { return !(a == b); }
};

//! A Broker's running totals and the spread of the last tasks (Broker::statistics()), e.g. for a
//! host's status bar. A value type.
struct TASKCONDUCTOR_EXPORT BrokerStatistics
{
    Q_GADGET
    Q_PROPERTY(qint64 ended MEMBER ended)
    Q_PROPERTY(qint64 finished MEMBER finished)
    Q_PROPERTY(qint64 failed MEMBER failed)
    Q_PROPERTY(qint64 timedOut MEMBER timedOut)
    Q_PROPERTY(qint64 canceled MEMBER canceled)
    Q_PROPERTY(qint64 rejected MEMBER rejected)
    Q_PROPERTY(qint64 totalRunMs MEMBER totalRunMs)
    Q_PROPERTY(qint64 totalCpuMs MEMBER totalCpuMs)
    Q_PROPERTY(qint64 totalStdoutBytes MEMBER totalStdoutBytes)
    Q_PROPERTY(qint64 totalStderrBytes MEMBER totalStderrBytes)
    Q_PROPERTY(int sampleCount MEMBER sampleCount)
    Q_PROPERTY(qint64 queueMsP50 MEMBER queueMsP50)
    Q_PROPERTY(qint64 queueMsP90 MEMBER queueMsP90)
    Q_PROPERTY(qint64 queueMsP99 MEMBER queueMsP99)
    Q_PROPERTY(qint64 runMsP50 MEMBER runMsP50)
    Q_PROPERTY(qint64 runMsP90 MEMBER runMsP90)
    Q_PROPERTY(qint64 runMsP99 MEMBER runMsP99)

public:
    //! Tasks that ended since the Broker was made, in all and by outcome.
    qint64 ended = 0;
    qint64 finished = 0;
    qint64 failed = 0;
    qint64 timedOut = 0;
    qint64 canceled = 0;
    qint64 rejected = 0;
    //! Sums of TaskMetrics over those tasks (cpuMs: of the tasks that report it).
    qint64 totalRunMs = 0;
    qint64 totalCpuMs = 0;
    qint64 totalStdoutBytes = 0;
    qint64 totalStderrBytes = 0;
    //! The tasks the percentiles cover: the last ones that ran (at most SampleWindow).
    int sampleCount = 0;
    //! Nearest-rank percentiles of queueMs and runMs over those tasks (0 without any).
    qint64 queueMsP50 = 0;
    qint64 queueMsP90 = 0;
    qint64 queueMsP99 = 0;
    qint64 runMsP50 = 0;
    qint64 runMsP90 = 0;
    qint64 runMsP99 = 0;

    //! How many of the last tasks the percentiles cover.
    static constexpr int SampleWindow = 1000;
};

} // namespace TaskConductor
