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
    //! CPUs (one task each) to allocate; 0: the Broker's maxConcurrentTasks. The executor asks
    //! for no more than the partition's usable CPUs (sinfo), and says so once.
    int allocationTasks = 0;
    //! false (default): every step may run at once, sharing the allocated CPUs (srun --overlap),
    //! as LocalExecutor runs maxConcurrentTasks processes on any number of CPUs; for I/O-bound
    //! work. true: one CPU per step (srun --exact); steps beyond the allocated CPUs wait inside
    //! Slurm for a free one, before their `started` event; for CPU-bound work.
    bool oneCpuPerStep = false;
    //! The allocation's time limit in minutes (salloc --time), so that even an allocation whose
    //! holder was killed ends; capped at the partition's limit. 0: the partition's default.
    //! A --time in extraSallocArguments wins.
    int timeLimitMinutes = 24 * 60;
    //! Appended to salloc's arguments, after the executor's own (so they win); e.g.
    //! "--mem-per-cpu=500".
    QStringList extraSallocArguments;
    //! Appended to every srun's arguments, before the task's command.
    QStringList extraSrunArguments;
    //! The allocation is released after no step held it for this long (0: as soon as idle). A
    //! step holds it from its start to its destruction, so also while its task waits to retry.
    int idleReleaseMsecs = 2000;
    //! How often a pending allocation request is checked (squeue): its reason is reported, and
    //! a reason that can never clear (PartitionConfig, …) fails the waiting tasks.
    int pendingCheckMsecs = 1000;
    //! Prefix of the allocation's job name; the executor makes the rest unique.
    QString jobNamePrefix = QStringLiteral("taskconductor");
};

//! Runs each attempt as a job step (srun --overlap or --exact, -n1) inside one Slurm allocation,
//! which it requests on first use and releases once idle or destroyed. The allocation is held
//! by a salloc whose command reads a pipe from this process: if the host dies, even by SIGKILL,
//! the pipe closes and Slurm ends the allocation. The Broker's events, timers and retries stay
//! the same as with LocalExecutor; the differences are listed in the README ("Running on Slurm").
class TASKCONDUCTORSLURM_EXPORT SlurmExecutor : public Executor
{
public:
    explicit SlurmExecutor(const SlurmOptions &options = SlurmOptions());
    //! Releases the allocation and waits (at most about 2 s) until salloc has given it back.
    ~SlurmExecutor() override;

    //! Notices ("waiting for allocation J (Resources)", the CPU cap) reach each Broker as a
    //! non-terminal internalError of task 0; its destruction releases an idle allocation at once.
    std::unique_ptr<ExecutorSession> openSession(const BrokerConfig &config) override;
    //! Outside a Broker, notices go to the logging category "taskconductor.slurm".
    std::unique_ptr<TaskProcess> createProcess(TaskProcessObserver *observer) override;

    SlurmOptions options() const;
    //! Job name of the current or next allocation: "squeue -n" finds what it holds.
    QString jobName() const;
    //! Id of the granted allocation, empty while there is none.
    QString jobId() const;
    //! CPUs of the granted allocation (0 while there is none).
    int allocatedCpus() const;

private:
    std::shared_ptr<SlurmAllocation> d;
};

} // namespace TaskConductor
