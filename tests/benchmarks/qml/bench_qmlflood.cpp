// SPDX-License-Identifier: MIT
// bench_qmlflood: the QML demo, rendered offscreen, shows one task that prints N lines as fast
// as it can (tc_helper lines N) or at a given rate (tc_helper paced-lines N RATE), with the task
// list's batching at its default interval and with batching off (interval 0: one dataChanged and
// one output row per line). Reports the lines per second that reached the models, the longest time
// the GUI thread's event loop was blocked, the frames rendered per second, and the model signals
// the views had to handle.
//   bench_qmlflood [--lines N] [--rate LINES_PER_S] [--intervals 25,0]
#include "demowindow.h"

#include "qmlbroker.h"

#include <taskconductor/tasklistmodel.h>
#include <taskconductor/taskoutputmodel.h>

#include <QtCore/qcommandlineparser.h>
#include <QtCore/qelapsedtimer.h>
#include <QtCore/qtimer.h>
#include <QtGui/qguiapplication.h>
#include <QtQml/qqmlapplicationengine.h>
#include <QtQuick/qquickwindow.h>

#include <cstdio>

using TaskConductor::QmlBroker;
using TaskConductor::TaskListModel;
using TaskConductor::TaskOutputModel;

namespace {

struct Result
{
    int intervalMs = 0;
    qint64 lines = 0;
    qint64 elapsedMs = 0;
    qint64 maxStallMs = 0;
    int frames = 0;
    int listDataChanged = 0;
    int outputRowSignals = 0;
};

Result run(qint64 lines, qint64 rate, int intervalMs)
{
    Result result;
    result.intervalMs = intervalMs;
    result.lines = lines;

    QQmlApplicationEngine engine;
    engine.addImportPath(QStringLiteral(TC_QML_IMPORT_DIR)); // the module just built
    QQuickWindow *window = TaskConductorDemo::loadMainWindow(engine, { 2, 8 });
    if (!window)
        qFatal("the demo did not load");
    auto *broker = window->findChild<QmlBroker *>(QStringLiteral("broker"));
    if (!broker)
        qFatal("the demo has no broker");
    TaskListModel *tasks = broker->tasks();
    tasks->setUpdateIntervalMs(intervalMs);

    QObject::connect(window, &QQuickWindow::frameSwapped, window, [&] { ++result.frames; });
    QObject::connect(tasks, &QAbstractItemModel::dataChanged, [&] { ++result.listDataChanged; });

    // The probe: a timer that should fire every 5 ms; a longer gap is time the loop was busy.
    QElapsedTimer sinceTick;
    QTimer probe;
    probe.setInterval(5);
    QObject::connect(&probe, &QTimer::timeout, [&] {
        result.maxStallMs = std::max(result.maxStallMs, sinceTick.restart() - 5);
    });

    QEventLoop loop;
    // Start measuring once the window is up: loading and the first frame are not the flood.
    {
        QMetaObject::Connection firstFrame =
                QObject::connect(window, &QQuickWindow::frameSwapped, &loop, &QEventLoop::quit);
        loop.exec();
        QObject::disconnect(firstFrame);
    }
    QObject::connect(broker, &QmlBroker::countsChanged, &loop, [&] {
        if (broker->isIdle())
            loop.quit();
    });
    QElapsedTimer clock;
    clock.start();
    sinceTick.start();
    probe.start();
    const QString command = rate > 0
            ? QStringLiteral("\"%1\" paced-lines %2 %3")
                      .arg(QStringLiteral(TC_HELPER_PATH))
                      .arg(lines)
                      .arg(rate)
            : QStringLiteral("\"%1\" lines %2").arg(QStringLiteral(TC_HELPER_PATH)).arg(lines);
    const quint64 id = broker->enqueue(command);
    window->setProperty("selectedTaskId", QVariant::fromValue(id)); // its output pane shows it
    TaskOutputModel *output = window->findChild<TaskOutputModel *>();
    if (!output || output->taskId() != id)
        qFatal("the output pane does not show the task");
    {
        QObject::connect(output, &QAbstractItemModel::rowsInserted,
                         [&] { ++result.outputRowSignals; });
        QObject::connect(output, &QAbstractItemModel::modelReset,
                         [&] { ++result.outputRowSignals; });
    }
    if (!broker->isIdle())
        loop.exec();
    result.elapsedMs = clock.elapsed();
    probe.stop();
    if (tasks->outputLineCount(id) != lines)
        qFatal("lost lines: %lld of %lld", tasks->outputLineCount(id), lines);
    return result;
}

} // namespace

int main(int argc, char *argv[])
{
    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM"))
        qputenv("QT_QPA_PLATFORM", "offscreen");
    if (qEnvironmentVariableIsEmpty("QT_QUICK_BACKEND"))
        qputenv("QT_QUICK_BACKEND", "software");
    QGuiApplication app(argc, argv);
    QCommandLineParser parser;
    parser.addHelpOption();
    const QCommandLineOption linesOption(QStringLiteral("lines"), QStringLiteral("Lines to print."),
                                         QStringLiteral("n"), QStringLiteral("1000000"));
    const QCommandLineOption intervalsOption(QStringLiteral("intervals"),
                                             QStringLiteral("Batch intervals in ms to compare."),
                                             QStringLiteral("list"), QStringLiteral("25,0"));
    const QCommandLineOption rateOption(QStringLiteral("rate"),
                                        QStringLiteral("Lines per second (0: as fast as it can)."),
                                        QStringLiteral("n"), QStringLiteral("0"));
    parser.addOptions({ linesOption, intervalsOption, rateOption });
    parser.process(app);

    std::printf("%-12s %10s %10s %12s %14s %10s %16s %18s\n", "interval_ms", "lines", "time_ms",
                "lines_per_s", "max_stall_ms", "frames/s", "list_dataChanged",
                "output_row_signals");
    const qint64 lines = parser.value(linesOption).toLongLong();
    for (const QString &interval : parser.value(intervalsOption).split(QLatin1Char(','))) {
        const Result r = run(lines, parser.value(rateOption).toLongLong(), interval.toInt());
        std::printf("%-12d %10lld %10lld %12.0f %14lld %10.1f %16d %18d\n", r.intervalMs, r.lines,
                    r.elapsedMs, r.lines * 1000.0 / std::max<qint64>(1, r.elapsedMs), r.maxStallMs,
                    r.frames * 1000.0 / std::max<qint64>(1, r.elapsedMs), r.listDataChanged,
                    r.outputRowSignals);
        std::fflush(stdout);
    }
    return 0;
}
