// SPDX-License-Identifier: MIT
#include <taskconductor/executor.h>

namespace TaskConductor {

/*!
    \class TaskConductor::TaskProcess
    One attempt's process, seen from the Broker. States, as Qt Creator's ProcessInterface has
    them: created -> start() -> (started) -> ended. The base class enforces the end: the first
    reportEnded() reaches the observer and marks the process ended; from then on, and from
    detachObserver() on, reports reach nobody. Executors therefore never keep an "ended" flag
    or an observer pointer of their own.
*/

TaskProcess::TaskProcess(TaskProcessObserver *observer)
    : m_observer(observer)
{ }

TaskProcess::~TaskProcess() = default;

void TaskProcess::reportStarted()
{
    if (m_observer && !m_ended)
        m_observer->processStarted();
}

void TaskProcess::reportOutput(OutputChannel channel, QByteArrayView chunk)
{
    if (m_observer && !m_ended)
        m_observer->processOutput(channel, chunk);
}

void TaskProcess::reportOutput(OutputChannel channel, const QByteArray &chunk)
{
    if (m_observer && !m_ended)
        m_observer->processOutputShared(channel, chunk);
}

void TaskProcess::reportEnded(const ProcessEnd &end)
{
    if (m_ended)
        return;
    m_ended = true;
    if (TaskProcessObserver *observer = std::exchange(m_observer, nullptr))
        observer->processEnded(end);
}

TaskProcessBlockingInterface::~TaskProcessBlockingInterface() = default;

ExecutorSession::~ExecutorSession() = default;

void ExecutorSession::shutdown() { }

bool ExecutorSession::canStartAnother(int)
{
    return true;
}

QByteArray ExecutorSession::identity() const
{
    return {};
}

void ExecutorSession::endLeftovers(const QByteArray &) { }

QString ExecutorSession::unsupportedControls(const TaskDescriptor &) const
{
    return QString();
}

Executor::~Executor() = default;

namespace {

// For executors without per-Broker state: every process comes from the executor itself, which
// the Broker keeps alive for longer than the session.
class PlainSession final : public ExecutorSession
{
public:
    explicit PlainSession(Executor *executor)
        : m_executor(executor)
    { }
    std::unique_ptr<TaskProcess> createProcess(TaskProcessObserver *observer) override
    {
        return m_executor->createProcess(observer);
    }

private:
    Executor *m_executor;
};

} // namespace

std::unique_ptr<ExecutorSession> Executor::openSession(const BrokerConfig &)
{
    return std::make_unique<PlainSession>(this);
}

} // namespace TaskConductor
