// SPDX-License-Identifier: MIT
#include "taskfeeder.h"

#include <taskconductor/broker.h>

namespace TaskConductor {

TaskFeeder::TaskFeeder(Broker &broker, std::unique_ptr<LineReader> reader,
                       const TaskFileParser &parser, int window, Enqueue enqueue, QObject *parent)
    : QObject(parent)
    , m_broker(broker)
    , m_reader(std::move(reader))
    , m_parser(parser)
    , m_window(qMax(1, window))
    , m_enqueue(std::move(enqueue))
{
    connect(m_reader.get(), &LineReader::readable, this, &TaskFeeder::feed);
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
    m_reader.reset(); // closes the file now: nothing more is read
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
        return m_broker.runningCount() + m_broker.pendingCount() + m_broker.retryWaitingCount();
    };
    while (!m_done && inFlight() < m_window) {
        LineReader::Line line;
        const LineReader::Status status = m_reader->next(line);
        if (status == LineReader::Status::NeedMore)
            break;
        if (status == LineReader::Status::End) {
            finish();
            break;
        }
        if (status == LineReader::Status::Error) {
            Q_EMIT invalidLine(0, QStringLiteral("read error: %1").arg(m_reader->errorString()));
            finish();
            break;
        }
        if (line.tooLong) {
            Q_EMIT invalidLine(line.number, QStringLiteral("line longer than --max-line-bytes"));
            finish();
            break;
        }
        const TaskFileLine parsed = m_parser.parse(line.bytes, line.number);
        if (parsed.kind == TaskFileLineKind::Invalid) {
            Q_EMIT invalidLine(parsed.lineNumber, parsed.error);
            finish();
            break;
        }
        if (parsed.kind == TaskFileLineKind::Task)
            m_enqueue(parsed, line.bytes);
    }
    m_feeding = false;
}

} // namespace TaskConductor
