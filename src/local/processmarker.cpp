// SPDX-License-Identifier: MIT
#include "processmarker.h"
#include "textescaping_p.h"

#include <QtCore/qrandom.h>
#include <QtCore/qset.h>
#include <QtCore/qstring.h>

#include <atomic>
#include <mutex>

#include <cerrno>
#include <csignal>
#include <ctime>
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
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

qint64 threadGroupOf(qint64 pid)
{
    char path[64];
    std::snprintf(path, sizeof path, "/proc/%lld/status", static_cast<long long>(pid));
    const QByteArray status = readSmallFile(path, 4096);
    const qsizetype at = status.indexOf("\nTgid:");
    if (at < 0)
        return 0;
    const qsizetype end = status.indexOf('\n', at + 1);
    return status.mid(at + 6, end < 0 ? -1 : end - at - 6).trimmed().toLongLong();
}

struct RunningTaskProcesses
{
    std::mutex mutex;
    QSet<qint64> pids;
};

RunningTaskProcesses &runningTaskProcesses()
{
    static RunningTaskProcesses running;
    return running;
}

// A fork() child of the host starts over (pthread_atfork).
std::atomic<pid_t> cachedHostPid { 0 };

} // namespace

qint64 ProcessMarker::hostPid()
{
    static std::once_flag once;
    std::call_once(once, [] {
        ::pthread_atfork(nullptr, nullptr,
                         [] { cachedHostPid.store(0, std::memory_order_relaxed); });
    });
    pid_t pid = cachedHostPid.load(std::memory_order_relaxed);
    if (pid == 0) {
        pid = ::getpid();
        cachedHostPid.store(pid, std::memory_order_relaxed);
    }
    return pid;
}

void ProcessMarker::setTaskProcessRunning(qint64 pid, bool running)
{
    if (pid <= 0)
        return;
    RunningTaskProcesses &r = runningTaskProcesses();
    const std::lock_guard<std::mutex> lock(r.mutex);
    if (running)
        r.pids.insert(pid);
    else
        r.pids.remove(pid);
}

ProcessMarker ProcessMarker::forTask(quint64 brokerSerial, TaskId id)
{
    // Made per start: one allocation, where concatenating allocated nine times.
    QByteArray entry;
    entry.reserve(96);
    entry.append(variableName()).append('=');
    char digits[24];
    char *const digitsEnd = digits + sizeof digits;
    auto appendNumber = [&](qint64 number) { // all three are below 2^63
        const char *first = TextEscaping::writeDecimalBefore(digitsEnd, number);
        entry.append(first, digitsEnd - first);
    };
    appendNumber(hostPid());
    entry.append(':');
    appendNumber(qint64(brokerSerial));
    entry.append(':');
    appendNumber(qint64(id));
    return ProcessMarker(std::move(entry), true);
}

ProcessMarker ProcessMarker::forBroker(quint64 brokerSerial)
{
    return forBrokerOf(hostPid(), brokerSerial);
}

ProcessMarker ProcessMarker::forBrokerOf(qint64 hostPid, quint64 brokerSerial)
{
    return ProcessMarker(QByteArray(variableName()) + '=' + QByteArray::number(hostPid) + ':'
                                 + QByteArray::number(brokerSerial) + ':',
                         false);
}

quint64 ProcessMarker::nextBrokerSerial()
{
    // 48 random bits leave room to count up without wrapping.
    static std::atomic<quint64> serial { QRandomGenerator::system()->generate64() >> 16 };
    return serial.fetch_add(1, std::memory_order_relaxed);
}

ProcessMarker ProcessMarker::forHost()
{
    return ProcessMarker(QByteArray(variableName()) + '=' + QByteArray::number(hostPid()) + ':',
                         false);
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

int ProcessMarker::openLastPidSource()
{
    return ::open("/proc/loadavg", O_RDONLY | O_CLOEXEC);
}

qint64 ProcessMarker::lastPid(int loadavg)
{
    // "0.00 0.01 0.05 1/123 4567": the last field is the pid given out last. procfs makes the
    // text again for each read at offset 0.
    const int fd = loadavg >= 0 ? loadavg : openLastPidSource();
    if (fd < 0)
        return 0;
    char text[256];
    ssize_t n;
    do {
        n = ::pread(fd, text, sizeof text - 1, 0);
    } while (n < 0 && errno == EINTR);
    if (fd != loadavg)
        ::close(fd);
    if (n <= 0)
        return 0;
    const QByteArray line = QByteArray::fromRawData(text, n).trimmed();
    bool ok = false;
    const qint64 pid = line.mid(line.lastIndexOf(' ') + 1).toLongLong(&ok);
    return ok ? pid : 0;
}

bool ProcessMarker::matchesProcess(qint64 pid) const
{
    char path[64];
    std::snprintf(path, sizeof path, "/proc/%lld/environ", static_cast<long long>(pid));
    // A zombie's environment reads as empty, so zombies never match.
    return matches(readSmallFile(path, 1024 * 1024));
}

QList<qint64> ProcessMarker::find(qint64 except, qint64 bornAfter, int loadavg) const
{
    QList<qint64> found;
    if (m_entry.isEmpty())
        return found;
    const qint64 self = hostPid();
    auto consider = [&](qint64 pid) {
        if (pid != self && pid != except && matchesProcess(pid))
            found.append(pid);
    };
    // Reading every process's environment costs microseconds each, which after every task of
    // a few milliseconds was a third of the host's CPU time. The task's descendants were
    // numbered after it: a few numbers are probed directly, more are taken from the listing.
    if (bornAfter > 0) {
        const qint64 last = lastPid(loadavg);
        if (last < bornAfter) {
            bornAfter = 0; // the numbers wrapped around since
        } else if (last - bornAfter <= 64) {
            qint64 candidates[64];
            int count = 0;
            {
                RunningTaskProcesses &r = runningTaskProcesses();
                const std::lock_guard<std::mutex> lock(r.mutex);
                for (qint64 pid = bornAfter + 1; pid <= last; ++pid) {
                    if (!r.pids.contains(pid))
                        candidates[count++] = pid;
                }
            }
            for (int i = 0; i < count; ++i) {
                const qint64 pid = candidates[i];
                consider(pid);
                // /proc/<tid> of a thread reads as its process: keep only process leaders.
                if (!found.isEmpty() && found.constLast() == pid && threadGroupOf(pid) != pid)
                    found.removeLast();
            }
            return found;
        }
    }
    QSet<qint64> otherTasks;
    if (bornAfter > 0) {
        RunningTaskProcesses &r = runningTaskProcesses();
        const std::lock_guard<std::mutex> lock(r.mutex);
        otherTasks = r.pids;
    }
    DIR *proc = ::opendir("/proc");
    if (!proc)
        return found;
    while (const dirent *entry = ::readdir(proc)) {
        char *end = nullptr;
        const long long pid = std::strtoll(entry->d_name, &end, 10);
        if (pid > 0 && *end == '\0' && pid > bornAfter && !otherTasks.contains(pid))
            consider(pid);
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

int ProcessMarker::killAll(qint64 except, const QList<qint64> &groups, qint64 bornAfter,
                           int loadavg) const
{
    const QList<qint64> pids = find(except, bornAfter, loadavg);
    const bool subreaper = isChildSubreaper();
    if (pids.isEmpty() && (groups.isEmpty() || !subreaper))
        return 0; // the common case after a task: nothing found, nothing to reap
    QList<qint64> ours;
    const qint64 self = hostPid();
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

int ProcessMarker::killAllAndWait(int waitMsecs) const
{
    timespec start {};
    ::clock_gettime(CLOCK_MONOTONIC, &start);
    QSet<qint64> found; // a process killed in one round may still be listed in the next
    for (;;) {
        const QList<qint64> pids = find();
        if (pids.isEmpty())
            return int(found.size());
        for (qint64 pid : pids) {
            found.insert(pid);
            if (readStat(pid).group == pid)
                ::kill(-pid_t(pid), SIGKILL);
            ::kill(pid_t(pid), SIGKILL);
        }
        timespec now {};
        ::clock_gettime(CLOCK_MONOTONIC, &now);
        if ((now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000
            >= waitMsecs)
            return int(found.size());
        const timespec twoMilliseconds { 0, 2 * 1000 * 1000 };
        ::nanosleep(&twoMilliseconds, nullptr);
    }
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
