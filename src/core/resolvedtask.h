// SPDX-License-Identifier: MIT
#pragma once

#include <taskconductor/brokerconfig.h>
#include <taskconductor/executor.h>
#include <taskconductor/retrypolicy.h>
#include <taskconductor/taskdescriptor.h>

#include <QtCore/qelapsedtimer.h>

namespace TaskConductor {

//! Milliseconds on the monotonic clock (CLOCK_MONOTONIC): for intervals across objects, such as
//! a task's wait from enqueue to start.
inline qint64 monotonicMs()
{
    QElapsedTimer now;
    now.start();
    return now.msecsSinceReference();
}

//! One task's effective settings: its descriptor over the Broker's defaults, resolved once, so
//! that a TaskRun needs nothing of the Broker to run it.
struct ResolvedTask
{
    LaunchRequest launch; //!< id, argv, working directory, environment, stop signal, stdin
    qint64 timeoutMs = 0; //!< 0: none
    qint64 idleTimeoutMs = 0; //!< no output for this long stops the task (0: none)
    QList<int> successExitCodes; //!< exits that end as `finished`; empty: { 0 }
    qint64 enqueuedAtMs = 0; //!< on the Broker's clock (BrokerPrivate::clock), for queueMs
    RetryPolicy retry;
    int killGraceMs = 0; //!< SIGTERM, then SIGKILL this much later (0: SIGKILL at once)
    int maxLineBytes = 0; //!< longer lines come in pieces
    int priority = 0; //!< reported in `started`; the Broker has ordered by it already
    QString lane; //!< the lane whose cap the run counts against
    bool outputBatching = false; //!< the lines of one read in one event
};

//! The Broker's defaults for what a task leaves open, read once from its BrokerConfig (and the
//! host's environment and current directory, at construction).
class TaskDefaults
{
public:
    explicit TaskDefaults(const BrokerConfig &config);

    //! Task \a id's settings: the task's own where it has them, else the defaults. Pure.
    ResolvedTask resolve(TaskId id, const TaskDescriptor &task) const;
    //! BrokerConfig::killGraceSeconds, in ms, within [0, one day].
    int killGraceMs() const { return m_killGraceMs; }

private:
    QProcessEnvironment m_environment; // the host's, then BrokerConfig::defaultEnvironment
    QString m_workingDirectory;
    double m_timeoutSeconds = 0;
    double m_idleTimeoutSeconds = 0;
    int m_stopSignal = 15;
    RetryPolicy m_retry;
    int m_killGraceMs = 0;
    int m_maxLineBytes = 0;
    bool m_outputBatching = false;
};

} // namespace TaskConductor
