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

    Protocol: the host registers a group by setting its bit in a bitmap that host and guardian
    share (an anonymous MAP_SHARED mapping made before the fork), and forgets it by clearing the
    bit: no system call and no wake-up of the guardian per task (a 4-byte record on the socket
    per start and per end made the guardian preempt the host twice per task: 13% of the host's
    CPU time at 8 tasks at once). The socket only tells the guardian when to act: end-of-file
    (the host is gone) or one goodbye byte (exit without killing). A socket rather than a pipe,
    so that a host writing to a guardian that was killed gets EPIPE, not SIGPIPE. The host's
    stores are visible to the guardian once the host has died: its descriptors close after its
    threads have stopped.

    What it may kill: the process groups the host registered and has not forgotten, and the
    processes whose environment carries this session's marker prefix, which names the host's
    pid and the session's serial, random per host process: nothing unrelated carries it. A
    registered group id cannot be reused while the group has a member, and the host forgets a
    group as soon as it has killed it; a reuse in between would need the pid counter to wrap
    around in the milliseconds between the host's kill and its death.
*/

namespace {

constexpr char goodbyeByte = 0;
constexpr long pidLimit = 4194304; // PID_MAX_LIMIT on 64-bit Linux: every pid and pgid is below
constexpr size_t groupBitmapBytes =
        pidLimit / 8; // one bit per possible pgid; pages are backed once touched
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

[[noreturn]] void guardianMain(int socket, const unsigned char *groups, const char *prefix,
                               size_t prefixLength)
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

    auto *environBuffer =
            static_cast<char *>(::mmap(nullptr, environBufferBytes, PROT_READ | PROT_WRITE,
                                       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
    if (environBuffer == MAP_FAILED)
        ::_exit(2);

    for (;;) {
        char byte = 1;
        const ssize_t n = ::read(socket, &byte, 1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n == 1 && byte == goodbyeByte)
            ::_exit(0);
        if (n <= 0)
            break; // the host is gone
    }

    // The host died with tasks running: their groups first, then whatever left a group but
    // carries the marker (a few rounds, for a descendant that forked meanwhile).
    for (size_t byte = 0; byte < groupBitmapBytes; ++byte) {
        const unsigned char bits = __atomic_load_n(&groups[byte], __ATOMIC_ACQUIRE);
        if (bits == 0)
            continue;
        for (int bit = 0; bit < 8; ++bit) {
            if (bits & (1u << bit))
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
    auto unavailable = [this](const char *call, int error) {
        qCWarning(lcLocalExecutor,
                  "no session guardian (%s: %s): tasks may outlive a host killed with SIGKILL",
                  call, ::strerror(error));
        m_unavailable = true;
        return false;
    };
    void *bitmap = ::mmap(nullptr, groupBitmapBytes, PROT_READ | PROT_WRITE,
                          MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (bitmap == MAP_FAILED)
        return unavailable("mmap", errno);
    int ends[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ends) != 0) {
        const int error = errno;
        ::munmap(bitmap, groupBitmapBytes);
        return unavailable("socketpair", error);
    }
    // Read by the child in its copy of our memory: prepared before the fork.
    const char *prefix = m_markerPrefix.constData();
    const size_t prefixLength = size_t(m_markerPrefix.size());
    const pid_t pid = ::fork();
    if (pid == 0)
        guardianMain(ends[1], static_cast<const unsigned char *>(bitmap), prefix, prefixLength);
    const int forkError = errno;
    ::close(ends[1]);
    if (pid < 0) {
        ::close(ends[0]);
        ::munmap(bitmap, groupBitmapBytes);
        return unavailable("fork", forkError);
    }
    m_socket = ends[0];
    m_groups = static_cast<unsigned char *>(bitmap);
    m_pid = pid;
    return true;
}

bool SessionGuardian::isAlive()
{
    if (m_socket < 0)
        return false;
    // Nothing to read while it lives; end-of-file (or an error) once it has died.
    char byte = 0;
    const ssize_t n = ::recv(m_socket, &byte, 1, MSG_DONTWAIT | MSG_PEEK);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        return true;
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

void SessionGuardian::setGroupBit(qint64 pgid, bool set)
{
    unsigned char *byte = m_groups + pgid / 8;
    const auto mask = static_cast<unsigned char>(1u << (pgid % 8));
    if (set)
        __atomic_fetch_or(byte, mask, __ATOMIC_RELEASE);
    else
        __atomic_fetch_and(byte, static_cast<unsigned char>(~mask), __ATOMIC_RELEASE);
}

bool SessionGuardian::watchGroup(qint64 pgid)
{
    if (pgid <= 0 || pgid >= pidLimit || !ensureStarted() || !isAlive())
        return false;
    setGroupBit(pgid, true);
    return true;
}

void SessionGuardian::forgetGroup(qint64 pgid)
{
    if (m_groups && pgid > 0 && pgid < pidLimit)
        setGroupBit(pgid, false);
}

void SessionGuardian::stop()
{
    if (m_socket >= 0) {
        const char goodbye = goodbyeByte;
        while (::send(m_socket, &goodbye, 1, MSG_NOSIGNAL) < 0 && errno == EINTR) { }
    }
    reap();
}

void SessionGuardian::reap()
{
    if (m_socket >= 0) {
        ::close(m_socket);
        m_socket = -1;
    }
    if (m_groups) {
        ::munmap(m_groups, groupBitmapBytes);
        m_groups = nullptr;
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
