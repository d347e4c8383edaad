// SPDX-License-Identifier: MIT
// TaskConductorQmlDemo: a QML front end for a Broker (see demo/qml/Main.qml).
#include "demowindow.h"

#include <QtCore/qcommandlineparser.h>
#include <QtGui/qguiapplication.h>
#include <QtQml/qqmlapplicationengine.h>

int main(int argc, char *argv[])
{
    QGuiApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("TaskConductorQmlDemo"));

    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("Runs commands with TaskConductor."));
    parser.addHelpOption();
    const QCommandLineOption concurrent({ QStringLiteral("j"), QStringLiteral("max-concurrent") },
                                        QStringLiteral("Tasks that run at once (default 2)."),
                                        QStringLiteral("n"), QStringLiteral("2"));
    const QCommandLineOption depth(QStringLiteral("queue-depth"),
                                   QStringLiteral("Tasks that may wait (default 8)."),
                                   QStringLiteral("n"), QStringLiteral("8"));
    parser.addOptions({ concurrent, depth });
    parser.process(app);

    TaskConductorDemo::DemoOptions options;
    bool ok1 = false, ok2 = false;
    options.maxConcurrentTasks = parser.value(concurrent).toInt(&ok1);
    options.maxQueueDepth = parser.value(depth).toInt(&ok2);
    if (!ok1 || !ok2 || options.maxConcurrentTasks < 1 || options.maxQueueDepth < 0) {
        qCritical("--max-concurrent needs a number of at least 1, --queue-depth at least 0");
        return 2;
    }

    QQmlApplicationEngine engine;
    if (!TaskConductorDemo::loadMainWindow(engine, options))
        return 1;
    return app.exec();
}
