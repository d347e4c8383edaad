// SPDX-License-Identifier: MIT
// taskconductor: runs the commands of a JSON Lines task file (or one command) with a Broker.
#include "runoptions.h"
#include "runsession.h"
#include "signalwatcher.h"
#include "statuscommand.h"

#include <QtCore/qcoreapplication.h>
#include <QtCore/qtimer.h>

#include <cerrno>
#include <cstdio>
#include <fcntl.h>
#include <unistd.h>

using namespace TaskConductor;

namespace {

// A closed standard descriptor would be taken by the next open() (the event loop's own pipe
// would be read as the task file, a log written as events): /dev/null holds its place.
// Returns whether standard input was closed.
bool occupyClosedStandardDescriptors()
{
    bool stdinClosed = false;
    for (int fd = STDIN_FILENO; fd <= STDERR_FILENO; ++fd) {
        if (::fcntl(fd, F_GETFD) != -1 || errno != EBADF)
            continue;
        stdinClosed = stdinClosed || fd == STDIN_FILENO;
        // The lowest free descriptor, so fd itself: the lower ones were filled before it.
        [[maybe_unused]] const int opened =
                ::open("/dev/null", fd == STDIN_FILENO ? O_RDONLY : O_WRONLY);
    }
    return stdinClosed;
}

} // namespace

int main(int argc, char **argv)
{
    const bool stdinClosed = occupyClosedStandardDescriptors();
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("taskconductor"));
    QCoreApplication::setApplicationVersion(QStringLiteral(TASKCONDUCTOR_VERSION));
    if (QCoreApplication::arguments().value(1) == QLatin1String("status"))
        return runStatusCommand(QCoreApplication::arguments());

    // Installed first, so that a signal is never lost: validation lets it through now and then,
    // and one that arrives before the run starts is handled before any task starts.
    SignalWatcher signalWatcher;

    RunOptions options;
    QString message;
    switch (parseRunOptions(QCoreApplication::arguments(), options, message)) {
    case CommandLineResult::Exit:
        return 0;
    case CommandLineResult::UsageError:
        std::fprintf(stderr, "taskconductor: %s\n", qPrintable(message));
        return 2;
    case CommandLineResult::Run:
        break;
    }
    if (stdinClosed && options.taskFile == QLatin1String("-")) {
        std::fprintf(stderr,
                     "taskconductor: standard input is closed: give a TASKFILE, or "
                     "tasks on standard input\n");
        return 2;
    }
    RunSession session(options);
    QObject::connect(&signalWatcher, &SignalWatcher::received, &session, &RunSession::interrupt);
    if (!session.validate())
        return session.wasInterrupted() ? 130 : 2;
    QObject::connect(&session, &RunSession::finished, &app,
                     [](int status) { QCoreApplication::exit(status); });
    QTimer::singleShot(0, &session, &RunSession::start);
    return app.exec();
}
