// SPDX-License-Identifier: MIT
// Runs N copies of one command through a Broker, at most P at once, and prints what it cost.
// This is the library's real per-task and per-line cost, without the CLI's parsing and output:
//   bench_host [--tasks N] [--concurrency P] [--events none|json] [--batched] -- COMMAND [ARGS...]
// --events none: a handler that only counts; json: every event as a JSON line to /dev/null.
// --batched: BrokerConfig::outputBatching (the lines of one read in one event, kept as bytes).
// Prints one line: "tasks=N seconds=S tasks_per_s=R lines=L bytes=B failures=F run_seconds=T
// run_lines_per_s=Q". seconds counts from before the Broker to after it is gone; run_seconds
// from the first task's started event to the last terminal event: the steady state, without the
// program's, the Broker's and the first process's start-up (most of a 5 M-line run's 90 ms).
#include <taskconductor/broker.h>

#include <QtCore/qcommandlineparser.h>
#include <QtCore/qcoreapplication.h>
#include <QtCore/qelapsedtimer.h>
#include <QtCore/qfile.h>

#include <cstdio>

using namespace TaskConductor;

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QCommandLineParser parser;
    parser.addOptions({
            { QStringLiteral("tasks"), QStringLiteral("How many tasks."), QStringLiteral("N"),
              QStringLiteral("1") },
            { QStringLiteral("concurrency"), QStringLiteral("Tasks at once."), QStringLiteral("P"),
              QStringLiteral("1") },
            { QStringLiteral("events"), QStringLiteral("none or json."), QStringLiteral("how"),
              QStringLiteral("none") },
            { QStringLiteral("batched"), QStringLiteral("One event per read (outputBatching).") },
    });
    parser.addPositionalArgument(QStringLiteral("command"), QStringLiteral("What each task runs."));
    parser.process(app);
    const QStringList command = parser.positionalArguments();
    const int tasks = parser.value(QStringLiteral("tasks")).toInt();
    const bool json = parser.value(QStringLiteral("events")) == QLatin1String("json");
    if (command.isEmpty() || tasks < 1) {
        std::fprintf(stderr, "bench_host: need --tasks >= 1 and a command\n");
        return 2;
    }

    BrokerConfig config;
    config.maxConcurrentTasks = parser.value(QStringLiteral("concurrency")).toInt();
    config.maxQueueDepth = tasks;
    config.killGraceSeconds = 1;
    const bool batched = parser.isSet(QStringLiteral("batched"));
    config.outputBatching = batched;

    QFile sink(QStringLiteral("/dev/null"));
    if (json && !sink.open(QIODevice::WriteOnly)) {
        std::fprintf(stderr, "bench_host: cannot open the null device\n");
        return 2;
    }
    qint64 lines = 0;
    qint64 bytes = 0;
    int ended = 0;
    int failures = 0;
    QElapsedTimer clock;
    qint64 firstStartedNs = -1;
    qint64 lastEndedNs = -1;
    const TaskEventHandler handler = [&](const TaskEvent &event) {
        if (event.kind() == EventKind::Started && firstStartedNs < 0)
            firstStartedNs = clock.nsecsElapsed();
        if (event.kind() == EventKind::Stdout) {
            if (!batched) {
                ++lines;
                bytes += event.line().size();
            } else { // the bytes, never decoded
                const qsizetype count = event.lineCount();
                lines += count;
                for (qsizetype i = 0; i < count; ++i)
                    bytes += event.lineBytes(i).size();
            }
        }
        if (json && batched && event.lineCount() > 0) {
            // One JSON line per output line, as a host without batching writes them.
            const OutputChannel channel = event.kind() == EventKind::Stdout ? OutputChannel::Stdout
                                                                            : OutputChannel::Stderr;
            for (qsizetype i = 0; i < event.lineCount(); ++i)
                sink.write((TaskEvent::output(event.taskId(), event.attempt(), channel,
                                              event.lineAt(i))
                                    .toJsonText()
                            + u'\n')
                                   .toUtf8());
        } else if (json) {
            sink.write((event.toJsonText() + u'\n').toUtf8());
        }
        if (event.isTerminal()) {
            lastEndedNs = clock.nsecsElapsed();
            failures += event.kind() != EventKind::Finished;
            if (++ended == tasks)
                QCoreApplication::quit();
        }
    };

    clock.start();
    {
        Broker broker(config);
        const TaskDescriptor task(command);
        QMetaObject::invokeMethod(
                &app,
                [&] {
                    for (int i = 0; i < tasks; ++i)
                        broker.enqueue(task, handler);
                },
                Qt::QueuedConnection);
        app.exec();
    }
    const double seconds = clock.nsecsElapsed() / 1e9;
    const double runSeconds = firstStartedNs >= 0 ? (lastEndedNs - firstStartedNs) / 1e9 : 0;
    std::printf("tasks=%d seconds=%.4f tasks_per_s=%.1f lines=%lld bytes=%lld failures=%d "
                "run_seconds=%.4f run_lines_per_s=%.0f\n",
                tasks, seconds, tasks / seconds, lines, bytes, failures, runSeconds,
                runSeconds > 0 ? lines / runSeconds : 0.0);
    return failures == 0 ? 0 : 1;
}
