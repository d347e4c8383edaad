// SPDX-License-Identifier: MIT
#include "pertasklogsink.h"

#include <QtCore/qdir.h>
#include <QtCore/qfileinfo.h>

namespace TaskConductor {

namespace {

struct Resolved
{
    QString path;
    bool followLinks = false;
};

// The file a per-task log path names when the task is accepted. A link the host put there is
// its choice: resolved now, so that a later swap of the link by the task changes nothing.
Resolved resolveHostLink(const QString &path)
{
    const QFileInfo info(path);
    if (!info.isSymLink())
        return { path };
    if (const QString canonical = info.canonicalFilePath(); !canonical.isEmpty())
        return { canonical };
    // A dangling link: the file it names is created at the first line, if its directory exists.
    const QFileInfo target(info.symLinkTarget());
    if (!target.isSymLink() && target.dir().exists())
        return { target.absoluteFilePath() };
    // Not a path that can be resolved (e.g. /dev/stdout on a pipe): followed as given.
    return { path, true };
}

} // namespace

PerTaskLogSink::PerTaskLogSink(LogFormat format)
    : m_format(format)
{ }

void PerTaskLogSink::taskAccepted(TaskId id, const QString &path)
{
    if (!path.isEmpty())
        logOf(id, path);
}

PerTaskLogSink::TaskLog &PerTaskLogSink::logOf(TaskId id, const QString &hostPath)
{
    TaskLog &log = m_logs[id];
    if (log.hostPath != hostPath) { // new (or, defensively, a task whose path changed)
        const Resolved resolved = resolveHostLink(hostPath);
        log.hostPath = hostPath;
        log.filePath = resolved.path;
        log.followLinks = resolved.followLinks;
        log.file.reset();
        m_open.remove(id);
    }
    return log;
}

void PerTaskLogSink::write(const LogEntry &entry)
{
    const QString path = entry.perTaskLogPath();
    if (path.isEmpty())
        return;
    const TaskId id = entry.taskId();
    TaskLog &log = logOf(id, path);
    if (!log.file) {
        // One LogFile across attempts, so that a refused link is reported once per task.
        log.file = std::make_shared<LogFile>(
                log.filePath, 0, 1, [this](const QString &message) { reportError(message); });
        log.file->setFollowSymbolicLinks(log.followLinks);
    }
    log.file->append(entry.utf8Line(m_format));
    m_open.insert(id);
    if (entry.hasLineBytes()) // a line of a batch: not a terminal event (nor its event made)
        return;
    if (entry.event().isTerminal()) {
        m_open.remove(id);
        m_logs.remove(id); // flushes and closes
    } else if (entry.kind() == EventKind::Retrying) {
        m_open.remove(id);
        log.file->close(); // reopened, and checked again, at the next attempt's first line
    }
}

void PerTaskLogSink::flush()
{
    for (const TaskId id : std::as_const(m_open))
        m_logs[id].file->flush();
}

} // namespace TaskConductor
