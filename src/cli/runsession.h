// SPDX-License-Identifier: MIT
#pragma once

#include "resumepoint.h"
#include "runcounts.h"
#include "runfiles.h"
#include "runoptions.h"
#include "tasknames.h"

#include <QtCore/qelapsedtimer.h>
#include <QtCore/qobject.h>
#include <QtCore/qset.h>

QT_BEGIN_NAMESPACE
class QSocketNotifier;
QT_END_NAMESPACE

#include <memory>

namespace TaskConductor {

class ArgumentProduct;
class Broker;
class EventPrinter;
class LineReader;
class GroupedOutput;
class ResultsDir;
class ProgressBar;
class TaskFeeder;
struct TaskFileLine;

//! One `taskconductor run`: validates the input, feeds it to a Broker, prints events, progress
//! and the summary, and decides the exit status.
class RunSession : public QObject
{
    Q_OBJECT

public:
    explicit RunSession(const RunOptions &options, QObject *parent = nullptr);
    ~RunSession() override;

    //! The first pass over a task file: every line valid? Prints the problems and returns false
    //! if not. Standard input and other streams are validated as they are read instead.
    bool validate();
    //! A signal arrived (during validation, or while running).
    bool wasInterrupted() const { return m_signal != 0; }
    //! Starts running; finished() follows.
    void start();
    //! SIGINT/SIGTERM (SIGHUP, SIGQUIT): reads nothing more, cancels every task (graceful
    //! stop; with a store, the stopped tasks are recorded as interrupted), then finishes with
    //! 130 (129, 131). SIGPIPE (stdout or stderr closed): the same, printing no more events,
    //! status 141. A second signal while stopping kills every task's group at once.
    void interrupt(int signalNumber);

Q_SIGNALS:
    //! Everything ended; the summary was printed.
    void finished(int exitStatus);

private:
    //! Returns the task's id (with --dry-run, its ordinal), which "after" refers to.
    TaskId enqueue(const TaskFileLine &line, QByteArrayView source);
    //! Every event of a task of ours: counts, --results, --halt, then printing (maybe grouped).
    void onTaskEvent(const TaskEvent &event, const TaskDescriptor &task, qint64 ordinal);
    void print(const TaskEvent &event, const QString &name, qint64 ordinal);
    //! --halt reached: read nothing more, cancel what has not started (now: everything).
    void halt();
    //! --dry-run: the task's command instead of running it.
    void printDryRun(const TaskFileLine &line);
    //! A task of the list, in order: skipped when an earlier run accepted it, else enqueued.
    void take(const TaskFileLine &line, QByteArrayView source);
    //! Whether \a task's per-task log is one of the run's own files; \a error says which.
    bool perTaskLogClashes(const TaskDescriptor &task, QString &error) const;
    //! Notices stdout's reader going away while nothing is written (quiet tasks).
    void watchStandardOutput();
    //! Events of tasks the Broker resumed from the store (they have no handler of ours).
    void onResumedEvent(const TaskEvent &event);
    //! Handles a signal that arrived but waits in the self-pipe (before a task may start).
    void stopIfSignaled();
    void maybeFinish();
    void finish();
    QString displayName() const;

    RunOptions m_options;
    RunCounts m_counts;
    std::unique_ptr<Broker> m_broker;
    std::unique_ptr<ProgressBar> m_progress;
    std::unique_ptr<EventPrinter> m_printer;
    std::unique_ptr<TaskFeeder> m_feeder;
    std::unique_ptr<ResumePoint> m_resume; //!< with --store only
    std::unique_ptr<LineReader> m_stream; //!< a stream, opened (once) by validate()
    std::unique_ptr<QSocketNotifier> m_stdoutWatch;
    QList<RunFile> m_files; //!< task file, log, store: never the same file twice
    std::unique_ptr<ArgumentProduct> m_arguments; //!< ":::"/"::::", opened by validate()
    std::unique_ptr<GroupedOutput> m_grouped; //!< --group, --keep-order
    std::unique_ptr<ResultsDir> m_results; //!< --results
    QSet<TaskId> m_inFlight; //!< our tasks that have not ended (for --halt soon)
    QString m_haltReason; //!< set once --halt was reached
    QSet<TaskId> m_resumedInFlight;
    qint64 m_ordinal = 0; //!< tasks of the list seen so far
    TaskNames m_names; //!< for "after", as the tasks are taken
    QElapsedTimer m_clock;
    QString m_inputError; //!< an invalid line met while running (streams only)
    int m_signal = 0;
    bool m_linesValidated = false; //!< validate() checked every line (a regular file)
    bool m_killing = false; //!< a second signal: SIGKILL sent to every group
    bool m_finished = false;
};

} // namespace TaskConductor
