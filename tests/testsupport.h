// SPDX-License-Identifier: MIT
// Shared by the tests: the helper program's path, an event recorder and a leak check.
#pragma once

#include <taskconductor/broker.h>

#include <QtCore/qdir.h>
#include <QtCore/qfile.h>
#include <QtCore/qlist.h>

#include <signal.h>

namespace TestSupport {

inline QString helper()
{
    return QStringLiteral(TC_HELPER_PATH);
}

inline TaskConductor::TaskDescriptor helperTask(const QStringList &args)
{
    return TaskConductor::TaskDescriptor(QStringList { helper() } + args);
}

// Every event one handler received, with checks of the exactly-once contract.
struct Recorder
{
    QList<TaskConductor::TaskEvent> events;

    TaskConductor::TaskEventHandler handler()
    {
        return [this](const TaskConductor::TaskEvent &e) { events.append(e); };
    }
    QList<TaskConductor::TaskEvent> of(TaskConductor::TaskId id) const
    {
        QList<TaskConductor::TaskEvent> out;
        for (const auto &e : events)
            if (e.taskId() == id)
                out.append(e);
        return out;
    }
    QList<TaskConductor::EventKind> kinds(TaskConductor::TaskId id) const
    {
        QList<TaskConductor::EventKind> out;
        for (const auto &e : of(id))
            out.append(e.kind());
        return out;
    }
    QStringList lines(TaskConductor::TaskId id,
                      TaskConductor::EventKind kind = TaskConductor::EventKind::Stdout) const
    {
        QStringList out;
        for (const auto &e : of(id))
            if (e.kind() == kind)
                out.append(e.line());
        return out;
    }
    int terminals(TaskConductor::TaskId id) const
    {
        int n = 0;
        for (const auto &e : of(id))
            n += e.isTerminal() ? 1 : 0;
        return n;
    }
    bool ended(TaskConductor::TaskId id) const { return terminals(id) > 0; }
    TaskConductor::TaskEvent terminal(TaskConductor::TaskId id) const
    {
        for (const auto &e : of(id))
            if (e.isTerminal())
                return e;
        return {};
    }
    // Exactly one terminal event, and it is the last one of its task.
    bool exactlyOnce(TaskConductor::TaskId id) const
    {
        const auto list = of(id);
        return terminals(id) == 1 && list.last().isTerminal();
    }
};

// Processes whose environment carries \a marker (the broker puts it in every child's), so
// grandchildren that were re-parented are found too. Zombies count as gone.
inline QList<int> processesWithMarker(const QByteArray &marker)
{
    QList<int> found;
    const QStringList entries = QDir(QStringLiteral("/proc")).entryList(QDir::Dirs);
    for (const QString &entry : entries) {
        bool ok = false;
        const int pid = entry.toInt(&ok);
        if (!ok)
            continue;
        QFile environ(QStringLiteral("/proc/%1/environ").arg(pid));
        if (!environ.open(QIODevice::ReadOnly) || !environ.readAll().split('\0').contains(marker))
            continue;
        QFile stat(QStringLiteral("/proc/%1/stat").arg(pid));
        if (stat.open(QIODevice::ReadOnly)) {
            const QByteArray s = stat.readAll();
            const int close = s.lastIndexOf(')');
            if (close > 0 && s.mid(close + 2, 1) == "Z")
                continue;
        }
        found.append(pid);
    }
    return found;
}

inline bool processAlive(int pid)
{
    if (::kill(pid, 0) != 0)
        return false;
    QFile stat(QStringLiteral("/proc/%1/stat").arg(pid));
    if (!stat.open(QIODevice::ReadOnly))
        return false;
    const QByteArray s = stat.readAll();
    const int close = s.lastIndexOf(')');
    return !(close > 0 && s.mid(close + 2, 1) == "Z");
}

} // namespace TestSupport
