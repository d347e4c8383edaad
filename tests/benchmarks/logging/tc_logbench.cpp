// SPDX-License-Identifier: MIT
// Throughput of the logging and persistence paths, each measured on its own:
// - the text and JSON RotatingFileSink (a LogEntry per event, timestamped and formatted as the
//   Broker does, flushed every 10000 events as the 200 ms timer would at high rates, rotating);
// - both sinks sharing one entry;
// - the SQLite store: enqueue + started + finished per task, committed at every terminal event
//   (what the Broker does) and, for comparison, committed once per 1000 tasks;
// - a Broker streaming `seq` output, without a log and with a text global log.
#include <taskconductor/broker.h>
#include <taskconductor/rotatingfilesink.h>
#include <taskconductor/sqlitetaskstore.h>

#include <QtCore/qcommandlineparser.h>
#include <QtCore/qcoreapplication.h>
#include <QtCore/qelapsedtimer.h>
#include <QtCore/qeventloop.h>
#include <QtCore/qfileinfo.h>
#include <QtCore/qstandardpaths.h>
#include <QtCore/qtemporarydir.h>

#include <cstdio>

using namespace TaskConductor;

namespace {

void report(const char *what, qint64 count, const char *unit, qint64 nsecs, qint64 bytes = 0)
{
    const double seconds = double(nsecs) / 1e9;
    std::printf("%-44s %9lld %s in %8.1f ms = %10.0f %s/s", what, count, unit, seconds * 1000,
                double(count) / seconds, unit);
    if (bytes > 0)
        std::printf(" (%.1f MB/s)", double(bytes) / seconds / 1e6);
    std::printf("\n");
    std::fflush(stdout);
}

qint64 sizeOfLogs(const QString &path, int backups)
{
    qint64 total = QFileInfo(path).size();
    for (int i = 1; i <= backups; ++i)
        total += QFileInfo(rotatedLogName(path, i)).size();
    return total;
}

void benchSinks(const QString &dir, const char *what, const QList<LogFormat> &formats, int events)
{
    std::vector<std::unique_ptr<RotatingFileSink>> sinks;
    int n = 0;
    for (LogFormat format : formats)
        sinks.push_back(std::make_unique<RotatingFileSink>(
                QStringLiteral("%1/bench-%2.log").arg(dir).arg(n++), format, 16 * 1024 * 1024, 2));
    const QString text = QStringLiteral("compiling src/module_%1.cpp -> obj/module_%1.o [ok]");
    QElapsedTimer clock;
    clock.start();
    for (int i = 0; i < events; ++i) {
        const TaskEvent event =
                TaskEvent::output(TaskId(1 + i % 8), 1, OutputChannel::Stdout, text.arg(i));
        const LogEntry entry(event, logTimestampNow(), QString());
        for (const auto &sink : sinks)
            sink->write(entry);
        if (i % 10000 == 0)
            for (const auto &sink : sinks)
                sink->flush();
    }
    for (const auto &sink : sinks)
        sink->flush();
    const qint64 ns = clock.nsecsElapsed();
    qint64 bytes = 0;
    for (const auto &sink : sinks)
        bytes += sizeOfLogs(sink->path(), 2);
    report(what, events, "events", ns, bytes);
}

void benchStore(const QString &dir, const char *what, int tasks, int tasksPerCommit)
{
    const QString path = QStringLiteral("%1/bench-%2.db").arg(dir).arg(tasksPerCommit);
    SqliteTaskStore store(path);
    if (!store.open()) {
        std::printf("%s: %s\n", what, qPrintable(store.errorString()));
        return;
    }
    const TaskDescriptor task({ QStringLiteral("/usr/bin/make"), QStringLiteral("-C"),
                                QStringLiteral("src"), QStringLiteral("all") });
    QElapsedTimer clock;
    clock.start();
    for (int i = 1; i <= tasks; ++i) {
        const QDateTime now = QDateTime::currentDateTime();
        store.recordEnqueued(TaskId(i), task, now);
        store.recordEvent(TaskEvent::started(TaskId(i), 1, task.command(), QString()), now);
        store.recordEvent(TaskEvent::finished(TaskId(i), 1, 5), now);
        if (i % tasksPerCommit == 0)
            store.flush();
    }
    store.flush();
    const qint64 ns = clock.nsecsElapsed();
    report(what, qint64(tasks) * 3, "records", ns);
}

void benchBroker(const QString &dir, const char *what, int lines, bool withLog)
{
    const QString seq = QStandardPaths::findExecutable(QStringLiteral("seq"));
    if (seq.isEmpty()) {
        std::printf("%s: no 'seq' on PATH, skipped\n", what);
        return;
    }
    BrokerConfig config;
    if (withLog) {
        config.globalLogPath = dir + QStringLiteral("/broker.log");
        config.logRotationBytes = 16 * 1024 * 1024;
    }
    Broker broker(config);
    QEventLoop loop;
    qint64 events = 0;
    QObject::connect(&broker, &Broker::eventOccurred, [&](const TaskEvent &) { ++events; });
    QObject::connect(&broker, &Broker::idle, &loop, &QEventLoop::quit);
    QElapsedTimer clock;
    clock.start();
    broker.enqueue(TaskDescriptor({ seq, QStringLiteral("1"), QString::number(lines) }));
    loop.exec();
    report(what, events, "events", clock.nsecsElapsed());
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("TaskConductor logging/store throughput"));
    parser.addHelpOption();
    const QCommandLineOption eventsOption(QStringLiteral("events"),
                                          QStringLiteral("events per sink run"),
                                          QStringLiteral("n"), QStringLiteral("500000"));
    const QCommandLineOption tasksOption(QStringLiteral("tasks"),
                                         QStringLiteral("tasks per store run"), QStringLiteral("n"),
                                         QStringLiteral("20000"));
    parser.addOptions({ eventsOption, tasksOption });
    parser.process(app);
    const int events = parser.value(eventsOption).toInt();
    const int tasks = parser.value(tasksOption).toInt();

    QTemporaryDir dir;
    benchSinks(dir.path(), "text sink (rotating, 16 MiB x 2)", { LogFormat::Text }, events);
    benchSinks(dir.path(), "JSON Lines sink (rotating, 16 MiB x 2)", { LogFormat::JsonLines },
               events);
    benchSinks(dir.path(), "text + JSON sinks, one entry",
               { LogFormat::Text, LogFormat::JsonLines }, events);
    benchStore(dir.path(), "SQLite store, commit per task (Broker)", tasks, 1);
    benchStore(dir.path(), "SQLite store, commit per 1000 tasks", tasks, 1000);
    benchBroker(dir.path(), "Broker, seq output, no log", events, false);
    benchBroker(dir.path(), "Broker, seq output, text global log", events, true);
    return 0;
}
