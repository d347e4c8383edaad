// SPDX-License-Identifier: MIT
#include "signalwatcher.h"

#include <QtCore/qsocketnotifier.h>

#include <cerrno>
#include <csignal>
#include <fcntl.h>
#include <unistd.h>

namespace TaskConductor {

namespace {

int g_pipe[2] = { -1, -1 };
volatile std::sig_atomic_t g_pending = 0; // a byte waits in the pipe
SignalWatcher *g_instance = nullptr;

// SIGHUP: the terminal or the ssh session went away; SIGQUIT: Ctrl-\. Both stop like SIGINT.
// SIGUSR1 and SIGUSR2 pause and resume starting tasks.
constexpr int Handled[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE, SIGUSR1, SIGUSR2 };

extern "C" void onSignal(int signalNumber)
{
    // Async-signal-safe only: a flag, one write, errno preserved.
    g_pending = 1;
    const int savedErrno = errno;
    const unsigned char byte = static_cast<unsigned char>(signalNumber);
    [[maybe_unused]] const ssize_t n = ::write(g_pipe[1], &byte, 1);
    errno = savedErrno;
}

void install(int signalNumber, void (*handler)(int))
{
    struct sigaction action = {};
    action.sa_handler = handler;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;
    ::sigaction(signalNumber, &action, nullptr);
}

} // namespace

SignalWatcher::SignalWatcher(QObject *parent)
    : QObject(parent)
{
    if (g_pipe[0] >= 0 || ::pipe2(g_pipe, O_CLOEXEC | O_NONBLOCK) != 0)
        return;
    m_notifier = std::make_unique<QSocketNotifier>(g_pipe[0], QSocketNotifier::Read);
    connect(m_notifier.get(), &QSocketNotifier::activated, this, &SignalWatcher::drain);
    g_instance = this;
    // Not SIG_IGN for SIGPIPE: an ignored signal would be inherited by every task through exec().
    for (int signalNumber : Handled)
        install(signalNumber, onSignal);
}

SignalWatcher::~SignalWatcher()
{
    if (!m_notifier)
        return;
    for (int signalNumber : Handled)
        install(signalNumber, SIG_DFL);
    g_instance = nullptr;
    m_notifier.reset();
    ::close(g_pipe[0]);
    ::close(g_pipe[1]);
    g_pipe[0] = g_pipe[1] = -1;
}

void SignalWatcher::deliverPending()
{
    if (g_pending != 0 && g_instance)
        g_instance->drain();
}

void SignalWatcher::drain()
{
    g_pending = 0; // before reading: a signal arriving meanwhile sets it again
    unsigned char byte = 0;
    while (::read(g_pipe[0], &byte, 1) == 1)
        Q_EMIT received(int(byte));
}

} // namespace TaskConductor
