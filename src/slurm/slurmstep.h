// SPDX-License-Identifier: MIT
#pragma once

#include "slurmstderrfilter.h"

#include <taskconductor/executor.h>

#include <QtCore/qprocess.h>

#include <csignal>
#include <memory>

namespace TaskConductor {

class SlurmAllocation;

//! One attempt as one job step. Phases: Idle -> Waiting (for the allocation) -> Launching (srun
//! runs; the step may wait for a CPU; the script has not reported) -> Running (step id known,
//! `started` reported) -> Ended. It holds the allocation from start() to its destruction, so
//! that a task waiting to retry keeps it.
class SlurmStep final : public TaskProcess, private TaskProcessBlockingInterface
{
public:
    SlurmStep(std::shared_ptr<SlurmAllocation> allocation, TaskProcessObserver *observer);
    ~SlurmStep() override;

    void start(const LaunchRequest &request) override;
    //! Running: scancel --signal=TERM J.S. Waiting or launching (never started): ends it now.
    void terminate() override { stop(m_request.stopSignal > 0 ? m_request.stopSignal : SIGTERM); }
    //! Running: scancel --signal=KILL J.S. Waiting or launching: ends it now.
    void kill() override { stop(SIGKILL); }
    TaskProcessBlockingInterface *blockingInterface() override { return this; }
    qint64 processId() const override { return 0; } // the task runs under slurmstepd

    //! From the allocation: it is granted; srun starts the step in \a jobId.
    void launchInAllocation(const QString &jobId);
    //! From the allocation: there is none, and \a why; the step fails to start.
    void allocationFailed(const QString &why);

private:
    enum class Phase { Idle, Waiting, Launching, Running, Ended };

    void stop(int signal);
    void endBeforeStart(int signal);
    void scancelStep(int signal); // scancel --signal=... of the step whose record came
    void readStdout();
    void onRecord(const QString &record);
    void readStderr();
    void forwardStderr(QByteArrayView bytes);
    void onFinished(int exitCode, QProcess::ExitStatus status);
    QString launchFailure(int exitCode, QProcess::ExitStatus status) const;
    void end(const ProcessEnd &how);
    void reap(int graceMsecs) override;

    std::shared_ptr<SlurmAllocation> m_allocation;
    LaunchRequest m_request;
    QProcess m_srun;
    SlurmStderrFilter m_stderr;
    QByteArray m_record;
    QByteArray m_launchErrors; // stderr before the step started: srun's, bounded
    QString m_jobId;
    QString m_stepId;
    QString m_startFailure;
    Phase m_phase = Phase::Idle;
    int m_stopSignal = 0; // set once stopped before it ran
    bool m_holding = false; // acquired the allocation
    bool m_relaunched = false;
};

} // namespace TaskConductor
