// SPDX-License-Identifier: MIT
#include "taskfeeder.h"

#include <taskconductor/broker.h>

namespace TaskConductor {

TaskFeeder::TaskFeeder(Broker &broker, std::unique_ptr<TaskSource> source, int window,
                       Enqueue enqueue, QObject *parent)
    : QObject(parent)
    , m_broker(broker)
    , m_source(std::move(source))
    , m_window(qMax(1, window))
    , m_enqueue(std::move(enqueue))
{
    connect(m_source.get(), &TaskSource::readable, this, &TaskFeeder::feed);
    // Queued and coalesced: the Broker emits countsChanged in the middle of its own scheduling.
    connect(&m_broker, &Broker::countsChanged, this, [this] {
        if (m_feedPosted)
            return;
        m_feedPosted = true;
        QMetaObject::invokeMethod(
                this,
                [this] {
                    m_feedPosted = false;
                    feed();
                },
                Qt::QueuedConnection);
    });
}

TaskFeeder::~TaskFeeder() = default;

void TaskFeeder::start()
{
    feed();
}

void TaskFeeder::stop()
{
    finish();
}

void TaskFeeder::finish()
{
    if (m_done)
        return;
    m_done = true;
    m_source.reset(); // closes the file now: nothing more is read
    Q_EMIT done();
}

void TaskFeeder::feed()
{
    // enqueue() may change the counts at once, which calls feed() again: the loop below
    // already takes care of that.
    if (m_feeding || m_done)
        return;
    m_feeding = true;
    const auto inFlight = [this] {
        return m_broker.runningCount() + m_broker.pendingCount() + m_broker.blockedCount()
                + m_broker.retryWaitingCount();
    };
    while (!m_done && inFlight() < m_window) {
        TaskFileLine line;
        QByteArray source;
        const TaskSource::Status status = m_source->next(line, source);
        if (status == TaskSource::Status::NeedMore)
            break;
        if (status == TaskSource::Status::End) {
            finish();
            break;
        }
        if (status == TaskSource::Status::Invalid) {
            Q_EMIT invalidLine(line.lineNumber, line.error);
            finish();
            break;
        }
        m_enqueue(line, source);
    }
    m_feeding = false;
}

} // namespace TaskConductor
