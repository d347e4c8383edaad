// SPDX-License-Identifier: MIT
#include "slurmallocation.h"
#include "slurmstep.h"

#include <taskconductor/brokerconfig.h>
#include <taskconductor/taskdescriptor.h>

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

namespace {

// One Broker's use of the shared allocation: its notices go to that Broker.
class SlurmSession final : public ExecutorSession
{
public:
    SlurmSession(std::shared_ptr<SlurmAllocation> allocation, int maxConcurrentTasks)
        : m_allocation(std::move(allocation))
    {
        m_allocation->openSession(this, maxConcurrentTasks,
                                  [this](const QString &message) { notice(message); });
    }
    ~SlurmSession() override { m_allocation->closeSession(this); }

    std::unique_ptr<TaskProcess> createProcess(TaskProcessObserver *observer) override
    {
        return std::make_unique<SlurmStep>(m_allocation, observer);
    }
    // The step script gives the task /dev/null as stdin and keeps its streams apart (srun's own
    // stdin must stay a silent pipe, see SlurmStep); these controls are refused at enqueue.
    QString unsupportedControls(const TaskDescriptor &task) const override
    {
        if (task.stdinMode() != StdinMode::Null)
            return QStringLiteral("the Slurm executor cannot give a task standard input "
                                  "(\"stdin\", \"stdinFile\", \"stdinOpen\"); it reads /dev/null");
        if (task.outputMode() == OutputMode::Merged)
            return QStringLiteral("the Slurm executor cannot merge a task's stderr into its "
                                  "stdout (\"mergeOutput\")");
        return QString();
    }
    // The Broker is gone: an allocation nobody holds goes now, not after idleReleaseMsecs.
    void shutdown() override { m_allocation->releaseIfIdle(); }

private:
    std::shared_ptr<SlurmAllocation> m_allocation;
};

} // namespace

SlurmExecutor::SlurmExecutor(const SlurmOptions &options)
    : d(std::make_shared<SlurmAllocation>(options))
{ }

SlurmExecutor::~SlurmExecutor() = default; // steps still alive keep the allocation

std::unique_ptr<ExecutorSession> SlurmExecutor::openSession(const BrokerConfig &config)
{
    return std::make_unique<SlurmSession>(d, config.maxConcurrentTasks);
}

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
