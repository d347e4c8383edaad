// SPDX-License-Identifier: MIT
// taskconductor: runs the commands of a JSON Lines task file (or one command) with a Broker.
#include "runoptions.h"
#include "runsession.h"
#include "signalwatcher.h"

#include <QtCore/qcoreapplication.h>
#include <QtCore/qtimer.h>

#include <cstdio>

using namespace TaskConductor;

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("taskconductor"));
    QCoreApplication::setApplicationVersion(QStringLiteral(TASKCONDUCTOR_VERSION));

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
    RunSession session(options);
    QObject::connect(&signalWatcher, &SignalWatcher::received, &session, &RunSession::interrupt);
    if (!session.validate())
        return session.wasInterrupted() ? 130 : 2;
    QObject::connect(&session, &RunSession::finished, &app,
                     [](int status) { QCoreApplication::exit(status); });
    QTimer::singleShot(0, &session, &RunSession::start);
    return app.exec();
}
