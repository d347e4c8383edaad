// SPDX-License-Identifier: MIT
#pragma once

#include "resumepoint.h"
#include "runcounts.h"
#include "runoptions.h"

#include <QtCore/qelapsedtimer.h>
#include <QtCore/qobject.h>
#include <QtCore/qset.h>

#include <memory>

namespace TaskConductor {

class Broker;
class EventPrinter;
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
    //! SIGINT/SIGTERM: reads nothing more, cancels every task (graceful stop), then finishes
    //! with 130. SIGPIPE (stdout closed): the same, printing no more events, status 141.
    void interrupt(int signalNumber);

Q_SIGNALS:
    //! Everything ended; the summary was printed.
    void finished(int exitStatus);

private:
    void enqueue(const TaskFileLine &line);
    //! A task of the list, in order: skipped when an earlier run accepted it, else enqueued.
    void take(const TaskFileLine &line);
    //! Events of tasks the Broker resumed from the store (they have no handler of ours).
    void onResumedEvent(const TaskEvent &event);
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
    QSet<TaskId> m_resumedInFlight;
    qint64 m_ordinal = 0; //!< tasks of the list seen so far
    QElapsedTimer m_clock;
    QString m_inputError; //!< an invalid line met while running (streams only)
    int m_signal = 0;
    bool m_finished = false;
};

} // namespace TaskConductor
