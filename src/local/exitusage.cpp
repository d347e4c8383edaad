// SPDX-License-Identifier: MIT
#include "exitusage.h"

#include <atomic>
#include <csignal>
#include <mutex>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

namespace TaskConductor {

/*
    QProcess reaps its child through forkfd and passes no rusage (forkfd_wait(fd, &info,
    nullptr)); /proc/<pid> is gone after the reap, a zombie's /proc/<pid>/status has no VmHWM any
    more, and a getrusage(RUSAGE_CHILDREN) delta mixes every child the host reaps meanwhile. What
    reads exactly one child's usage is waitid(P_PID, pid, WEXITED | WNOHANG | WNOWAIT) with the
    system call's fifth argument (struct rusage): it reads the zombie without reaping it. The
    zombie exists from the child's exit until the reap, and the first code to learn of the exit
    is the SIGCHLD handler: forkfd's own, which reaps at once where Qt has no pidfd (as on the
    build machines), or none, where QProcess reaps from its event loop via a pidfd.

    So a SIGCHLD handler of our own, installed once after forkfd's (after the first QProcess
    start) and chaining to it, reads the usage of the watched children that have exited, then
    lets forkfd reap them. The watched pids live in a fixed table of atomics (async-signal-safe:
    no locks, no allocation); a handler run costs one waitid() per watched running child (a
    SIGCHLD may stand for several exits), watch() one for its own child.

    Limits: the handler is process-wide and never removed (as forkfd's); a host that installs
    its own SIGCHLD handler later without chaining, or reaps with waitpid(-1), hides the usage
    (the metrics stay -1, nothing else changes). A child that exits before the first handler is
    installed is not measured. At most MaxWatched children at once are measured. The usage is
    the main process's plus what it waited for, as wait4() and time(1) report it.
*/

namespace {

constexpr int MaxWatched = 4096;

struct Slot
{
    std::atomic<int> state { 0 }; // Free, Watching, Exited
    std::atomic<pid_t> pid { 0 };
    qint64 cpuMs = -1; // written by the handler before state becomes Exited
    qint64 maxRssKb = -1;
};
enum : int { Free = 0, Watching = 1, Exited = 2, Claimed = 3 };

Slot slots[MaxWatched];
std::atomic<int> highestUsed { 0 }; // the handler scans [0, highestUsed)
struct sigaction previous;

// Reads the usage of the child in \a slot if it has exited (a zombie not yet reaped).
void readIfExited(Slot &slot)
{
    if (slot.state.load(std::memory_order_acquire) != Watching)
        return;
    const pid_t pid = slot.pid.load(std::memory_order_relaxed);
    siginfo_t info {};
    struct rusage usage
    {
    };
    // glibc's waitid() has no rusage argument; the system call has.
    if (::syscall(SYS_waitid, P_PID, pid, &info, WEXITED | WNOHANG | WNOWAIT, &usage) != 0
        || info.si_pid != pid)
        return; // running, or not our child any more
    slot.cpuMs = (qint64(usage.ru_utime.tv_sec) + usage.ru_stime.tv_sec) * 1000
            + (qint64(usage.ru_utime.tv_usec) + usage.ru_stime.tv_usec) / 1000;
    slot.maxRssKb = usage.ru_maxrss; // KiB on Linux
    int expected = Watching;
    slot.state.compare_exchange_strong(expected, Exited, std::memory_order_release);
}

void readExited()
{
    const int end = highestUsed.load(std::memory_order_acquire);
    for (int i = 0; i < end; ++i)
        readIfExited(slots[i]);
}

void onChild(int signo, siginfo_t *info, void *context)
{
    const int savedErrno = errno;
    readExited();
    errno = savedErrno;
    // Then whoever was there before: forkfd, which reaps.
    if (previous.sa_flags & SA_SIGINFO) {
        if (previous.sa_sigaction)
            previous.sa_sigaction(signo, info, context);
    } else if (previous.sa_handler != SIG_DFL && previous.sa_handler != SIG_IGN) {
        previous.sa_handler(signo);
    }
}

bool installHandler()
{
    static std::once_flag once;
    static bool installed = false;
    std::call_once(once, [] {
        struct sigaction action
        {
        };
        action.sa_sigaction = onChild;
        action.sa_flags = SA_SIGINFO | SA_RESTART | SA_NOCLDSTOP;
        sigemptyset(&action.sa_mask);
        installed = ::sigaction(SIGCHLD, &action, &previous) == 0;
        // SIG_IGN makes the kernel reap at once: nothing to read, and chaining would change it.
        if (installed && !(previous.sa_flags & SA_SIGINFO) && previous.sa_handler == SIG_IGN) {
            ::sigaction(SIGCHLD, &previous, nullptr);
            installed = false;
        }
    });
    return installed;
}

} // namespace

int ExitUsage::watch(qint64 pid)
{
    if (pid <= 0 || !installHandler())
        return -1;
    for (int i = 0; i < MaxWatched; ++i) {
        int expected = Free;
        if (!slots[i].state.compare_exchange_strong(expected, Claimed, std::memory_order_acq_rel))
            continue;
        slots[i].cpuMs = -1;
        slots[i].maxRssKb = -1;
        slots[i].pid.store(pid_t(pid), std::memory_order_relaxed);
        int end = highestUsed.load(std::memory_order_relaxed);
        while (end < i + 1
               && !highestUsed.compare_exchange_weak(end, i + 1, std::memory_order_release)) { }
        slots[i].state.store(Watching, std::memory_order_release);
        // It may have exited before it was in the table; then no SIGCHLD is left to read it.
        // Only this one: the others were in the table when their SIGCHLD came.
        readIfExited(slots[i]);
        return i;
    }
    return -1;
}

ExitUsage::Usage ExitUsage::take(int ticket)
{
    Usage usage;
    if (ticket < 0 || ticket >= MaxWatched)
        return usage;
    Slot &slot = slots[ticket];
    // Watching -> Claimed: the handler leaves it alone from here on.
    int state = slot.state.exchange(Claimed, std::memory_order_acq_rel);
    if (state == Exited) {
        usage.cpuMs = slot.cpuMs;
        usage.maxRssKb = slot.maxRssKb;
    }
    slot.pid.store(0, std::memory_order_relaxed);
    slot.state.store(Free, std::memory_order_release);
    return usage;
}

} // namespace TaskConductor
