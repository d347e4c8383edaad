// SPDX-License-Identifier: MIT
// Shared by the tests: the helper program's path, the fixture of the suites that run a Broker,
// an event recorder and leak checks.
#pragma once

#include <taskconductor/broker.h>

#include <QtCore/qcoreapplication.h>
#include <QtCore/qdir.h>
#include <QtCore/qfile.h>
#include <QtCore/qlist.h>
#include <QtTest/qtest.h>

#include <algorithm>

#include <signal.h>
#include <unistd.h>

namespace TestSupport {

inline QString helper()
{
    return QStringLiteral(TC_HELPER_PATH);
}

// The environment entry "NAME=value" that a test program puts on every child it starts, so that
// its cleanup() finds them, re-parented grandchildren included (see processesWithMarker()).
inline QByteArray childMarker(const char *testName)
{
    return "TC_TEST_MARKER=" + QByteArray(testName) + '-'
            + QByteArray::number(QCoreApplication::applicationPid());
}

// Adds \a marker (from childMarker()) to an environment map such as defaultEnvironment.
template<typename Map> void addChildMarker(Map &environment, const QByteArray &marker)
{
    const int eq = marker.indexOf('=');
    environment.insert(QString::fromLatin1(marker.left(eq)),
                       QString::fromLatin1(marker.mid(eq + 1)));
}

// The Broker settings the suites start from: 4 slots, a short kill grace, children marked.
inline TaskConductor::BrokerConfig testConfig(const QByteArray &marker)
{
    TaskConductor::BrokerConfig c;
    c.maxConcurrentTasks = 4;
    c.killGraceSeconds = 0.3;
    addChildMarker(c.defaultEnvironment, marker);
    return c;
}

// Processes whose environment carries \a marker; defined below.
inline QList<int> processesWithMarker(const QByteArray &marker);

// The fixture of the suites that run a Broker: every child carries the suite's marker, the
// settings start from testConfig(), and after every test nothing the test started is left.
class BrokerFixture
{
public:
    explicit BrokerFixture(const char *suite)
        : m_marker(childMarker(suite))
    { }
    const QByteArray &marker() const { return m_marker; }
    TaskConductor::BrokerConfig config() const { return testConfig(m_marker); }
    // For cleanup(): waits until no process carrying the marker is left, re-parented ones too.
    void expectNothingLeft(int timeoutMs) const
    {
        QTRY_COMPARE_WITH_TIMEOUT(processesWithMarker(m_marker), QList<int>(), timeoutMs);
    }

private:
    QByteArray m_marker;
};

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
                out += e.lines(); // one line, or a batch's (BrokerConfig::outputBatching)
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

// Living processes (zombies excluded) with an environment variable for which \a matches holds.
// Read from /proc independently of the library's own sweep, so the tests do not trust it.
template<typename Predicate> QList<int> processesWithVariable(Predicate matches)
{
    QList<int> found;
    const QStringList entries = QDir(QStringLiteral("/proc")).entryList(QDir::Dirs);
    for (const QString &entry : entries) {
        bool ok = false;
        const int pid = entry.toInt(&ok);
        if (!ok)
            continue;
        QFile environ(QStringLiteral("/proc/%1/environ").arg(pid));
        if (!environ.open(QIODevice::ReadOnly))
            continue;
        const QList<QByteArray> variables = environ.readAll().split('\0');
        if (std::none_of(variables.cbegin(), variables.cend(), matches))
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

// Processes whose environment carries \a marker (the broker puts it in every child's), so
// grandchildren that were re-parented are found too.
inline QList<int> processesWithMarker(const QByteArray &marker)
{
    return processesWithVariable([&](const QByteArray &variable) { return variable == marker; });
}

// Processes carrying the marker that any Broker of this test process puts in its children's
// environment (TASKCONDUCTOR_BROKER=<our pid>:...), however far they were re-parented.
inline QList<int> processesOfOurBrokers()
{
    const QByteArray prefix =
            "TASKCONDUCTOR_BROKER=" + QByteArray::number(QCoreApplication::applicationPid()) + ':';
    return processesWithVariable(
            [&](const QByteArray &variable) { return variable.startsWith(prefix); });
}

// One process as /proc/<pid>/stat shows it.
struct ProcessStat
{
    int pid = 0;
    QByteArray name; // comm, without the parentheses
    char state = 0; // R, S, Z ...
    qint64 parent = 0;
};

// Every process now (one that ends while it is read is left out).
inline QList<ProcessStat> processStats()
{
    QList<ProcessStat> found;
    const QStringList entries = QDir(QStringLiteral("/proc")).entryList(QDir::Dirs);
    for (const QString &entry : entries) {
        bool isPid = false;
        const int pid = entry.toInt(&isPid);
        QFile stat(QStringLiteral("/proc/%1/stat").arg(entry));
        if (!isPid || !stat.open(QIODevice::ReadOnly))
            continue;
        const QByteArray s = stat.readAll();
        // The name may hold spaces and parentheses: it ends at the last ')'.
        const int open = s.indexOf('(');
        const int close = s.lastIndexOf(')');
        if (open < 0 || close < open)
            continue;
        const QList<QByteArray> fields = s.mid(close + 2).split(' ');
        if (fields.size() < 2 || fields.at(0).isEmpty())
            continue;
        found.append({ pid, s.mid(open + 1, close - open - 1), fields.at(0).at(0),
                       fields.at(1).toLongLong() });
    }
    return found;
}

// Children of this test process that died and were not reaped.
inline QList<int> ourZombies()
{
    QList<int> found;
    for (const ProcessStat &process : processStats()) {
        if (process.state == 'Z' && process.parent == QCoreApplication::applicationPid())
            found.append(process.pid);
    }
    return found;
}

// File descriptors open in this process now.
inline int openFdCount()
{
    return int(QDir(QStringLiteral("/proc/self/fd")).entryList(QDir::Files | QDir::System).size());
}

// Resident set size of this process, in bytes.
inline qint64 residentBytes()
{
    QFile statm(QStringLiteral("/proc/self/statm"));
    if (!statm.open(QIODevice::ReadOnly))
        return 0;
    return statm.readAll().split(' ').value(1).toLongLong() * ::sysconf(_SC_PAGESIZE);
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
