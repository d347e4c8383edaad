// SPDX-License-Identifier: MIT
#pragma once

#include "logfile.h"

#include <taskconductor/logsink.h>

#include <QtCore/qhash.h>
#include <QtCore/qset.h>

#include <memory>

namespace TaskConductor {

//! Writes each task's own events (started, which marks every attempt, stdout, stderr,
//! retrying, its terminal event and its notices) to LogEntry::perTaskLogPath(), appending.
//! A file is open only while its task runs: it is closed at `retrying` and at the end, so open
//! files stay bounded by the concurrency cap.
//! The path is the host's: a symbolic link there when the task is accepted is resolved then,
//! once, and the file it leads to is used; any link that appears later (the task's doing) is
//! refused, not followed (LogFile::setFollowSymbolicLinks()), and reported once per task.
class PerTaskLogSink final : public LogSink
{
public:
    explicit PerTaskLogSink(LogFormat format);

    //! Resolves \a path for task \a id now (one lstat, more only where it is a link).
    void taskAccepted(TaskId id, const QString &path);
    void write(const LogEntry &entry) override;
    void flush() override;

private:
    struct TaskLog
    {
        QString hostPath; // as the host gave it
        QString filePath; // what is opened: hostPath, or where the host's link led
        bool followLinks = false; // the host's link could not be resolved: followed as given
        std::shared_ptr<LogFile> file; // from the first line to the terminal event
    };
    TaskLog &logOf(TaskId id, const QString &hostPath);

    LogFormat m_format;
    QHash<TaskId, TaskLog> m_logs; // accepted tasks with a log, until their terminal event
    QSet<TaskId> m_open; // those whose file is open now
};

} // namespace TaskConductor
