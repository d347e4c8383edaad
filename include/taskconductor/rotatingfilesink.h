// SPDX-License-Identifier: MIT
#pragma once

#include <taskconductor/logsink.h>

#include <memory>

namespace TaskConductor {

class LogFile;

//! "<path>.<index>": the name of rotated backup \a index (1 is the newest).
TASKCONDUCTOR_EXPORT QString rotatedLogName(const QString &path, int index);

//! Appends one line per event to a file, buffered, and rotates it before it would grow past
//! rotationBytes: path.(N-1) -> path.N ... path -> path.1, then a new file at path (N = backups;
//! the oldest is dropped). A line is never split, lost or duplicated by a rotation; a line
//! longer than rotationBytes gets a file of its own. The size is tracked, not stat'ed per line.
//! Write errors (directory missing or unwritable, path is a directory, disk full, file deleted
//! while open) are reported once through reportError(); lines meanwhile are dropped, and the
//! file is reopened at the next flush.
class TASKCONDUCTOR_EXPORT RotatingFileSink : public LogSink
{
public:
    //! \a rotationBytes 0: never rotate. \a backups: at least 1.
    explicit RotatingFileSink(const QString &path, LogFormat format = LogFormat::Text,
                              qint64 rotationBytes = 0, int backups = 1);
    ~RotatingFileSink() override;

    QString path() const;
    LogFormat format() const { return m_format; }

    void write(const LogEntry &entry) override;
    void flush() override;

private:
    std::unique_ptr<LogFile> m_file;
    LogFormat m_format;
};

} // namespace TaskConductor
