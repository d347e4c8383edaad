// SPDX-License-Identifier: MIT
#include "statuscommand.h"

#include "runcounts.h"

#include <taskconductor/sqlitetaskstore.h>

#include <QtCore/qcommandlineparser.h>
#include <QtCore/qdatetime.h>
#include <QtCore/qjsonarray.h>
#include <QtCore/qjsondocument.h>
#include <QtCore/qjsonobject.h>

#include <cstdio>
#include <string.h>

namespace TaskConductor {

namespace {

constexpr int PageSize = 1000; // tasks read at once: memory stays bounded for any store

struct StatusCounts
{
    RunCounts ended; // the tasks that ended, counted as a run counts them
    qint64 total = 0, running = 0, retrying = 0, pending = 0, blocked = 0;

    void count(const StoredTask &task)
    {
        ++total;
        switch (task.state) {
        case TaskState::Pending:
            ++pending;
            return;
        case TaskState::Blocked:
            ++blocked;
            return;
        case TaskState::Running:
        case TaskState::Stopping:
            ++running;
            return;
        case TaskState::RetryWait:
            ++retrying;
            return;
        case TaskState::Done:
            break;
        }
        ended.count(task.outcome.value_or(Outcome::Failed), task.metrics);
    }
    QString summary() const
    {
        return QStringLiteral("%1 task%2: %3 finished, %4 failed, %5 timed out, %6 canceled, %7 "
                              "running, %8 waiting to retry, %9 pending, %10 blocked")
                .arg(total)
                .arg(total == 1 ? QString() : QStringLiteral("s"))
                .arg(ended.finished)
                .arg(ended.failed)
                .arg(ended.timedOut)
                .arg(ended.canceled)
                .arg(running)
                .arg(retrying)
                .arg(pending)
                .arg(blocked);
    }
};

QString stateText(const StoredTask &task)
{
    switch (task.state) {
    case TaskState::Pending:
        return QStringLiteral("pending");
    case TaskState::Blocked:
        return QStringLiteral("blocked");
    case TaskState::Running:
    case TaskState::Stopping:
        return QStringLiteral("running");
    case TaskState::RetryWait:
        return QStringLiteral("retrying");
    case TaskState::Done:
        break;
    }
    return task.outcome ? TaskEvent::outcomeName(*task.outcome) : QStringLiteral("done");
}

// "SIGSEGV" for a crash's negative exit code.
QString signalName(int exitCode)
{
    if (exitCode >= -1)
        return QString();
    const char *abbreviation = ::sigabbrev_np(-exitCode);
    return abbreviation ? QStringLiteral("SIG") + QString::fromLatin1(abbreviation)
                        : QStringLiteral("signal %1").arg(-exitCode);
}

// The exit code (or signal) when there is one to show.
QString exitText(const StoredTask &task)
{
    const bool hasExit =
            (task.state == TaskState::Done && task.outcome
             && (*task.outcome == Outcome::Finished || *task.outcome == Outcome::Failed))
            || task.state == TaskState::RetryWait;
    if (!hasExit || (task.exitCode == -1 && task.state == TaskState::Done))
        return QStringLiteral("-");
    const QString signal = signalName(task.exitCode);
    return signal.isEmpty() ? QString::number(task.exitCode) : signal;
}

qint64 durationMs(const StoredTask &task, const QDateTime &now)
{
    if (task.state == TaskState::Done)
        return task.durationMs;
    if (task.startedAt.isValid())
        return task.startedAt.msecsTo(now); // still going
    return -1;
}

QString label(const StoredTask &task)
{
    QString text = task.descriptor.name().isEmpty()
            ? task.descriptor.command().join(QLatin1Char(' '))
            : task.descriptor.name();
    // One task, one line: controls are shown as \xHH.
    QString out;
    for (const QChar c : std::as_const(text)) {
        const char16_t u = c.unicode();
        if (u < 0x20 || u == 0x7f)
            out += QStringLiteral("\\x%1").arg(int(u), 2, 16, QLatin1Char('0'));
        else
            out += c;
    }
    return out;
}

QJsonValue timeValue(const QDateTime &at)
{
    return at.isValid()
            ? QJsonValue(at.toOffsetFromUtc(at.offsetFromUtc()).toString(Qt::ISODateWithMs))
            : QJsonValue();
}

QByteArray jsonLine(const StoredTask &task, const QDateTime &now)
{
    QJsonObject o;
    o.insert(QStringLiteral("id"), qint64(task.id));
    o.insert(QStringLiteral("name"),
             task.descriptor.name().isEmpty() ? QJsonValue() : QJsonValue(task.descriptor.name()));
    o.insert(QStringLiteral("state"), stateText(task));
    o.insert(QStringLiteral("attempts"), task.attempts);
    const QString exit = exitText(task);
    o.insert(QStringLiteral("exitCode"), exit == QLatin1String("-") ? QJsonValue() : task.exitCode);
    const QString signal = signalName(task.exitCode);
    if (!signal.isEmpty() && exit != QLatin1String("-"))
        o.insert(QStringLiteral("signal"), signal);
    const qint64 duration = durationMs(task, now);
    o.insert(QStringLiteral("durationMs"), duration < 0 ? QJsonValue() : QJsonValue(duration));
    o.insert(QStringLiteral("enqueuedAt"), timeValue(task.enqueuedAt));
    o.insert(QStringLiteral("startedAt"), timeValue(task.startedAt));
    o.insert(QStringLiteral("endedAt"), timeValue(task.endedAt));
    o.insert(QStringLiteral("command"), QJsonArray::fromStringList(task.descriptor.command()));
    if (!task.message.isEmpty())
        o.insert(QStringLiteral("message"), task.message);
    if (task.state == TaskState::Done) {
        // The terminal event's metric members, as the store keeps them.
        const QJsonObject metrics =
                QJsonDocument::fromJson(TaskStore::metricsToJson(task.metrics)).object();
        for (auto it = metrics.constBegin(); it != metrics.constEnd(); ++it)
            o.insert(it.key(), it.value());
    }
    return QJsonDocument(o).toJson(QJsonDocument::Compact);
}

QByteArray textLine(const StoredTask &task, const QDateTime &now)
{
    const qint64 duration = durationMs(task, now);
    const QString durationText = duration < 0
            ? QStringLiteral("-")
            : QStringLiteral("%1 s").arg(double(duration) / 1000.0, 0, 'f', 2);
    const QString started = task.startedAt.isValid()
            ? task.startedAt.toLocalTime().toString(QStringLiteral("yyyy-MM-dd HH:mm:ss"))
            : QStringLiteral("-");
    return QStringLiteral("%1 %2 %3 %4 %5 %6  %7")
            .arg(task.id, -6)
            .arg(stateText(task), -13)
            .arg(task.attempts, 8)
            .arg(exitText(task), 7)
            .arg(durationText, 10)
            .arg(started, 19)
            .arg(label(task))
            .toUtf8();
}

// The store keeps a task that waits for its dependencies as pending (the Broker decides again
// when it resumes it); it is blocked while one of them has not finished.
bool waitsForDependency(TaskStore &tasks, const StoredTask &task)
{
    for (const TaskId id : task.descriptor.dependencies()) {
        const std::optional<StoredTask> dependency = tasks.task(id);
        if (!dependency || dependency->outcome != Outcome::Finished)
            return true;
    }
    return false;
}

} // namespace

int runStatusCommand(const QStringList &arguments)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
            "Shows the tasks of a --store file: one line per task and the counts, or one JSON "
            "object per task. Reads the store while a run writes it."));
    const QCommandLineOption help({ QStringLiteral("h"), QStringLiteral("help") },
                                  QStringLiteral("Show this help."));
    const QCommandLineOption store(QStringLiteral("store"),
                                   QStringLiteral("The SQLite task store a run wrote (--store)."),
                                   QStringLiteral("FILE"));
    const QCommandLineOption json(QStringLiteral("json"),
                                  QStringLiteral("One JSON object per task on stdout, nothing "
                                                 "else there (the counts go to stderr)."));
    parser.addOptions({ help, store, json });
    parser.addPositionalArgument(QStringLiteral("status"), QStringLiteral("The command: status."));
    const QString hint = QStringLiteral("\nTry 'taskconductor status --help'.");
    if (!parser.parse(arguments)) {
        std::fprintf(stderr, "taskconductor: %s%s\n", qPrintable(parser.errorText()),
                     qPrintable(hint));
        return 2;
    }
    if (parser.isSet(help)) {
        std::fputs(qPrintable(parser.helpText()), stdout);
        return 0;
    }
    if (parser.positionalArguments().size() != 1) {
        std::fprintf(stderr, "taskconductor: status takes no other argument%s\n", qPrintable(hint));
        return 2;
    }
    if (parser.value(store).isEmpty()) {
        std::fprintf(stderr, "taskconductor: status needs --store FILE%s\n", qPrintable(hint));
        return 2;
    }
    SqliteTaskStore tasks(parser.value(store));
    if (!tasks.openReadOnly()) {
        std::fprintf(stderr, "taskconductor: --store %s: %s\n", qPrintable(parser.value(store)),
                     qPrintable(tasks.errorString()));
        return 2;
    }
    const bool asJson = parser.isSet(json);
    const QDateTime now = QDateTime::currentDateTime();
    if (!asJson)
        std::printf("%-6s %-13s %8s %7s %10s %19s  %s\n", "ID", "STATE", "ATTEMPTS", "EXIT",
                    "DURATION", "STARTED", "NAME");
    StatusCounts counts;
    TaskId next = 1;
    for (;;) {
        const QList<StoredTask> page = tasks.tasksFrom(next, PageSize);
        for (StoredTask task : page) {
            if (task.state == TaskState::Pending && waitsForDependency(tasks, task))
                task.state = TaskState::Blocked;
            counts.count(task);
            const QByteArray line = asJson ? jsonLine(task, now) : textLine(task, now);
            std::fwrite(line.constData(), 1, size_t(line.size()), stdout);
            std::fputc('\n', stdout);
        }
        if (page.size() < PageSize)
            break;
        next = page.constLast().id + 1;
    }
    if (!tasks.errorString().isEmpty()) {
        std::fflush(stdout);
        std::fprintf(stderr, "taskconductor: --store %s: %s\n", qPrintable(parser.value(store)),
                     qPrintable(tasks.errorString()));
        return 2;
    }
    std::fflush(stdout);
    std::fprintf(asJson ? stderr : stdout, "%s\n", qPrintable(counts.summary()));
    return 0;
}

} // namespace TaskConductor
