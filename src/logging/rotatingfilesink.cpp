// SPDX-License-Identifier: MIT
#include <taskconductor/rotatingfilesink.h>

#include "logfile.h"

namespace TaskConductor {

RotatingFileSink::RotatingFileSink(const QString &path, LogFormat format, qint64 rotationBytes,
                                   int backups)
    : m_file(std::make_unique<LogFile>(path, rotationBytes, backups,
                                       [this](const QString &message) { reportError(message); }))
    , m_format(format)
{ }

RotatingFileSink::~RotatingFileSink() = default;

QString RotatingFileSink::path() const
{
    return m_file->path();
}

void RotatingFileSink::write(const LogEntry &entry)
{
    m_file->append(entry.utf8Line(m_format));
}

void RotatingFileSink::flush()
{
    m_file->flush();
}

} // namespace TaskConductor
