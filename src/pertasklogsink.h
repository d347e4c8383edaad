// SPDX-License-Identifier: MIT
#pragma once

#include "logfile.h"

#include <taskconductor/logsink.h>

#include <QtCore/qhash.h>

#include <memory>

namespace TaskConductor {

//! Writes each task's own events (started, which marks every attempt, stdout, stderr,
//! retrying, its terminal event and its notices) to LogEntry::perTaskLogPath(), appending.
//! A file is open only while its task runs: it is closed at `retrying` and at the end, so open
//! files stay bounded by the concurrency cap.
class PerTaskLogSink final : public LogSink
{
public:
    explicit PerTaskLogSink(LogFormat format);

    void write(const LogEntry &entry) override;
    void flush() override;

private:
    LogFormat m_format;
    QHash<TaskId, std::shared_ptr<LogFile>> m_open;
};

} // namespace TaskConductor
