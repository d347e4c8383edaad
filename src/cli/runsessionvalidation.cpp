// SPDX-License-Identifier: MIT
// RunSession before it runs: the files it was given, the store to resume, the whole task file.
#include "runsession.h"
#include "runsession_p.h"

#include "argumentsource.h"
#include "commandtemplate.h"
#include "linereader.h"
#include "resultsdir.h"
#include "taskfileparser.h"

#include <QtCore/qcoreapplication.h>

namespace TaskConductor {

namespace {

constexpr int MaxReportedErrors = 10;

} // namespace

bool RunSession::validate()
{
    // Two roles on one file would overwrite or feed back into each other: refused before
    // anything is created or written.
    if (m_options.taskFile != QLatin1String("-") && m_options.command.isEmpty())
        m_files.append(RunFile::identify(QStringLiteral("the task file"), m_options.taskFile));
    if (!m_options.broker.globalLogPath.isEmpty())
        m_files.append(RunFile::identify(QStringLiteral("--log"), m_options.broker.globalLogPath));
    if (!m_options.storePath.isEmpty() && !m_options.dryRun) {
        for (const char *suffix : { "", "-wal", "-shm", "-journal", ".lock" })
            m_files.append(RunFile::identify(QStringLiteral("--store"),
                                             m_options.storePath + QLatin1String(suffix)));
    }
    if (const QString clash = sameFileError(m_files); !clash.isEmpty()) {
        printError(clash);
        return false;
    }
    if (!m_options.resultsDirectory.isEmpty() && !m_options.dryRun) {
        m_results = std::make_unique<ResultsDir>(m_options.resultsDirectory);
        QString error;
        if (!m_results->open(error)) {
            printError(error);
            return false;
        }
    }
    if (!m_options.storePath.isEmpty() && !m_options.dryRun) {
        m_resume = std::make_unique<ResumePoint>();
        QString error;
        if (!m_resume->open(m_options.storePath, m_options.fresh, error)) {
            printError(QStringLiteral("--store %1: %2").arg(m_options.storePath, error));
            return false;
        }
    }
    if (!m_options.argumentSources.isEmpty()) {
        const CommandTemplate command(m_options.command);
        if (command.highestSourceIndex() > m_options.argumentSources.size()) {
            printError(QStringLiteral("{%1} in the command, but %2 argument source%3")
                               .arg(command.highestSourceIndex())
                               .arg(m_options.argumentSources.size())
                               .arg(m_options.argumentSources.size() == 1 ? QString()
                                                                          : QStringLiteral("s")));
            return false;
        }
        m_arguments = std::make_unique<ArgumentProduct>(m_options.argumentSources,
                                                        m_options.maxTaskLineBytes);
        if (!m_arguments->open()) {
            printError(m_arguments->errorString());
            return false;
        }
        m_counts.total = m_arguments->total();
        return true;
    }
    if (!m_options.command.isEmpty()) {
        QString error;
        if (m_resume
            && (m_resume->skipCount() > 1
                || !m_resume->matches(1, TaskDescriptor(m_options.command),
                                      m_options.command.join(QChar(0)).toUtf8(), error))) {
            printError(QStringLiteral("--store %1: %2")
                               .arg(m_options.storePath,
                                    error.isEmpty() ? QStringLiteral("the store holds a "
                                                                     "different task list")
                                                    : error));
            return false;
        }
        return true;
    }
    auto reader = std::make_unique<LineReader>(m_options.maxTaskLineBytes);
    if (!reader->open(m_options.taskFile)) {
        printError(QStringLiteral("%1: cannot open: %2").arg(displayName(), reader->errorString()));
        return false;
    }
    if (!reader->isRegularFile()) {
        // A pipe, FIFO or device cannot be read twice: it is read once, while running, and
        // validated as it is read.
        m_stream = std::move(reader);
        return true;
    }
    const TaskFileParser parser(m_options.broker.retry);
    TaskNames names; // task k of the list is task id k (see ResumePoint)
    qint64 tasks = 0;
    int errors = 0;
    bool compareWithStore = m_resume != nullptr; // until the first changed line
    LineReader::Line line;
    for (;;) {
        const LineReader::Status status = reader->next(line);
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
                    QStringLiteral("%1: read error: %2").arg(displayName(), reader->errorString()));
            return false;
        }
        QString problem;
        if (line.tooLong) {
            problem = QStringLiteral("line longer than --max-task-line-bytes (%1)")
                              .arg(m_options.maxTaskLineBytes);
        } else {
            const TaskFileLine parsed = parser.parse(line.bytes, line.number);
            if (parsed.kind == TaskFileLineKind::Task) {
                ++tasks;
                if (compareWithStore && !m_resume->matches(tasks, parsed.task, line.bytes, problem))
                    compareWithStore = false;
                if (problem.isEmpty())
                    perTaskLogClashes(parsed.task, problem);
                if (problem.isEmpty())
                    names.resolve(parsed.after, problem);
                if (problem.isEmpty())
                    names.check(parsed.task.name(), problem);
                names.add(parsed.task.name(), TaskId(tasks));
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
    m_linesValidated = true;
    return true;
}

bool RunSession::perTaskLogClashes(const TaskDescriptor &task, QString &error) const
{
    if (task.perTaskLogPath().isEmpty() || m_files.isEmpty())
        return false;
    QList<RunFile> files = m_files;
    files.prepend(RunFile::identify(QStringLiteral("the task's \"log\""), task.perTaskLogPath()));
    error = sameFileError(files);
    return !error.isEmpty();
}

} // namespace TaskConductor
