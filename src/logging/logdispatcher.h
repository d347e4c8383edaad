// SPDX-License-Identifier: MIT
#pragma once

#include <taskconductor/brokerconfig.h>
#include <taskconductor/logsink.h>
#include <taskconductor/taskdescriptor.h>

#include <QtCore/qhash.h>
#include <QtCore/qtimer.h>

#include <memory>
#include <vector>

namespace TaskConductor {

class PerTaskLogSink;

//! Feeds every event of a Broker to its log sinks: the global log, the per-task logs,
//! logLineHandler, extraLogHandler and BrokerConfig::logSinks, in that order. Timestamps and
//! formats each event once (LogEntry), flushes the sinks after terminal events and at least
//! every FlushIntervalMs, and passes sink errors to the reporter. A batch reaches the sinks as
//! one entry per line, one LogEntry moved from line to line (LogEntry::setLine()).
class LogDispatcher
{
public:
    static constexpr int FlushIntervalMs = 200;

    //! \a timerOwner: the Broker, so that the flush timer follows it to another thread.
    LogDispatcher(const BrokerConfig &config, std::function<void(const QString &)> reportError,
                  QObject *timerOwner);
    ~LogDispatcher(); // flushes every sink

    //! Remembers \a task's per-task log path until its terminal event, and resolves a link
    //! the host put there (PerTaskLogSink).
    void taskAccepted(TaskId id, const TaskDescriptor &task);
    void dispatch(const TaskEvent &event);
    void flush();

private:
    std::vector<std::shared_ptr<LogSink>> m_sinks;
    std::shared_ptr<PerTaskLogSink> m_perTaskLogs; // also in m_sinks; resolves paths at accept
    QHash<TaskId, QString> m_perTaskLogPaths;
    QTimer *m_flushTimer;
    bool *m_destroyedFlag = nullptr; // set while dispatching: a sink may destroy the Broker
};

} // namespace TaskConductor
