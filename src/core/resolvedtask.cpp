// SPDX-License-Identifier: MIT
#include "resolvedtask.h"
#include "longtimer.h"

#include <QtCore/qdir.h>

#include <algorithm>
#include <csignal>

namespace TaskConductor {

TaskDefaults::TaskDefaults(const BrokerConfig &config)
    : m_environment(QProcessEnvironment::systemEnvironment())
    , m_workingDirectory(config.defaultWorkingDirectory.isEmpty() ? QDir::currentPath()
                                                                  : config.defaultWorkingDirectory)
    , m_timeoutSeconds(config.defaultTimeoutSeconds)
    , m_idleTimeoutSeconds(config.defaultIdleTimeoutSeconds)
    , m_stopSignal(config.defaultStopSignal > 0 ? config.defaultStopSignal : SIGTERM)
    , m_retry(config.retry)
    , m_killGraceMs(
              int(LongTimer::fromSeconds(std::min(config.killGraceSeconds, 24.0 * 3600)).count()))
    , m_maxLineBytes(config.maxLineBytes)
    , m_outputBatching(config.outputBatching)
{
    for (auto it = config.defaultEnvironment.cbegin(); it != config.defaultEnvironment.cend(); ++it)
        m_environment.insert(it.key(), it.value());
}

ResolvedTask TaskDefaults::resolve(TaskId id, const TaskDescriptor &task) const
{
    ResolvedTask resolved;
    resolved.launch.taskId = id;
    resolved.launch.command = task.command();
    resolved.launch.workingDirectory =
            task.workingDirectory().isEmpty() ? m_workingDirectory : task.workingDirectory();
    resolved.launch.environment = m_environment; // shared until changed
    const QHash<QString, QString> own = task.environment();
    for (auto it = own.cbegin(); it != own.cend(); ++it)
        resolved.launch.environment.insert(it.key(), it.value());
    for (const QString &name : task.unsetEnvironment())
        resolved.launch.environment.remove(name);

    const double seconds = task.timeoutSeconds() < 0 ? m_timeoutSeconds : task.timeoutSeconds();
    if (seconds > 0) // at most LongTimer::MaxSeconds; a timeout under 0.5 ms is still one
        resolved.timeoutMs = std::max<qint64>(1, LongTimer::fromSeconds(seconds).count());
    const double idle =
            task.idleTimeoutSeconds() < 0 ? m_idleTimeoutSeconds : task.idleTimeoutSeconds();
    if (idle > 0)
        resolved.idleTimeoutMs = std::max<qint64>(1, LongTimer::fromSeconds(idle).count());
    resolved.successExitCodes = task.successExitCodes();
    resolved.launch.stopSignal = task.stopSignal() > 0 ? task.stopSignal() : m_stopSignal;
    resolved.launch.outputMode = task.outputMode();
    resolved.launch.stdinMode = task.stdinMode();
    resolved.launch.stdinData = task.stdinData();
    resolved.launch.stdinFile = task.stdinFile();
    resolved.retry = task.retryPolicy().value_or(m_retry);
    resolved.killGraceMs = m_killGraceMs;
    resolved.maxLineBytes = m_maxLineBytes;
    resolved.priority = task.priority();
    resolved.lane = task.lane();
    resolved.outputBatching = m_outputBatching;
    return resolved;
}

} // namespace TaskConductor
