// SPDX-License-Identifier: MIT
#pragma once

#include <taskconductor/executor.h>
#include <taskconductor/taskconductorslurm_export.h>

#include <QtCore/qstring.h>
#include <QtCore/qstringlist.h>

#include <memory>

namespace TaskConductor {

class SlurmAllocation;

//! Where and how a SlurmExecutor asks Slurm for resources. A value type.
struct TASKCONDUCTORSLURM_EXPORT SlurmOptions
{
    //! Partition of the allocation (empty: the cluster's default).
    QString partition;
    //! Account charged for the allocation (empty: the user's default).
    QString account;
    //! Tasks the allocation holds at once; set it to BrokerConfig::maxConcurrentTasks, so that
    //! every slot the Broker hands out has a CPU (more tasks wait inside Slurm for a free one).
    int allocationTasks = 1;
    //! Lets allocationTasks exceed the CPUs Slurm grants (salloc/srun --overcommit).
    bool overcommit = false;
    //! Appended to salloc's arguments (e.g. "--time=60", "--mem-per-cpu=500").
    QStringList extraSallocArguments;
    //! Appended to every srun's arguments, before the task's command.
    QStringList extraSrunArguments;
    //! The allocation is released after no task ran for this long (0: as soon as idle).
    int idleReleaseMsecs = 2000;
    //! Prefix of the allocation's job name; the executor makes the rest unique.
    QString jobNamePrefix = QStringLiteral("taskconductor");
};

//! Runs each attempt as a job step (srun --exact -n1) inside one Slurm allocation that it
//! requests with salloc --no-shell on first use and releases (scancel) once idle or destroyed.
//! The Broker's events, timers and retries stay the same as with LocalExecutor; the
//! differences are listed in the README ("Running on Slurm").
class TASKCONDUCTORSLURM_EXPORT SlurmExecutor : public Executor
{
public:
    explicit SlurmExecutor(const SlurmOptions &options = SlurmOptions());
    //! Releases the allocation (an asynchronous scancel); tasks must have ended before.
    ~SlurmExecutor() override;

    std::unique_ptr<TaskProcess> createProcess(TaskProcessObserver *observer) override;

    SlurmOptions options() const;
    //! Job name of the current or next allocation: "squeue -n" finds what it holds.
    QString jobName() const;
    //! Id of the granted allocation, empty while there is none.
    QString jobId() const;

private:
    std::shared_ptr<SlurmAllocation> d;
};

} // namespace TaskConductor
