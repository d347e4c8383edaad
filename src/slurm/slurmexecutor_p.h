// SPDX-License-Identifier: MIT
#pragma once

#include <taskconductor/slurmexecutor.h>

#include <QtCore/qlist.h>
#include <QtCore/qloggingcategory.h>
#include <QtCore/qprocess.h>
#include <QtCore/qtimer.h>

#include <memory>

Q_DECLARE_LOGGING_CATEGORY(lcSlurm)

namespace TaskConductor {

class SlurmStep;

//! The one allocation behind a SlurmExecutor, shared with its steps so that it outlives the
//! last of them. Requests it with salloc when a step needs it, hands the job id to waiting
//! steps, and releases it once no step ran for idleReleaseMsecs, or when the last owner goes.
class SlurmAllocation
{
public:
    explicit SlurmAllocation(const SlurmOptions &options);
    ~SlurmAllocation(); // scancel, asynchronous: nothing blocks

    //! \a step needs the allocation: launchInAllocation() or allocationFailed() follow, possibly
    //! before acquire() returns.
    void acquire(SlurmStep *step);
    //! \a step ended or gave up waiting; the allocation may go idle.
    void release(SlurmStep *step);
    //! A step in \a failedJobId could not be created. Returns whether srun's message says the
    //! allocation is gone (then it is forgotten, and the next acquire() requests a new one).
    bool allocationLost(const QString &failedJobId, const QString &srunMessage);

    const SlurmOptions options;
    const QString jobName;
    QString jobId; // set while granted
    QString srunProgram;
    QString scancelProgram;

private:
    void requestAllocation();
    void onSallocOutput();
    void onSallocFinished(int exitCode, QProcess::ExitStatus status);
    void onIdle();
    void forget(); // scancel the job, if any

    std::unique_ptr<QProcess> m_salloc;
    QString m_sallocProgram;
    QString m_sallocErrors;
    QString m_requestedJobId; // from "Pending/Granted job allocation N", before salloc ends
    QList<SlurmStep *> m_waiting;
    int m_active = 0; // acquired and not released
    QTimer m_idleTimer;
};

} // namespace TaskConductor
