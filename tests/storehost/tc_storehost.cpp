// SPDX-License-Identifier: MIT
// A host process for the crash-recovery test: a Broker on an SQLite store. The test kills it
// with SIGKILL mid-run and starts it again on the same store.
//   tc_storehost --store FILE --helper TC_HELPER --runs FILE --tasks N --ms MS
// With an empty store it enqueues N tasks "TC_HELPER record RUNS task-<i> MS"; with a store that
// holds tasks, it enqueues nothing and lets the Broker resume what had not ended. It prints
// "started ID" and "ended ID KIND" as events happen, and exits 0 once the Broker is idle.
#include <taskconductor/broker.h>
#include <taskconductor/sqlitetaskstore.h>

#include <QtCore/qcommandlineparser.h>
#include <QtCore/qcoreapplication.h>
#include <QtCore/qtimer.h>

#include <cstdio>

using namespace TaskConductor;

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("Broker on a task store, for crash tests"));
    parser.addHelpOption();
    const QCommandLineOption storeOption(QStringLiteral("store"), QStringLiteral("SQLite file"),
                                         QStringLiteral("file"));
    const QCommandLineOption helperOption(QStringLiteral("helper"),
                                          QStringLiteral("the tc_helper program"),
                                          QStringLiteral("path"));
    const QCommandLineOption runsOption(QStringLiteral("runs"),
                                        QStringLiteral("file each task run appends to"),
                                        QStringLiteral("file"));
    const QCommandLineOption tasksOption(QStringLiteral("tasks"), QStringLiteral("tasks to add"),
                                         QStringLiteral("n"), QStringLiteral("10"));
    const QCommandLineOption msOption(QStringLiteral("ms"), QStringLiteral("each task's run time"),
                                      QStringLiteral("ms"), QStringLiteral("100"));
    parser.addOptions({ storeOption, helperOption, runsOption, tasksOption, msOption });
    parser.process(app);

    auto store = std::make_shared<SqliteTaskStore>(parser.value(storeOption));
    if (!store->open()) {
        std::fprintf(stderr, "tc_storehost: %s\n", qPrintable(store->errorString()));
        return 1;
    }
    const bool fresh = store->highestTaskId() == 0;

    BrokerConfig config;
    config.maxConcurrentTasks = 2;
    config.killGraceSeconds = 0.5;
    config.store = store;
    Broker broker(config);
    QObject::connect(&broker, &Broker::eventOccurred, [](const TaskEvent &event) {
        if (event.kind() == EventKind::Started)
            std::printf("started %llu\n", event.taskId());
        else if (event.isTerminal())
            std::printf("ended %llu %s\n", event.taskId(),
                        qPrintable(TaskEvent::kindName(event.kind())));
        else if (event.kind() == EventKind::InternalError)
            std::printf("notice %s\n", qPrintable(event.message()));
        std::fflush(stdout);
    });
    QObject::connect(&broker, &Broker::idle, &app, &QCoreApplication::quit);

    if (fresh) {
        const int tasks = parser.value(tasksOption).toInt();
        for (int i = 1; i <= tasks; ++i) {
            broker.enqueue(
                    TaskDescriptor({ parser.value(helperOption), QStringLiteral("record"),
                                     parser.value(runsOption), QStringLiteral("task-%1").arg(i),
                                     parser.value(msOption) }));
        }
    }
    // After the Broker's own resume (queued at its construction): nothing to do means done.
    QTimer::singleShot(0, &app, [&] {
        if (broker.isIdle())
            app.quit();
    });
    return app.exec();
}
