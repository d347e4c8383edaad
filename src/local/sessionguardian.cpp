// SPDX-License-Identifier: MIT
#include "sessionguardian.h"

#include <QtCore/qloggingcategory.h>

#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#ifdef Q_OS_LINUX
#include <sys/prctl.h>
#endif

namespace TaskConductor {

Q_DECLARE_LOGGING_CATEGORY(lcLocalExecutor)

/*!
    \class TaskConductor::SessionGuardian
    \internal
    Why a process: the parent-death signal each task's main process gets (LocalProcess) does not
    reach what the task spawned, and nothing in the dead host can act any more. Why no exec: the
    library has no helper program to find at run time. So the child of fork() runs the code
    below, which uses system calls only (no allocation, no locks, no stdio), as is required
    after forking a multithreaded process.

    Protocol: 4-byte records, each written whole (atomically) on a SOCK_STREAM socket: a
    positive pgid registers a group, a negative one forgets it, 0 says goodbye. A socket rather
    than a pipe, so that a host writing to a guardian that was killed gets EPIPE, not SIGPIPE.

    What it may kill: the process groups the host registered and has not forgotten, and the
    processes whose environment carries this session's marker prefix, which names the host's
    pid and the session's serial, random per host process: nothing unrelated carries it. A
    registered group id cannot be reused while the group has a member, and the host forgets a
    group as soon as it has killed it; a reuse in between would need the pid counter to wrap
    around in the milliseconds between the host's kill and its death.
*/

namespace {

constexpr qint32 goodbyeRecord = 0;
constexpr long pidLimit = 4194304; // PID_MAX_LIMIT on 64-bit Linux: every pid and pgid is below
constexpr size_t environBufferBytes = 1024 * 1024; // as ProcessMarker reads it

// ---- The guardian process: system calls only ---------------------------------------------

struct LinuxDirent64
{
    std::uint64_t inode;
    std::int64_t offset;
    unsigned short length;
    unsigned char type;
    char name[1];
};

long parsePid(const char *s)
{
    long value = 0;
    if (*s == '\0')
        return -1;
    for (; *s; ++s) {
        if (*s < '0' || *s > '9' || value > pidLimit)
            return -1;
        value = value * 10 + (*s - '0');
    }
    return value;
}

// "/proc/<pid>/environ" into \a path, without snprintf (not async-signal-safe).
void environPath(char (&path)[48], long pid)
{
    char digits[24];
    int n = 0;
    do {
        digits[n++] = char('0' + pid % 10);
        pid /= 10;
    } while (pid > 0 && n < int(sizeof digits));
    char *p = path;
    for (const char *s = "/proc/"; *s; ++s)
        *p++ = *s;
    while (n > 0)
        *p++ = digits[--n];
    for (const char *s = "/environ"; *s; ++s)
        *p++ = *s;
    *p = '\0';
}

bool carriesPrefix(long pid, const char *prefix, size_t prefixLength, char *buffer)
{
    char path[48];
    environPath(path, pid);
    const int fd = ::open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false; // gone, or not ours to read
    size_t size = 0;
    while (size < environBufferBytes) {
        const ssize_t n = ::read(fd, buffer + size, environBufferBytes - size);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        size += size_t(n);
    }
    ::close(fd);
    for (size_t pos = 0; pos < size;) {
        const void *nul = std::memchr(buffer + pos, '\0', size - pos);
        const size_t end = nul ? size_t(static_cast<const char *>(nul) - buffer) : size;
        if (end - pos >= prefixLength && std::memcmp(buffer + pos, prefix, prefixLength) == 0)
            return true;
        pos = end + 1;
    }
    return false;
}

// SIGKILLs every process carrying the prefix; returns how many it found.
int killMarked(const char *prefix, size_t prefixLength, char *buffer)
{
    const int dir = ::open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir < 0)
        return 0;
    const long self = long(::getpid());
    alignas(8) char entries[16384];
    int found = 0;
    for (;;) {
        const long n = ::syscall(SYS_getdents64, dir, entries, sizeof entries);
        if (n <= 0)
            break;
        for (long offset = 0; offset < n;) {
            const auto *entry = reinterpret_cast<const LinuxDirent64 *>(entries + offset);
            offset += entry->length;
            const long pid = parsePid(entry->name);
            if (pid > 0 && pid != self && carriesPrefix(pid, prefix, prefixLength, buffer)) {
                ::kill(pid_t(pid), SIGKILL);
                ++found;
            }
        }
    }
    ::close(dir);
    return found;
}

void closeAllBut(int keep)
{
#ifdef SYS_close_range
    if ((keep == 0 || ::syscall(SYS_close_range, 0u, unsigned(keep - 1), 0u) == 0)
        && ::syscall(SYS_close_range, unsigned(keep + 1), ~0u, 0u) == 0)
        return;
#endif
    rlimit limit {};
    const long top = ::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY
            ? long(limit.rlim_cur)
            : 65536;
    for (long fd = 0; fd < top; ++fd) {
        if (fd != keep)
            ::close(int(fd));
    }
}

[[noreturn]] void guardianMain(int socket, const char *prefix, size_t prefixLength)
{
#ifdef Q_OS_LINUX
    ::prctl(PR_SET_NAME, "tc-guardian", 0, 0, 0);
#endif
    // Out of the host's process group and session: a Ctrl-C or a kill of the host's group
    // must not take the guardian along.
    ::setsid();
    struct sigaction action;
    std::memset(&action, 0, sizeof action);
    action.sa_handler = SIG_DFL;
    for (int sig = 1; sig < NSIG; ++sig) {
        if (sig != SIGKILL && sig != SIGSTOP)
            ::sigaction(sig, &action, nullptr); // the host's handlers mean nothing here
    }
    action.sa_handler = SIG_IGN;
    ::sigaction(SIGPIPE, &action, nullptr);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    // Every descriptor but its own end: other sessions' sockets would otherwise never read
    // end-of-file while this guardian lives.
    closeAllBut(socket);

    // One bit per possible pgid; pages are only backed once touched.
    auto *groups = static_cast<unsigned char *>(::mmap(
            nullptr, pidLimit / 8, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
    auto *environBuffer =
            static_cast<char *>(::mmap(nullptr, environBufferBytes, PROT_READ | PROT_WRITE,
                                       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
    if (groups == MAP_FAILED || environBuffer == MAP_FAILED)
        ::_exit(2);

    qint32 records[1024];
    size_t carried = 0; // bytes of an incomplete record at the start of records
    for (;;) {
        const ssize_t n = ::read(socket, reinterpret_cast<char *>(records) + carried,
                                 sizeof records - carried);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break; // the host is gone
        const size_t bytes = carried + size_t(n);
        const size_t whole = bytes / sizeof(qint32);
        for (size_t i = 0; i < whole; ++i) {
            const qint32 record = records[i];
            if (record == goodbyeRecord)
                ::_exit(0);
            const long pgid = record > 0 ? long(record) : -long(record);
            if (pgid >= pidLimit)
                continue;
            if (record > 0)
                groups[pgid / 8] |= (unsigned char)(1u << (pgid % 8));
            else
                groups[pgid / 8] &= (unsigned char)~(1u << (pgid % 8));
        }
        carried = bytes - whole * sizeof(qint32);
        std::memmove(records, reinterpret_cast<char *>(records) + whole * sizeof(qint32), carried);
    }

    // The host died with tasks running: their groups first, then whatever left a group but
    // carries the marker (a few rounds, for a descendant that forked meanwhile).
    for (long byte = 0; byte < pidLimit / 8; ++byte) {
        if (groups[byte] == 0)
            continue;
        for (int bit = 0; bit < 8; ++bit) {
            if (groups[byte] & (1u << bit))
                ::kill(-pid_t(byte * 8 + bit), SIGKILL);
        }
    }
    for (int round = 0; round < 5 && killMarked(prefix, prefixLength, environBuffer) > 0; ++round) {
        const timespec millisecond { 0, 1000 * 1000 };
        ::nanosleep(&millisecond, nullptr);
    }
    ::_exit(0);
}

} // namespace

// ---- The host's side -----------------------------------------------------------------------

SessionGuardian::SessionGuardian(QByteArray markerPrefix)
    : m_markerPrefix(std::move(markerPrefix))
{ }

SessionGuardian::~SessionGuardian()
{
    stop();
}

bool SessionGuardian::ensureStarted()
{
    if (m_pid > 0)
        return true;
    if (m_unavailable)
        return false;
    int ends[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ends) != 0) {
        qCWarning(lcLocalExecutor,
                  "no session guardian (socketpair: %s): tasks may outlive a "
                  "host killed with SIGKILL",
                  ::strerror(errno));
        m_unavailable = true;
        return false;
    }
    // Read by the child in its copy of our memory: prepared before the fork.
    const char *prefix = m_markerPrefix.constData();
    const size_t prefixLength = size_t(m_markerPrefix.size());
    const pid_t pid = ::fork();
    if (pid == 0)
        guardianMain(ends[1], prefix, prefixLength);
    const int forkError = errno;
    ::close(ends[1]);
    if (pid < 0) {
        ::close(ends[0]);
        qCWarning(lcLocalExecutor,
                  "no session guardian (fork: %s): tasks may outlive a host killed with SIGKILL",
                  ::strerror(forkError));
        m_unavailable = true;
        return false;
    }
    m_socket = ends[0];
    m_pid = pid;
    return true;
}

bool SessionGuardian::send(qint32 record)
{
    if (m_socket < 0)
        return false;
    for (;;) {
        const ssize_t n = ::send(m_socket, &record, sizeof record, MSG_NOSIGNAL);
        if (n == ssize_t(sizeof record))
            return true;
        if (n < 0 && errno == EINTR)
            continue;
        break;
    }
    // The guardian died (someone killed it): the parent-death signal still ends the tasks'
    // main processes; what they spawned is left to the sweeps of a living host.
    qCWarning(lcLocalExecutor,
              "the session guardian %lld is gone: tasks may outlive a host "
              "killed with SIGKILL",
              m_pid);
    reap();
    m_unavailable = true;
    return false;
}

bool SessionGuardian::watchGroup(qint64 pgid)
{
    if (pgid <= 0 || pgid >= pidLimit || !ensureStarted())
        return false;
    return send(qint32(pgid));
}

void SessionGuardian::forgetGroup(qint64 pgid)
{
    if (pgid > 0 && pgid < pidLimit)
        send(-qint32(pgid));
}

void SessionGuardian::stop()
{
    if (m_socket >= 0)
        send(goodbyeRecord);
    reap();
}

void SessionGuardian::reap()
{
    if (m_socket >= 0) {
        ::close(m_socket);
        m_socket = -1;
    }
    if (m_pid <= 0)
        return;
    // It exits as soon as it reads the goodbye (or end-of-file): a wait of microseconds,
    // bounded in case it was stopped.
    for (int round = 0; round < 200; ++round) {
        const pid_t r = ::waitpid(pid_t(m_pid), nullptr, WNOHANG);
        if (r != 0) { // reaped, or not ours to reap (SIGCHLD ignored by the host)
            m_pid = 0;
            return;
        }
        const timespec halfMillisecond { 0, 500 * 1000 };
        ::nanosleep(&halfMillisecond, nullptr);
    }
    ::kill(pid_t(m_pid), SIGKILL);
    while (::waitpid(pid_t(m_pid), nullptr, 0) < 0 && errno == EINTR) { }
    m_pid = 0;
}

} // namespace TaskConductor
