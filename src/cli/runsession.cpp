// SPDX-License-Identifier: MIT
#include "runsession.h"
#include "runsession_p.h"

#include "argumentsource.h"
#include "commandtemplate.h"
#include "eventprinter.h"
#include "groupedoutput.h"
#include "linereader.h"
#include "progressbar.h"
#include "resultsdir.h"
#include "signalwatcher.h"
#include "taskfeeder.h"
#include "taskfileparser.h"

#include <taskconductor/broker.h>

#include <QtCore/qabstracteventdispatcher.h>
#include <QtCore/qcoreapplication.h>
#include <QtCore/qjsonarray.h>
#include <QtCore/qjsondocument.h>
#include <QtCore/qjsonobject.h>
#include <QtCore/qregularexpression.h>
#include <QtCore/qsocketnotifier.h>

#include <csignal>
#include <cstdio>
#include <cstring>
#include <unistd.h>

namespace TaskConductor {

namespace {

// A word as a POSIX shell reads it back: quoted only when it must be (--dry-run).
QString shellQuoted(const QString &word)
{
    static const QRegularExpression plain(QStringLiteral("^[A-Za-z0-9_@%+=:,./-]+$"));
    if (plain.match(word).hasMatch())
        return word;
    QString quoted = word;
    quoted.replace(u'\'', QStringLiteral("'\\''"));
    return u'\'' + quoted + u'\'';
}

} // namespace

RunSession::RunSession(const RunOptions &options, QObject *parent)
    : QObject(parent)
    , m_options(options)
{ }

RunSession::~RunSession()
{
    // The feeder watches the Broker, and the Broker's destruction still calls our handlers.
    m_feeder.reset();
    m_broker.reset();
}

QString RunSession::displayName() const
{
    return m_options.taskFile == QLatin1String("-") ? QStringLiteral("<stdin>")
                                                    : m_options.taskFile;
}

void RunSession::start()
{
    m_clock.start();
    if (m_resume)
        m_options.broker.store = m_resume->store();
    if (m_results) {
        m_options.broker.rawOutputHandler = [this](TaskId id, int, OutputChannel channel,
                                                   QByteArrayView chunk) {
            m_results->write(id, channel, chunk);
        };
    }
    // The printer writes a read's lines straight from their bytes (EventPrinter::printLines()).
    m_options.broker.outputBatching = true;
    m_broker = std::make_unique<Broker>(m_options.broker);
    connect(m_broker.get(), &Broker::idle, this, &RunSession::maybeFinish);
    // Notices of no task (a log that cannot be written, a store error) would be lost otherwise.
    connect(m_broker.get(), &Broker::internalError, this,
            [this](TaskId id, const QString &message) {
                if (id != 0)
                    return;
                if (m_progress)
                    m_progress->hide(); // redrawn at its next tick
                printError(message);
                // JSON consumers read stdout only: they get the notice as an event too.
                if (m_printer && m_options.events == EventFormat::Json)
                    m_printer->print(TaskEvent::internalError(0, 0, message, false), QString());
            });
    if (m_resume) {
        const auto &resumed = m_resume->resumed();
        for (auto it = resumed.cbegin(); it != resumed.cend(); ++it)
            m_resumedInFlight.insert(it.key());
        connect(m_broker.get(), &Broker::eventOccurred, this, &RunSession::onResumedEvent);
        if (!m_options.command.isEmpty())
            m_counts.total = 1;
        if (m_counts.total >= 0)
            m_counts.total += resumed.size() - m_resume->skipCount();
        if (m_resume->skipCount() > 0)
            printError(QStringLiteral("--store %1: %2 tasks of the list were accepted by an "
                                      "earlier run; resuming the %3 that did not end")
                               .arg(m_options.storePath)
                               .arg(m_resume->skipCount())
                               .arg(resumed.size()));
    }

    const bool showProgress = m_options.progress == ProgressMode::Always
            || (m_options.progress == ProgressMode::Auto && ::isatty(STDERR_FILENO) == 1);
    if (showProgress) {
        m_progress = std::make_unique<ProgressBar>(
                &m_counts, [this] { return m_broker ? m_broker->runningCount() : 0; },
                [this] { return m_broker ? m_broker->blockedCount() : 0; });
    }
    m_printer = std::make_unique<EventPrinter>(m_options.events, m_progress.get());
    if (m_options.group && m_options.events != EventFormat::None && !m_options.dryRun) {
        m_grouped = std::make_unique<GroupedOutput>(
                m_options.keepOrder, [this](const TaskEvent &event, const QString &name) {
                    m_printer->print(event, name);
                });
    }
    // Events reach a pipe as soon as the loop has nothing else to do: live for `jq` or a log
    // shipper, yet one write per batch rather than one per line.
    connect(QAbstractEventDispatcher::instance(), &QAbstractEventDispatcher::aboutToBlock, this,
            [] { std::fflush(stdout); });
    if (m_signal != 0) // interrupted before anything started
        return maybeFinish();
    if (m_progress)
        m_progress->start();
    watchStandardOutput();

    // Queued: a Broker on a store resumes its unfinished tasks at its first event-loop turn,
    // and the run is not over before that.
    if (!m_options.command.isEmpty() && !m_arguments) {
        if (!m_resume)
            m_counts.total = 1;
        TaskFileLine line;
        line.kind = TaskFileLineKind::Task;
        line.task = TaskDescriptor(m_options.command);
        take(line, m_options.command.join(QChar(0)).toUtf8());
        QMetaObject::invokeMethod(this, &RunSession::maybeFinish, Qt::QueuedConnection);
        return;
    }

    std::unique_ptr<TaskSource> source;
    if (m_arguments) {
        source = std::make_unique<ArgumentTaskSource>(CommandTemplate(m_options.command),
                                                      std::move(m_arguments));
    } else {
        if (m_options.taskFile == QLatin1String("-") && ::isatty(STDIN_FILENO) == 1)
            printError(QStringLiteral("reading tasks from the terminal, one JSON object per "
                                      "line; end with Ctrl-D"));
        std::unique_ptr<LineReader> reader = std::move(m_stream);
        if (!reader) {
            reader = std::make_unique<LineReader>(m_options.maxTaskLineBytes);
            if (!reader->open(m_options.taskFile)) {
                m_inputError = QStringLiteral("%1: cannot open: %2")
                                       .arg(displayName(), reader->errorString());
                return maybeFinish();
            }
        }
        source = std::make_unique<TaskFileSource>(std::move(reader),
                                                  TaskFileParser(m_options.broker.retry));
    }
    const int window = m_options.broker.maxConcurrentTasks + m_options.broker.maxQueueDepth;
    m_feeder = std::make_unique<TaskFeeder>(
            *m_broker, std::move(source), window,
            [this](const TaskFileLine &line, QByteArrayView source) { take(line, source); });
    connect(m_feeder.get(), &TaskFeeder::invalidLine, this,
            [this](qint64 lineNumber, const QString &error) {
                if (m_options.taskFile.isEmpty()) // argument sources: the error names its file
                    m_inputError = error;
                else
                    m_inputError = lineNumber > 0
                            ? QStringLiteral("%1:%2: %3")
                                      .arg(displayName())
                                      .arg(lineNumber)
                                      .arg(error)
                            : QStringLiteral("%1: %2").arg(displayName(), error);
            });
    connect(m_feeder.get(), &TaskFeeder::done, this, &RunSession::maybeFinish);
    QMetaObject::invokeMethod(
            this,
            [this] {
                m_feeder->start();
                maybeFinish();
            },
            Qt::QueuedConnection);
}

void RunSession::take(const TaskFileLine &line, QByteArrayView source)
{
    stopIfSignaled();
    if (m_signal != 0 || !m_inputError.isEmpty())
        return;
    ++m_ordinal;
    QString error;
    const bool resumed = m_resume && m_ordinal <= m_resume->skipCount();
    if (resumed)
        m_resume->matches(m_ordinal, line.task, source, error);
    if (error.isEmpty() && !m_linesValidated)
        perTaskLogClashes(line.task, error); // streams: not checked by validate()
    TaskFileLine task = line;
    if (error.isEmpty() && !line.after.isEmpty())
        task.task.setDependencies(m_names.resolve(line.after, error));
    if (error.isEmpty())
        m_names.check(line.task.name(), error);
    if (!error.isEmpty()) {
        m_inputError =
                QStringLiteral("%1:%2: %3").arg(displayName()).arg(line.lineNumber).arg(error);
        if (m_feeder)
            m_feeder->stop();
        return;
    }
    TaskId id = TaskId(m_ordinal); // a resumed task keeps its id: task k of the list is task id k
    if (!resumed)
        id = enqueue(task, source);
    else if (m_grouped)
        m_grouped->skip(m_ordinal); // an earlier run accepted it: nothing to wait for
    m_names.add(line.task.name(), id);
}

void RunSession::onResumedEvent(const TaskEvent &event)
{
    if (!m_resumedInFlight.contains(event.taskId()))
        return; // one of ours: its handler has it
    if (event.isTerminal())
        m_resumedInFlight.remove(event.taskId());
    TaskDescriptor task;
    task.setName(m_resume->resumed().value(event.taskId()));
    onTaskEvent(event, task, 0);
}

TaskId RunSession::enqueue(const TaskFileLine &line, QByteArrayView source)
{
    if (m_options.dryRun) {
        printDryRun(line);
        return TaskId(m_ordinal); // what "after" refers to; nothing runs
    }
    const qint64 ordinal = m_ordinal;
    const TaskId id =
            m_broker->enqueue(line.task, [this, task = line.task, ordinal](const TaskEvent &event) {
                onTaskEvent(event, task, ordinal);
            });
    if (m_resume)
        m_resume->accepted(id, source);
    if (m_broker->state(id) != TaskState::Done) // not ended inside enqueue() (rejected)
        m_inFlight.insert(id);
    return id;
}

void RunSession::onTaskEvent(const TaskEvent &event, const TaskDescriptor &task, qint64 ordinal)
{
    m_counts.count(event);
    if (m_results) {
        m_results->record(event, task);
        const QString error = m_results->takeError();
        if (!error.isEmpty()) {
            if (m_progress)
                m_progress->hide();
            printError(error);
        }
    }
    if (event.isTerminal())
        m_inFlight.remove(event.taskId());
    print(event, task.name(), ordinal);
    if (event.isTerminal())
        stopIfSignaled(); // before the Broker fills the slot
    if (event.isTerminal() && m_haltReason.isEmpty() && m_signal == 0
        && m_options.halt.reached(m_counts.failed + m_counts.timedOut, m_counts.finished,
                                  m_counts.ended(), m_counts.total))
        halt();
}

void RunSession::print(const TaskEvent &event, const QString &name, qint64 ordinal)
{
    if (m_grouped)
        m_grouped->add(ordinal, event, name);
    else
        m_printer->print(event, name);
}

void RunSession::halt()
{
    m_haltReason = m_options.halt.reason(m_counts.failed + m_counts.timedOut, m_counts.finished);
    if (m_feeder)
        m_feeder->stop(); // reads nothing more
    if (m_options.halt.when == HaltPolicy::When::Now) {
        m_broker->cancelAll();
    } else {
        // Soon: what has not started ends canceled; the running tasks end as they will.
        QList<TaskId> ids(m_inFlight.cbegin(), m_inFlight.cend());
        ids += QList<TaskId>(m_resumedInFlight.cbegin(), m_resumedInFlight.cend());
        for (TaskId id : std::as_const(ids)) {
            const TaskState state = m_broker->state(id);
            if (state == TaskState::Pending || state == TaskState::Blocked
                || state == TaskState::RetryWait)
                m_broker->cancel(id);
        }
    }
    QMetaObject::invokeMethod(this, &RunSession::maybeFinish, Qt::QueuedConnection);
}

void RunSession::printDryRun(const TaskFileLine &line)
{
    ++m_counts.finished; // "would run"; the summary says nothing ran
    QByteArray text;
    if (m_options.events == EventFormat::Json) {
        QJsonObject o;
        o.insert(QStringLiteral("id"), m_ordinal);
        o.insert(QStringLiteral("name"),
                 line.task.name().isEmpty() ? QJsonValue() : QJsonValue(line.task.name()));
        o.insert(QStringLiteral("command"), QJsonArray::fromStringList(line.task.command()));
        text = QJsonDocument(o).toJson(QJsonDocument::Compact);
    } else if (m_options.events == EventFormat::Text) {
        QStringList words;
        for (const QString &word : line.task.command())
            words.append(shellQuoted(word));
        text = words.join(u' ').toUtf8();
    } else {
        return;
    }
    text += '\n';
    std::fwrite(text.constData(), 1, size_t(text.size()), stdout);
}

void RunSession::maybeFinish()
{
    if (m_finished || !m_broker || !m_broker->isIdle() || (m_feeder && !m_feeder->isDone()))
        return;
    finish();
}

void RunSession::finish()
{
    if (m_finished)
        return;
    m_finished = true;
    if (m_progress)
        m_progress->stop();
    if (m_grouped)
        m_grouped->flushAll();
    std::fflush(stdout);
    m_stdoutWatch.reset();
    if (!m_inputError.isEmpty())
        printError(m_inputError);
    if (m_options.dryRun) {
        printError(QStringLiteral("dry run: %1 task%2, nothing was run")
                           .arg(m_counts.finished)
                           .arg(m_counts.finished == 1 ? QString() : QStringLiteral("s")));
    } else if (!m_haltReason.isEmpty()) {
        printError(QStringLiteral("%1; %2").arg(m_haltReason, m_counts.summary(m_clock.elapsed())));
    } else {
        printError(m_counts.summary(m_clock.elapsed()));
    }
    if (m_signal != 0 && m_resume)
        printError(QStringLiteral("--store %1: run the same command again to resume what did "
                                  "not finish")
                           .arg(m_options.storePath));

    int status = 0;
    if (m_signal == SIGPIPE)
        status = 128 + SIGPIPE; // what a shell reports for a writer killed by SIGPIPE
    else if (m_signal == SIGINT || m_signal == SIGTERM)
        status = 130;
    else if (m_signal != 0)
        status = 128 + m_signal; // SIGHUP 129, SIGQUIT 131
    else if (!m_inputError.isEmpty())
        status = 2;
    else if (!m_haltReason.isEmpty())
        status = m_options.halt.trigger == HaltPolicy::Trigger::Fail ? 1 : 0;
    else if (!m_counts.allFinished())
        status = 1;
    Q_EMIT finished(status);
}

} // namespace TaskConductor
