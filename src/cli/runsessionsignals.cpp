// SPDX-License-Identifier: MIT
// RunSession and signals: SIGINT/SIGTERM/SIGHUP/SIGQUIT stop the run, a closed stdout (SIGPIPE)
// too, SIGUSR1/SIGUSR2 pause and resume it.
#include "runsession.h"
#include "runsession_p.h"

#include "eventprinter.h"
#include "progressbar.h"
#include "signalwatcher.h"
#include "taskfeeder.h"

#include <taskconductor/broker.h>

#include <QtCore/qsocketnotifier.h>

#include <csignal>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

namespace TaskConductor {

namespace {

// The reader of \a fd (a pipe) went away.
bool readerGone(int fd)
{
    pollfd p { fd, 0, 0 };
    return ::poll(&p, 1, 0) > 0 && (p.revents & (POLLERR | POLLHUP)) != 0;
}

QString signalName(int signalNumber)
{
    switch (signalNumber) {
    case SIGINT:
        return QStringLiteral("SIGINT");
    case SIGTERM:
        return QStringLiteral("SIGTERM");
    case SIGHUP:
        return QStringLiteral("SIGHUP");
    case SIGQUIT:
        return QStringLiteral("SIGQUIT");
    case SIGPIPE:
        return QStringLiteral("SIGPIPE");
    case SIGUSR1:
        return QStringLiteral("SIGUSR1");
    case SIGUSR2:
        return QStringLiteral("SIGUSR2");
    }
    return QStringLiteral("signal %1").arg(signalNumber);
}

} // namespace

void RunSession::watchStandardOutput()
{
    // A pipe's writing end polls POLLERR once its reader is gone; a read notifier reports that
    // (the end is never readable otherwise). Terminals and files have no reader to lose.
    struct stat info;
    if (::fstat(STDOUT_FILENO, &info) != 0 || !S_ISFIFO(info.st_mode))
        return;
    m_stdoutWatch = std::make_unique<QSocketNotifier>(STDOUT_FILENO, QSocketNotifier::Read);
    connect(m_stdoutWatch.get(), &QSocketNotifier::activated, this, [this] {
        m_stdoutWatch->setEnabled(false); // once is enough; it would fire on and on
        if (readerGone(STDOUT_FILENO))
            interrupt(SIGPIPE);
    });
}

void RunSession::stopIfSignaled()
{
    // A terminal event frees a slot, and the Broker fills it as soon as this handler returns;
    // a signal that arrived meanwhile (a write to a closed stdout or stderr raised SIGPIPE just
    // now) still waits in the pipe: act on it first, so nothing starts after the stop.
    SignalWatcher::deliverPending();
}

void RunSession::interrupt(int signalNumber)
{
    if (signalNumber == SIGUSR1 || signalNumber == SIGUSR2) { // pause, resume: no stop
        const bool pause = signalNumber == SIGUSR1;
        if (m_progress)
            m_progress->hide();
        printError(pause ? QStringLiteral("SIGUSR1: paused, no new task starts (SIGUSR2 resumes)")
                         : QStringLiteral("SIGUSR2: resumed"));
        if (m_broker)
            pause ? m_broker->pause() : m_broker->resume();
        return;
    }
    if (m_signal != 0) {
        // Already stopping. Another SIGPIPE is just a later write meeting the closed pipe; a
        // user's second signal says "now": every group gets SIGKILL at once.
        if (signalNumber == SIGPIPE || m_killing)
            return;
        m_killing = true;
        printError(QStringLiteral("%1 again: killing every task now (SIGKILL)")
                           .arg(signalName(signalNumber)));
        if (m_broker)
            m_broker->killAll();
        return;
    }
    m_signal = signalNumber;
    if (m_stdoutWatch)
        m_stdoutWatch->setEnabled(false);
    if (m_progress)
        m_progress->hide();
    if (signalNumber == SIGPIPE) {
        // Whoever read stdout or stderr is gone (`| head`): stop as for Ctrl-C rather than
        // dying on the spot, which would orphan every running task's process group.
        if (m_printer && readerGone(STDOUT_FILENO))
            m_printer->silence();
        printError(QStringLiteral("standard output was closed: stopping every task"));
    } else {
        printError(QStringLiteral("%1: stopping every task (again to kill them at once)")
                           .arg(signalName(signalNumber)));
    }
    if (m_feeder)
        m_feeder->stop();
    // With a store, the stopped tasks stay unfinished there, marked as interrupted: the same
    // command resumes them.
    if (m_resume)
        m_resume->stopping(QStringLiteral("interrupted: the run was stopped by %1")
                                   .arg(signalName(signalNumber)));
    if (m_broker) {
        m_broker->cancelAll();
        maybeFinish();
    }
}

} // namespace TaskConductor
