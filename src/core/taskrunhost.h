// SPDX-License-Identifier: MIT
#pragma once

#include <taskconductor/broker.h>
#include <taskconductor/executor.h>

#include <QtCore/qloggingcategory.h>

#include <memory>

Q_DECLARE_LOGGING_CATEGORY(lcBroker)

namespace TaskConductor {

class TaskRun;

//! What a TaskRun needs of the scheduler that runs it, and all it may tell it (the Broker
//! implements it). Calls come in the Broker's thread; publish() may destroy the Broker, which
//! then detaches its runs (TaskRun::detach()) before its destructor returns.
class TaskRunHost
{
public:
    virtual ~TaskRunHost() = default;
    //! Delivers \a event to \a handler, the logs, the store and the signals.
    virtual void publish(const TaskEventHandler &handler, const TaskEvent &event) = 0;
    //! \a run moved from \a from to \a to (the counts, its lane's included, follow).
    virtual void runStateChanged(TaskRun *run, TaskState from, TaskState to) = 0;
    //! \a run's retry delay elapsed: it waits for a slot (then TaskRun::launch()).
    virtual void runWantsSlot(TaskRun *run) = 0;
    //! A run gave its slot back without ending (it waits to retry).
    virtual void runFreedSlot() = 0;
    //! \a run delivered its terminal event: forget it (deleteLater), reschedule.
    virtual void runEnded(TaskRun *run) = 0;
    //! Uniform in [0, 1), for the retry jitter.
    virtual double nextRandom() = 0;
    //! A new process for one attempt, from the Broker's executor session.
    virtual std::unique_ptr<TaskProcess> createProcess(TaskProcessObserver *observer) = 0;
    //! A chunk of task \a id's output as the process wrote it (BrokerConfig::rawOutputHandler).
    virtual void rawOutput(TaskId id, int attempt, OutputChannel channel, QByteArrayView chunk) = 0;
};

} // namespace TaskConductor
