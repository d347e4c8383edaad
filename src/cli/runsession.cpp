// SPDX-License-Identifier: MIT
#include "runsession.h"

#include "eventprinter.h"
#include "linereader.h"
#include "progressbar.h"
#include "taskfeeder.h"
#include "taskfileparser.h"

#include <taskconductor/broker.h>

#include <QtCore/qabstracteventdispatcher.h>
#include <QtCore/qcoreapplication.h>

#include <csignal>
#include <cstdio>
#include <unistd.h>

namespace TaskConductor {

namespace {

constexpr int MaxReportedErrors = 10;

void printError(const QString &message)
{
    std::fflush(stdout);
    std::fprintf(stderr, "taskconductor: %s\n", qPrintable(message));
    std::fflush(stderr);
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

bool RunSession::validate()
{
    if (!m_options.storePath.isEmpty()) {
        m_resume = std::make_unique<ResumePoint>();
        QString error;
        if (!m_resume->open(m_options.storePath, error)) {
            printError(QStringLiteral("--store %1: %2").arg(m_options.storePath, error));
            return false;
        }
    }
    if (!m_options.command.isEmpty()) {
        QString error;
        if (m_resume
            && (m_resume->skipCount() > 1
                || !m_resume->matches(1, TaskDescriptor(m_options.command), error))) {
            printError(QStringLiteral("--store %1: %2")
                               .arg(m_options.storePath,
                                    error.isEmpty() ? QStringLiteral("the store holds a "
                                                                     "different task list")
                                                    : error));
            return false;
        }
        return true;
    }
    if (m_options.taskFile == QLatin1String("-"))
        return true;
    LineReader reader(m_options.broker.maxLineBytes);
    if (!reader.open(m_options.taskFile)) {
        printError(QStringLiteral("%1: cannot open: %2").arg(displayName(), reader.errorString()));
        return false;
    }
    if (!reader.isRegularFile())
        return true; // a pipe cannot be read twice: validated while running
    const TaskFileParser parser(m_options.broker.retry);
    qint64 tasks = 0;
    int errors = 0;
    LineReader::Line line;
    for (;;) {
        const LineReader::Status status = reader.next(line);
        if (status == LineReader::Status::End)
            break;
        // A long file takes seconds to check: let Ctrl-C through now and then.
        if (line.number % 8192 == 0) {
            QCoreApplication::processEvents();
            if (m_signal != 0) {
                printError(QStringLiteral("%1: stopped while validating, nothing was run")
                                   .arg(displayName()));
                return false;
            }
        }
        if (status != LineReader::Status::Line) {
            printError(
                    QStringLiteral("%1: read error: %2").arg(displayName(), reader.errorString()));
            return false;
        }
        QString problem;
        if (line.tooLong) {
            problem = QStringLiteral("line longer than --max-line-bytes (%1)")
                              .arg(m_options.broker.maxLineBytes);
        } else {
            const TaskFileLine parsed = parser.parse(line.bytes, line.number);
            if (parsed.kind == TaskFileLineKind::Task) {
                ++tasks;
                if (m_resume)
                    m_resume->matches(tasks, parsed.task, problem);
            }
            if (problem.isEmpty())
                problem = parsed.error;
        }
        if (!problem.isEmpty() && ++errors <= MaxReportedErrors)
            printError(
                    QStringLiteral("%1:%2: %3").arg(displayName()).arg(line.number).arg(problem));
    }
    if (errors > MaxReportedErrors)
        printError(QStringLiteral("%1: %2 more invalid lines")
                           .arg(displayName())
                           .arg(errors - MaxReportedErrors));
    if (errors == 0 && m_resume && tasks < m_resume->skipCount()) {
        ++errors;
        printError(QStringLiteral("%1: the store %2 holds %3 tasks, the list only %4")
                           .arg(displayName(), m_options.storePath)
                           .arg(m_resume->skipCount())
                           .arg(tasks));
    }
    if (errors > 0) {
        printError(QStringLiteral("%1: invalid task file, nothing was run").arg(displayName()));
        return false;
    }
    m_counts.total = tasks;
    return true;
}

void RunSession::start()
{
    m_clock.start();
    if (m_resume)
        m_options.broker.store = m_resume->store();
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
                &m_counts, [this] { return m_broker ? m_broker->runningCount() : 0; });
    }
    m_printer = std::make_unique<EventPrinter>(m_options.events, m_progress.get());
    // Events reach a pipe as soon as the loop has nothing else to do: live for `jq` or a log
    // shipper, yet one write per batch rather than one per line.
    connect(QAbstractEventDispatcher::instance(), &QAbstractEventDispatcher::aboutToBlock, this,
            [] { std::fflush(stdout); });
    if (m_signal != 0) // interrupted before anything started
        return maybeFinish();
    if (m_progress)
        m_progress->start();

    // Queued: a Broker on a store resumes its unfinished tasks at its first event-loop turn,
    // and the run is not over before that.
    if (!m_options.command.isEmpty()) {
        if (!m_resume)
            m_counts.total = 1;
        TaskFileLine line;
        line.kind = TaskFileLineKind::Task;
        line.task = TaskDescriptor(m_options.command);
        take(line);
        QMetaObject::invokeMethod(this, &RunSession::maybeFinish, Qt::QueuedConnection);
        return;
    }

    if (m_options.taskFile == QLatin1String("-") && ::isatty(STDIN_FILENO) == 1)
        printError(QStringLiteral("reading tasks from the terminal, one JSON object per line; "
                                  "end with Ctrl-D"));
    auto reader = std::make_unique<LineReader>(m_options.broker.maxLineBytes);
    if (!reader->open(m_options.taskFile)) {
        m_inputError =
                QStringLiteral("%1: cannot open: %2").arg(displayName(), reader->errorString());
        return maybeFinish();
    }
    const int window = m_options.broker.maxConcurrentTasks + m_options.broker.maxQueueDepth;
    m_feeder = std::make_unique<TaskFeeder>(*m_broker, std::move(reader),
                                            TaskFileParser(m_options.broker.retry), window,
                                            [this](const TaskFileLine &line) { take(line); });
    connect(m_feeder.get(), &TaskFeeder::invalidLine, this,
            [this](qint64 lineNumber, const QString &error) {
                m_inputError = lineNumber > 0
                        ? QStringLiteral("%1:%2: %3").arg(displayName()).arg(lineNumber).arg(error)
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

void RunSession::take(const TaskFileLine &line)
{
    ++m_ordinal;
    if (!m_resume || m_ordinal > m_resume->skipCount())
        return enqueue(line);
    QString error;
    if (!m_resume->matches(m_ordinal, line.task, error) && m_inputError.isEmpty()) {
        m_inputError =
                QStringLiteral("%1:%2: %3").arg(displayName()).arg(line.lineNumber).arg(error);
        if (m_feeder)
            m_feeder->stop();
    }
}

void RunSession::onResumedEvent(const TaskEvent &event)
{
    if (!m_resumedInFlight.contains(event.taskId()))
        return; // one of ours: its handler has it
    m_counts.count(event);
    m_printer->print(event, m_resume->resumed().value(event.taskId()));
    if (event.isTerminal())
        m_resumedInFlight.remove(event.taskId());
}

void RunSession::enqueue(const TaskFileLine &line)
{
    const QString name = line.task.name();
    m_broker->enqueue(line.task, [this, name](const TaskEvent &event) {
        m_counts.count(event);
        m_printer->print(event, name);
    });
}

void RunSession::interrupt(int signalNumber)
{
    if (m_signal != 0)
        return; // already stopping; the grace period bounds how long that takes
    m_signal = signalNumber;
    if (m_progress)
        m_progress->hide();
    if (signalNumber == SIGPIPE) {
        // Whoever read stdout is gone (`| head`): stop as for Ctrl-C rather than dying on the
        // spot, which would orphan every running task's process group.
        if (m_printer)
            m_printer->silence();
        printError(QStringLiteral("standard output was closed: stopping every task"));
    } else {
        printError(QStringLiteral("signal %1: stopping every task").arg(signalNumber));
    }
    if (m_feeder)
        m_feeder->stop();
    if (m_broker && m_resume) {
        // Destroying the Broker stops every task with the same graceful sequence but records
        // no end for them: they stay unfinished in the store, and the next run resumes them.
        m_feeder.reset();
        const qint64 resumedLeft = m_resumedInFlight.size();
        m_broker.reset(); // our handlers receive `canceled`
        m_counts.canceled += resumedLeft;
        printError(QStringLiteral("--store %1: run the same command again to resume what did "
                                  "not finish")
                           .arg(m_options.storePath));
        return finish();
    }
    if (m_broker) {
        m_broker->cancelAll();
        maybeFinish();
    }
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
    std::fflush(stdout);
    if (!m_inputError.isEmpty())
        printError(m_inputError);
    printError(m_counts.summary(m_clock.elapsed()));

    int status = 0;
    if (m_signal == SIGPIPE)
        status = 128 + SIGPIPE; // what a shell reports for a writer killed by SIGPIPE
    else if (m_signal != 0)
        status = 130;
    else if (!m_inputError.isEmpty())
        status = 2;
    else if (!m_counts.allFinished())
        status = 1;
    Q_EMIT finished(status);
}

} // namespace TaskConductor
