// SPDX-License-Identifier: MIT
// Throughput of the logging and persistence paths, each measured on its own:
// - the text and JSON RotatingFileSink (a LogEntry per event, timestamped and formatted as the
//   Broker does, flushed every 10000 events as the 200 ms timer would at high rates, rotating);
// - both sinks sharing one entry;
// - the same sinks fed batches (BrokerConfig::outputBatching): the lines of one read as one
//   TaskEvent::outputBatch() made from the read's bytes, logged through one LogEntry moved from
//   line to line (LogEntry::setLine()), as the Broker's dispatcher does: written from bytes;
// - the SQLite store: enqueue + started + finished per task, committed at every terminal event
//   (what the Broker does) and, for comparison, committed once per 1000 tasks;
// - a Broker streaming `seq` output, without a log and with a text or JSON global log, one event
//   per line and batched.
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
#include <cstring>
#include <ctime>

using namespace TaskConductor;

namespace {

// CPU time of this process (all its threads, user and system; not its children's): on a loaded
// machine, events per CPU second say more than events per wall second.
qint64 cpuNow()
{
    timespec ts {};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return qint64(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

// Wall time and CPU time of one row, from construction.
struct RowClock
{
    QElapsedTimer wall;
    qint64 cpuStart = cpuNow();
    RowClock() { wall.start(); }
};

void report(const char *what, qint64 count, const char *unit, const RowClock &clock,
            qint64 bytes = 0)
{
    const double seconds = double(clock.wall.nsecsElapsed()) / 1e9;
    const double cpuSeconds = double(cpuNow() - clock.cpuStart) / 1e9;
    std::printf("%-44s %9lld %s in %8.1f ms = %10.0f %s/s, %10.0f per CPU s", what, count, unit,
                seconds * 1000, double(count) / seconds, unit, double(count) / cpuSeconds);
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

// The timed part of benchSinks(): one event per line, as without outputBatching.
Q_NEVER_INLINE void logEvents(const std::vector<std::unique_ptr<RotatingFileSink>> &sinks,
                              int events)
{
    const QString text = QStringLiteral("compiling src/module_%1.cpp -> obj/module_%1.o [ok]");
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
}

void benchSinks(const QString &dir, const char *what, const QList<LogFormat> &formats, int events)
{
    std::vector<std::unique_ptr<RotatingFileSink>> sinks;
    int n = 0;
    for (LogFormat format : formats)
        sinks.push_back(std::make_unique<RotatingFileSink>(
                QStringLiteral("%1/bench-%2.log").arg(dir).arg(n++), format, 16 * 1024 * 1024, 2));
    const RowClock clock;
    logEvents(sinks, events);
    qint64 bytes = 0;
    for (const auto &sink : sinks)
        bytes += sizeOfLogs(sink->path(), 2);
    report(what, events, "events", clock, bytes);
}

// The timed part of benchBatchedSinks(), apart for callgrind's --toggle-collect.
Q_NEVER_INLINE void logReads(const std::vector<std::unique_ptr<RotatingFileSink>> &sinks,
                             const QList<QByteArray> &reads, int linesPerRead)
{
    qint64 written = 0;
    for (qsizetype r = 0; r < reads.size(); ++r) {
        const QByteArray &bytes = reads.at(r);
        QList<qsizetype> bounds;
        bounds.reserve(2 * linesPerRead);
        for (qsizetype from = 0; from < bytes.size();) {
            const auto *end = static_cast<const char *>(
                    std::memchr(bytes.constData() + from, '\n', size_t(bytes.size() - from)));
            const qsizetype to = end ? end - bytes.constData() : bytes.size();
            bounds.append(from);
            bounds.append(to);
            from = to + 1;
        }
        const TaskEvent batch =
                TaskEvent::outputBatch(TaskId(1 + r % 8), 1, OutputChannel::Stdout, bytes, bounds);
        LogEntry entry(batch, 0, logTimestampNow(), QString());
        for (qsizetype line = 0, count = batch.lineCount(); line < count; ++line) {
            if (line > 0)
                entry.setLine(line);
            for (const auto &sink : sinks)
                sink->write(entry);
        }
        written += batch.lineCount();
        if (written / 10000 != (written - batch.lineCount()) / 10000)
            for (const auto &sink : sinks)
                sink->flush();
    }
    for (const auto &sink : sinks)
        sink->flush();
}

// The sinks fed as the Broker feeds them batches: \a linesPerRead lines per read, the batch
// made from the read's bytes (line bounds found with memchr, as the line splitter does), one
// entry per batch moved from line to line.
void benchBatchedSinks(const QString &dir, const char *what, const QList<LogFormat> &formats,
                       int events, int linesPerRead)
{
    std::vector<std::unique_ptr<RotatingFileSink>> sinks;
    int n = 0;
    for (LogFormat format : formats)
        sinks.push_back(std::make_unique<RotatingFileSink>(
                QStringLiteral("%1/bench-batched-%2.log").arg(dir).arg(n++), format,
                16 * 1024 * 1024, 2));
    // What the reads return, made before the clock starts (the child's work).
    QList<QByteArray> reads;
    QByteArray read;
    for (int i = 0; i < events; ++i) {
        const QByteArray number = QByteArray::number(i);
        read += "compiling src/module_" + number + ".cpp -> obj/module_" + number + ".o [ok]\n";
        if ((i + 1) % linesPerRead == 0 || i + 1 == events)
            reads.append(std::exchange(read, QByteArray()));
    }
    const RowClock clock;
    logReads(sinks, reads, linesPerRead);
    qint64 bytes = 0;
    for (const auto &sink : sinks)
        bytes += sizeOfLogs(sink->path(), 2);
    report(what, events, "events", clock, bytes);
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
    const RowClock clock;
    for (int i = 1; i <= tasks; ++i) {
        const QDateTime now = QDateTime::currentDateTime();
        store.recordEnqueued(TaskId(i), task, now);
        store.recordEvent(TaskEvent::started(TaskId(i), 1, task.command(), QString()), now);
        store.recordEvent(TaskEvent::finished(TaskId(i), 1, 5), now);
        if (i % tasksPerCommit == 0)
            store.flush();
    }
    store.flush();
    report(what, qint64(tasks) * 3, "records", clock);
}

void benchBroker(const QString &dir, const char *what, int lines, bool withLog,
                 LogFormat format = LogFormat::Text, bool batching = false)
{
    const QString seq = QStandardPaths::findExecutable(QStringLiteral("seq"));
    if (seq.isEmpty()) {
        std::printf("%s: no 'seq' on PATH, skipped\n", what);
        return;
    }
    BrokerConfig config;
    config.outputBatching = batching;
    config.logFormat = format;
    if (withLog) {
        config.globalLogPath = dir + QStringLiteral("/broker.log");
        config.logRotationBytes = 16 * 1024 * 1024;
    }
    Broker broker(config);
    QEventLoop loop;
    qint64 events = 0; // one per line, batched or not
    QObject::connect(&broker, &Broker::eventOccurred, [&](const TaskEvent &event) {
        events += std::max<qsizetype>(1, event.lineCount());
    });
    QObject::connect(&broker, &Broker::idle, &loop, &QEventLoop::quit);
    const RowClock clock;
    broker.enqueue(TaskDescriptor({ seq, QStringLiteral("1"), QString::number(lines) }));
    loop.exec();
    report(what, events, "events", clock);
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
    const QCommandLineOption batchOption(QStringLiteral("lines-per-read"),
                                         QStringLiteral("lines per batch in the batched rows"),
                                         QStringLiteral("n"), QStringLiteral("64"));
    const QCommandLineOption onlyOption(QStringLiteral("only"),
                                        QStringLiteral("only the rows whose name contains this"),
                                        QStringLiteral("text"));
    parser.addOptions({ eventsOption, tasksOption, batchOption, onlyOption });
    parser.process(app);
    const int events = parser.value(eventsOption).toInt();
    const int tasks = parser.value(tasksOption).toInt();

    const int linesPerRead = std::max(1, parser.value(batchOption).toInt());
    const QString only = parser.value(onlyOption);
    auto wanted = [&](const char *what) { return QString::fromUtf8(what).contains(only); };

    QTemporaryDir dir;
    const struct
    {
        const char *what;
        QList<LogFormat> formats;
    } sinkRows[] = {
        { "text sink (rotating, 16 MiB x 2)", { LogFormat::Text } },
        { "JSON Lines sink (rotating, 16 MiB x 2)", { LogFormat::JsonLines } },
        { "text + JSON sinks, one entry", { LogFormat::Text, LogFormat::JsonLines } },
    };
    for (const auto &row : sinkRows) {
        if (wanted(row.what))
            benchSinks(dir.path(), row.what, row.formats, events);
    }
    const struct
    {
        const char *what;
        QList<LogFormat> formats;
    } batchedRows[] = {
        { "text sink, batched, from bytes", { LogFormat::Text } },
        { "JSON Lines sink, batched, from bytes", { LogFormat::JsonLines } },
        { "text + JSON sinks, batched, one entry", { LogFormat::Text, LogFormat::JsonLines } },
    };
    for (const auto &row : batchedRows) {
        if (wanted(row.what))
            benchBatchedSinks(dir.path(), row.what, row.formats, events, linesPerRead);
    }
    if (wanted("SQLite store, commit per task (Broker)"))
        benchStore(dir.path(), "SQLite store, commit per task (Broker)", tasks, 1);
    if (wanted("SQLite store, commit per 1000 tasks"))
        benchStore(dir.path(), "SQLite store, commit per 1000 tasks", tasks, 1000);
    const struct
    {
        const char *what;
        bool withLog;
        LogFormat format;
        bool batching;
    } brokerRows[] = {
        { "Broker, seq output, no log", false, LogFormat::Text, false },
        { "Broker, seq output, text global log", true, LogFormat::Text, false },
        { "Broker, seq output, JSON global log", true, LogFormat::JsonLines, false },
        { "Broker, seq output, batched, no log", false, LogFormat::Text, true },
        { "Broker, seq output, batched, text global log", true, LogFormat::Text, true },
        { "Broker, seq output, batched, JSON global log", true, LogFormat::JsonLines, true },
    };
    for (const auto &row : brokerRows) {
        if (wanted(row.what))
            benchBroker(dir.path(), row.what, events, row.withLog, row.format, row.batching);
    }
    return 0;
}
