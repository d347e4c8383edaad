// SPDX-License-Identifier: MIT
#include "fdbudget.h"
#include "localprocess.h"
#include "processmarker.h"

#include <taskconductor/brokerconfig.h>
#include <taskconductor/executor.h>

#include <QtCore/qloggingcategory.h>

#include <algorithm>
#include <atomic>

namespace TaskConductor {

// The Broker's category: to a host these warnings are about its Broker's settings.
Q_LOGGING_CATEGORY(lcLocalExecutor, "taskconductor.broker", QtWarningMsg)

namespace {

quint64 nextBrokerSerial()
{
    static std::atomic<quint64> serial { 1 };
    return serial.fetch_add(1, std::memory_order_relaxed);
}

// One Broker's processes on this machine: marked with the Broker's own number, so that its
// destruction sweeps its own escapees and no other Broker's.
class LocalSession final : public ExecutorSession
{
public:
    explicit LocalSession(const BrokerConfig &config)
        : m_state(std::make_shared<LocalSessionState>())
    {
        m_state->brokerSerial = nextBrokerSerial();
        if (config.childSubreaper && !ProcessMarker::becomeChildSubreaper())
            qCWarning(lcLocalExecutor, "could not make the host a child subreaper");
        const int fit = runningTasksThatFitFdLimit();
        if (fit >= 0 && fit < std::max(1, config.maxConcurrentTasks)) {
            // Found out late, this shows as start failures ("Too many open files") under load.
            qCWarning(lcLocalExecutor,
                      "maxConcurrentTasks %d does not fit the file descriptor limit: "
                      "RLIMIT_NOFILE leaves room for about %d running tasks (%d descriptors "
                      "each)",
                      config.maxConcurrentTasks, fit, fileDescriptorsPerRunningTask);
        }
    }

    std::unique_ptr<TaskProcess> createProcess(TaskProcessObserver *observer) override
    {
        return std::make_unique<LocalProcess>(observer, m_state);
    }

    void shutdown() override
    {
        // Whatever left its group and outlived its task's sweep (e.g. started during the grace).
        ProcessMarker::forBroker(m_state->brokerSerial).killAll(0, m_state->reapedGroups);
    }

private:
    std::shared_ptr<LocalSessionState> m_state;
};

} // namespace

std::unique_ptr<ExecutorSession> LocalExecutor::openSession(const BrokerConfig &config)
{
    return std::make_unique<LocalSession>(config);
}

std::unique_ptr<TaskProcess> LocalExecutor::createProcess(TaskProcessObserver *observer)
{
    return std::make_unique<LocalProcess>(observer, nullptr);
}

} // namespace TaskConductor
