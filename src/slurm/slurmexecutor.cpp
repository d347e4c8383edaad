// SPDX-License-Identifier: MIT
#include "slurmallocation.h"
#include "slurmstep.h"

namespace TaskConductor {

/*!
    \class TaskConductor::SlurmExecutor
    Each attempt is one job step (SlurmStep) inside one allocation (SlurmAllocation). Steps
    start in tens of milliseconds where a job per task would wait for the scheduler's next pass
    (seconds).

    Concurrency: the Broker's maxConcurrentTasks stays the number of tasks at once, as with
    LocalExecutor. The allocation holds at most the partition's usable CPUs; by default every
    step may run at once on them (srun --overlap), as a local run of -j 8 on 2 CPUs does; with
    SlurmOptions::oneCpuPerStep each step takes a CPU of its own (srun --exact), and the steps
    beyond the allocated CPUs wait inside Slurm (not yet `started`, so their timeout does not
    run).
*/

SlurmExecutor::SlurmExecutor(const SlurmOptions &options)
    : d(std::make_shared<SlurmAllocation>(options))
{ }

SlurmExecutor::~SlurmExecutor() = default; // steps still alive keep the allocation

std::unique_ptr<TaskProcess> SlurmExecutor::createProcess(TaskProcessObserver *observer)
{
    return std::make_unique<SlurmStep>(d, observer);
}

SlurmOptions SlurmExecutor::options() const
{
    return d->options;
}

QString SlurmExecutor::jobName() const
{
    return d->jobName;
}

QString SlurmExecutor::jobId() const
{
    return d->jobId;
}

int SlurmExecutor::allocatedCpus() const
{
    return d->cpus;
}

} // namespace TaskConductor
