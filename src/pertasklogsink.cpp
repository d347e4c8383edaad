// SPDX-License-Identifier: MIT
#include "pertasklogsink.h"

namespace TaskConductor {

PerTaskLogSink::PerTaskLogSink(LogFormat format)
    : m_format(format)
{ }

void PerTaskLogSink::write(const LogEntry &entry)
{
    const QString path = entry.perTaskLogPath();
    if (path.isEmpty())
        return;
    const TaskEvent &event = entry.event();
    std::shared_ptr<LogFile> &file = m_open[event.taskId()];
    if (!file || file->path() != path)
        file = std::make_shared<LogFile>(path, 0, 1,
                                         [this](const QString &message) { reportError(message); });
    file->append(entry.utf8Line(m_format));
    if (event.isTerminal() || event.kind() == EventKind::Retrying)
        m_open.remove(event.taskId()); // flushes and closes
}

void PerTaskLogSink::flush()
{
    for (const auto &file : std::as_const(m_open))
        file->flush();
}

} // namespace TaskConductor
