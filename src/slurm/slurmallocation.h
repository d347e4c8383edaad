// SPDX-License-Identifier: MIT
#pragma once

#include <taskconductor/slurmexecutor.h>

#include <QtCore/qhash.h>
#include <QtCore/qlist.h>
#include <QtCore/qloggingcategory.h>
#include <QtCore/qprocess.h>
#include <QtCore/qtimer.h>

#include <functional>
#include <memory>
#include <vector>

Q_DECLARE_LOGGING_CATEGORY(lcSlurm)

namespace TaskConductor {

class SlurmStep;

//! The one allocation behind a SlurmExecutor, shared with its steps so that it outlives the
//! last of them. States: None -> Sizing (sinfo) -> Requested (salloc waits, squeue checks the
//! reason) -> Granted (salloc's command holds it) -> None. Steps hold it from acquire() to
//! release(); it is given back once none held it for idleReleaseMsecs, and at destruction.
class SlurmAllocation
{
public:
    explicit SlurmAllocation(const SlurmOptions &options);
    ~SlurmAllocation(); // gives the allocation back; waits for salloc at most about 2 s

    //! \a step needs the allocation: launchInAllocation() or allocationFailed() follow, possibly
    //! before acquire() returns. A step acquires once and releases once.
    void acquire(SlurmStep *step);
    //! \a step is gone, or ended without ever running; the allocation may go idle.
    void release(SlurmStep *step);
    //! srun could not create \a step in \a jobId ("Invalid job id", "already completing"): if
    //! squeue confirms the job is gone, it is forgotten and \a step waits for a new allocation
    //! (launchInAllocation() again); otherwise allocationFailed(\a srunMessage). Asynchronous.
    void checkLost(SlurmStep *step, const QString &jobId, const QString &srunMessage);

    //! A Broker's session opens: \a notify receives the notices until closeSession(\a key);
    //! \a maxConcurrentTasks sizes the allocation when SlurmOptions::allocationTasks is 0.
    void openSession(const void *key, int maxConcurrentTasks,
                     std::function<void(const QString &)> notify);
    void closeSession(const void *key);
    //! Gives the allocation back now if no step holds it.
    void releaseIfIdle();

    const SlurmOptions options;
    const QString jobName;
    const QString srunProgram;
    const QString scancelProgram;
    QString jobId; // set while granted
    int cpus = 0; // of the granted allocation

private:
    enum class State { None, Sizing, Requested, Granted };

    //! Runs a Slurm client command (\a command: program first) without blocking; \a done gets
    //! its standard output, or a null string if it failed.
    void query(const QStringList &command, std::function<void(const QString &)> done);
    void requestAllocation();
    void onSizes(const QString &sinfoOutput);
    void startSalloc(int tasks, int partitionMinutes);
    void onSallocOutput();
    void onGranted(const QString &grantedJobId);
    void onSallocFinished();
    void checkPending();
    void onPendingReason(const QString &reason);
    void onIdle();
    void giveBack(int waitMsecs); // ends salloc's command, so that salloc relinquishes the job
    void failWaiting(const QString &why);
    void notice(const QString &message);

    State m_state = State::None;
    std::unique_ptr<QProcess> m_salloc;
    std::vector<std::unique_ptr<QProcess>> m_queries; // sinfo, squeue
    QString m_sallocProgram;
    QString m_sallocMessages;
    QString m_requestedJobId; // from "Pending/Granted job allocation N", before it is ready
    QString m_lastReason;
    QString m_refusal; // why a pending request can never be granted
    QList<SlurmStep *> m_waiting;
    QList<SlurmStep *> m_holders;
    QTimer m_idleTimer;
    QTimer m_pendingTimer;
    int m_requestedCpus = 0;
    bool m_givingBack = false; // salloc was asked to end
    bool m_pendingQueryRunning = false;
    bool m_cappedNoticeGiven = false;
    int m_sessionTasks = 0; // the largest maxConcurrentTasks of the open sessions
    QHash<const void *, std::function<void(const QString &)>> m_noticeSinks;
};

} // namespace TaskConductor
