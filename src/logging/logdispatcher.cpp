// SPDX-License-Identifier: MIT
#include "logdispatcher.h"
#include "broker_p.h"
#include "pertasklogsink.h"

#include <taskconductor/rotatingfilesink.h>

#include <exception>

namespace TaskConductor {

namespace {

// logLineHandler: the lines of the global log's format, exactly as the file gets them.
class LineHandlerSink final : public LogSink
{
public:
    LineHandlerSink(std::function<void(const QString &)> handler, LogFormat format)
        : m_handler(std::move(handler))
        , m_format(format)
    { }
    void write(const LogEntry &entry) override { m_handler(entry.line(m_format)); }

private:
    std::function<void(const QString &)> m_handler;
    LogFormat m_format;
};

// extraLogHandler: the event as a value.
class EventHandlerSink final : public LogSink
{
public:
    explicit EventHandlerSink(std::function<void(const TaskEvent &)> handler)
        : m_handler(std::move(handler))
    { }
    void write(const LogEntry &entry) override { m_handler(entry.event()); }

private:
    std::function<void(const TaskEvent &)> m_handler;
};

template<typename Call> void guarded(const char *what, Call &&call)
{
    // Qt is not exception-safe: a throwing sink must not unwind through the event loop.
    try {
        call();
    } catch (const std::exception &e) {
        qCWarning(lcBroker, "a log sink threw in %s: %s", what, e.what());
    } catch (...) {
        qCWarning(lcBroker, "a log sink threw in %s", what);
    }
}

} // namespace

LogDispatcher::LogDispatcher(const BrokerConfig &config,
                             std::function<void(const QString &)> reportError, QObject *timerOwner)
    : m_flushTimer(new QTimer(timerOwner))
{
    if (!config.globalLogPath.isEmpty())
        m_sinks.push_back(std::make_shared<RotatingFileSink>(config.globalLogPath, config.logFormat,
                                                             config.logRotationBytes,
                                                             config.logRotationBackups));
    m_perTaskLogs = std::make_shared<PerTaskLogSink>(config.logFormat);
    m_sinks.push_back(m_perTaskLogs);
    if (config.logLineHandler)
        m_sinks.push_back(
                std::make_shared<LineHandlerSink>(config.logLineHandler, config.logFormat));
    if (config.extraLogHandler)
        m_sinks.push_back(std::make_shared<EventHandlerSink>(config.extraLogHandler));
    for (const auto &sink : config.logSinks) {
        if (sink)
            m_sinks.push_back(sink);
    }
    for (const auto &sink : m_sinks)
        sink->setErrorReporter(reportError);

    m_flushTimer->setSingleShot(true);
    m_flushTimer->setInterval(FlushIntervalMs);
    QObject::connect(m_flushTimer, &QTimer::timeout, m_flushTimer, [this] { flush(); });
}

LogDispatcher::~LogDispatcher()
{
    if (m_destroyedFlag)
        *m_destroyedFlag = true;
    delete m_flushTimer;
    m_flushTimer = nullptr;
    for (const auto &sink : m_sinks)
        guarded("flush", [&] { sink->flush(); });
    for (const auto &sink : m_sinks)
        sink->setErrorReporter({}); // a host's sink may outlive the Broker
}

void LogDispatcher::taskAccepted(TaskId id, const TaskDescriptor &task)
{
    if (!task.perTaskLogPath().isEmpty()) {
        m_perTaskLogPaths.insert(id, task.perTaskLogPath());
        m_perTaskLogs->taskAccepted(id, task.perTaskLogPath());
    }
}

void LogDispatcher::dispatch(const TaskEvent &event)
{
    // The per-task sink is always there, the others only when configured. With no other sink
    // and no log for this task nothing would be written: skip building the entry (timestamp,
    // lookups), which cost 410 instructions per output line (callgrind, bench_host).
    if (m_sinks.size() == 1 && !m_perTaskLogPaths.contains(event.taskId()))
        return;
    // A handler called by a sink may destroy the Broker, and this dispatcher with it.
    bool destroyed = false;
    bool *const outer = std::exchange(m_destroyedFlag, &destroyed);
    if (event.hasLineBytes()) {
        // A batch: the sinks still get one entry (one log line) per output line, all with the
        // batch's time (its lines came in one read), each written from its bytes. The one
        // entry moves from line to line, so a line costs no allocation unless a sink asks for
        // text (logLineHandler, extraLogHandler, a host's sink calling event() or line()).
        const std::vector<std::shared_ptr<LogSink>> sinks = m_sinks; // may go with the Broker
        LogEntry entry(event, 0, logTimestampNow(), m_perTaskLogPaths.value(event.taskId()));
        for (qsizetype line = 0, count = event.lineCount(); line < count; ++line) {
            if (line > 0)
                entry.setLine(line);
            for (const std::shared_ptr<LogSink> &sink : sinks) {
                guarded("write", [&] { sink->write(entry); });
                if (destroyed) {
                    if (outer)
                        *outer = true;
                    return;
                }
            }
        }
    } else {
        const LogEntry entry(event, logTimestampNow(), m_perTaskLogPaths.value(event.taskId()));
        for (size_t i = 0; i < m_sinks.size(); ++i) {
            const std::shared_ptr<LogSink> sink = m_sinks[i];
            guarded("write", [&] { sink->write(entry); });
            if (destroyed) {
                if (outer)
                    *outer = true;
                return;
            }
        }
    }
    m_destroyedFlag = outer;
    if (event.isTerminal()) {
        m_perTaskLogPaths.remove(event.taskId());
        flush();
    } else if (!m_flushTimer->isActive()) {
        m_flushTimer->start();
    }
}

void LogDispatcher::flush()
{
    m_flushTimer->stop();
    for (const auto &sink : m_sinks)
        guarded("flush", [&] { sink->flush(); });
}

} // namespace TaskConductor
