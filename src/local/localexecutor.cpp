// SPDX-License-Identifier: MIT
#include "fdbudget.h"
#include "localprocess.h"
#include "processmarker.h"

#include <taskconductor/brokerconfig.h>
#include <taskconductor/executor.h>

#include <QtCore/qcoreapplication.h>
#include <QtCore/qloggingcategory.h>

#include <algorithm>

namespace TaskConductor {

// The Broker's category: to a host these warnings are about its Broker's settings.
Q_LOGGING_CATEGORY(lcLocalExecutor, "taskconductor.broker", QtWarningMsg)

namespace {

// How long a resumed Broker waits for its predecessor's leftovers to die of SIGKILL (only a
// process in uninterruptible sleep takes longer).
constexpr int leftoverWaitMsecs = 2000;

const QByteArray identityPrefix = QByteArrayLiteral("local ");

// One Broker's processes on this machine: marked with the Broker's own number, so that its
// destruction sweeps its own escapees and no other Broker's.
class LocalSession final : public ExecutorSession
{
public:
    explicit LocalSession(const BrokerConfig &config)
        : m_state(std::make_shared<LocalSessionState>(ProcessMarker::nextBrokerSerial()))
    {
        if (config.childSubreaper && !ProcessMarker::becomeChildSubreaper())
            qCWarning(lcLocalExecutor, "could not make the host a child subreaper");
        // Counting descriptors costs a read of /proc before each start: only where the limit
        // is near what the slots could need.
        const long limit = fileDescriptorLimit();
        const long needed =
                long(std::max(1, config.maxConcurrentTasks)) * fileDescriptorsPerRunningTask
                + fileDescriptorsToStartATask;
        m_watchDescriptors = limit >= 0 && limit - openFileDescriptors() < 2 * needed;
        m_maxConcurrentTasks = std::max(1, config.maxConcurrentTasks);
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

    bool canStartAnother(int running) override
    {
        if (!m_watchDescriptors || anotherTaskFitsFdLimit())
            return true;
        // Found out late, this showed as start failures ("Too many open files") under load.
        if (!m_saidSo) {
            m_saidSo = true;
            notice(QStringLiteral("%1 tasks at once do not fit the file descriptor limit "
                                  "(RLIMIT_NOFILE %2, about %3 descriptors per task): running "
                                  "%4 at once")
                           .arg(m_maxConcurrentTasks)
                           .arg(fileDescriptorLimit())
                           .arg(fileDescriptorsPerRunningTask)
                           .arg(running));
        }
        return false;
    }

    QByteArray identity() const override
    {
        return identityPrefix + QByteArray::number(QCoreApplication::applicationPid()) + ':'
                + QByteArray::number(m_state->brokerSerial);
    }

    void endLeftovers(const QByteArray &previousIdentity) override
    {
        if (!previousIdentity.startsWith(identityPrefix))
            return; // another executor's
        const QList<QByteArray> fields = previousIdentity.mid(identityPrefix.size()).split(':');
        bool pidOk = false;
        bool serialOk = false;
        const qint64 pid = fields.value(0).toLongLong(&pidOk);
        const quint64 serial = fields.value(1).toULongLong(&serialOk);
        if (fields.size() != 2 || !pidOk || !serialOk || pid <= 0)
            return;
        const int ended = ProcessMarker::forBrokerOf(pid, serial).killAllAndWait(leftoverWaitMsecs);
        if (ended > 0)
            notice(QStringLiteral("ended %1 processes that an earlier run (pid %2) left running")
                           .arg(ended)
                           .arg(pid));
    }

private:
    std::shared_ptr<LocalSessionState> m_state;
    int m_maxConcurrentTasks = 1;
    bool m_watchDescriptors = false;
    bool m_saidSo = false;
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
