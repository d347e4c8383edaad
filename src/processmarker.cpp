// SPDX-License-Identifier: MIT
#include "processmarker.h"

#include <QtCore/qstring.h>

#include <cerrno>
#include <csignal>
#include <ctime>
#include <dirent.h>
#include <fcntl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#ifdef Q_OS_LINUX
#include <sys/prctl.h>
#endif

namespace TaskConductor {

/*!
    \class TaskConductor::ProcessMarker
    \internal
    Process groups do not hold a task that calls setsid(); the environment does, unless the
    task scrubs it on purpose. The marker names the host pid, so brokers of two hosts never
    touch each other's processes, and the broker serial, so two brokers of one host do not.
    /proc is read with plain POSIX calls: a sweep runs after every task and must stay cheap.
*/

namespace {

QByteArray readSmallFile(const char *path, qsizetype limit)
{
    QByteArray out;
    const int fd = ::open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return out;
    char buffer[4096];
    while (out.size() < limit) {
        const ssize_t n = ::read(fd, buffer, sizeof buffer);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        out.append(buffer, n);
    }
    ::close(fd);
    return out;
}

struct StatLine
{
    char state = '?';
    qint64 parent = 0;
    qint64 group = 0;
};

StatLine readStat(qint64 pid)
{
    char path[64];
    std::snprintf(path, sizeof path, "/proc/%lld/stat", static_cast<long long>(pid));
    const QByteArray s = readSmallFile(path, 1024);
    StatLine out;
    const qsizetype close = s.lastIndexOf(')'); // the command name may contain anything
    if (close < 0 || close + 2 >= s.size())
        return out;
    out.state = s.at(close + 2);
    const QList<QByteArray> rest = s.mid(close + 4).split(' ');
    if (rest.size() > 1) {
        out.parent = rest.at(0).toLongLong();
        out.group = rest.at(1).toLongLong();
    }
    return out;
}

} // namespace

ProcessMarker ProcessMarker::forTask(quint64 brokerSerial, TaskId id)
{
    return ProcessMarker(QByteArray(variableName()) + '=' + QByteArray::number(::getpid()) + ':'
                                 + QByteArray::number(brokerSerial) + ':' + QByteArray::number(id),
                         true);
}

ProcessMarker ProcessMarker::forBroker(quint64 brokerSerial)
{
    return ProcessMarker(QByteArray(variableName()) + '=' + QByteArray::number(::getpid()) + ':'
                                 + QByteArray::number(brokerSerial) + ':',
                         false);
}

ProcessMarker ProcessMarker::forHost()
{
    return ProcessMarker(QByteArray(variableName()) + '=' + QByteArray::number(::getpid()) + ':',
                         false);
}

ProcessMarker ProcessMarker::fromEnvironment(const QProcessEnvironment &environment)
{
    const QString name = QString::fromLatin1(variableName());
    if (!environment.contains(name))
        return ProcessMarker(QByteArray(), true);
    return ProcessMarker(QByteArray(variableName()) + '=' + environment.value(name).toLocal8Bit(),
                         true);
}

QString ProcessMarker::value() const
{
    return QString::fromLatin1(m_entry.mid(qsizetype(qstrlen(variableName())) + 1));
}

bool ProcessMarker::matches(const QByteArray &environ) const
{
    qsizetype pos = 0;
    while (pos < environ.size()) {
        qsizetype end = environ.indexOf('\0', pos);
        if (end < 0)
            end = environ.size();
        const QByteArrayView entry(environ.constData() + pos, end - pos);
        if (m_exact ? entry == m_entry : entry.startsWith(m_entry))
            return true;
        pos = end + 1;
    }
    return false;
}

QList<qint64> ProcessMarker::find(qint64 except) const
{
    QList<qint64> found;
    if (m_entry.isEmpty())
        return found;
    DIR *proc = ::opendir("/proc");
    if (!proc)
        return found;
    const qint64 self = ::getpid();
    while (const dirent *entry = ::readdir(proc)) {
        char *end = nullptr;
        const long long pid = std::strtoll(entry->d_name, &end, 10);
        if (pid <= 0 || *end != '\0' || pid == self || pid == except)
            continue;
        char path[64];
        std::snprintf(path, sizeof path, "/proc/%lld/environ", pid);
        // A zombie's environment reads as empty, so zombies never match.
        if (matches(readSmallFile(path, 1024 * 1024)))
            found.append(pid);
    }
    ::closedir(proc);
    return found;
}

static bool isChildSubreaper()
{
#ifdef Q_OS_LINUX
    int value = 0;
    return ::prctl(PR_GET_CHILD_SUBREAPER, &value, 0, 0, 0) == 0 && value != 0;
#else
    return false;
#endif
}

int ProcessMarker::killAll(qint64 except, const QList<qint64> &groups) const
{
    const QList<qint64> pids = find(except);
    QList<qint64> ours;
    const qint64 self = ::getpid();
    const bool subreaper = isChildSubreaper();
    for (qint64 pid : pids) {
        const bool child = subreaper && readStat(pid).parent == self;
        ::kill(pid_t(pid), SIGKILL);
        if (child)
            ours.append(pid);
    }
    // Group members that died after their parent were re-parented to us as zombies.
    if (subreaper && !groups.isEmpty()) {
        if (DIR *proc = ::opendir("/proc")) {
            while (const dirent *entry = ::readdir(proc)) {
                char *end = nullptr;
                const long long pid = std::strtoll(entry->d_name, &end, 10);
                if (pid <= 0 || *end != '\0' || pid == except)
                    continue;
                const StatLine stat = readStat(pid);
                if (stat.state == 'Z' && stat.parent == self && groups.contains(stat.group))
                    ours.append(pid);
            }
            ::closedir(proc);
        }
    }
    // SIGKILL cannot be caught: a re-parented child is a zombie within microseconds, unless it
    // sleeps uninterruptibly; then we leave it rather than block the host.
    for (int round = 0; round < 100 && !ours.isEmpty(); ++round) {
        for (qsizetype i = ours.size() - 1; i >= 0; --i) {
            const pid_t r = ::waitpid(pid_t(ours.at(i)), nullptr, WNOHANG);
            if (r != 0)
                ours.removeAt(i); // reaped, or not ours to reap after all
        }
        if (!ours.isEmpty()) {
            const timespec millisecond { 0, 1000 * 1000 };
            ::nanosleep(&millisecond, nullptr);
        }
    }
    return int(pids.size());
}

bool ProcessMarker::becomeChildSubreaper()
{
#ifdef Q_OS_LINUX
    return ::prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0;
#else
    return false;
#endif
}

} // namespace TaskConductor
