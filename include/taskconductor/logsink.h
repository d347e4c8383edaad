// SPDX-License-Identifier: MIT
#pragma once

#include <taskconductor/eventtext.h>
#include <taskconductor/taskconductor_export.h>
#include <taskconductor/taskevent.h>
#include <taskconductor/types.h>

#include <QtCore/qdatetime.h>
#include <QtCore/qstring.h>

#include <functional>
#include <optional>

namespace TaskConductor {

//! The pure formatter behind every log line. Text: "<ts> <id> <event> <details>" with the
//! timestamp as ISO 8601 with milliseconds and UTC offset and the details escaped by the one
//! escaping rule (appendEventDetails(), eventtext.h), so that one event is always one physical
//! line that cannot drive a terminal. JSON Lines: one compact object with "ts" and "stream"
//! added to TaskEvent::toJson() (JsonObjectWriter).
//! The result never contains a line break and has none appended.
TASKCONDUCTOR_EXPORT QString formatLogLine(const TaskEvent &event, const QDateTime &timestamp,
                                           LogFormat format);
//! The local time with its UTC offset, for log timestamps. Cheap: the offset is looked up at
//! most once a second (a DST change shows up within a second), not per event.
TASKCONDUCTOR_EXPORT QDateTime logTimestampNow();

//! One event as the sinks see it: the event, the time it was published, the per-task log path
//! of its task, and its formatted lines. Each format is computed at most once and then shared
//! by every sink, so no event is formatted twice.
class TASKCONDUCTOR_EXPORT LogEntry
{
public:
    LogEntry(const TaskEvent &event, const QDateTime &timestamp, const QString &perTaskLogPath);
    LogEntry(const LogEntry &) = delete;
    LogEntry &operator=(const LogEntry &) = delete;

    const TaskEvent &event() const { return m_event; }
    QDateTime timestamp() const { return m_timestamp; }
    //! TaskDescriptor::perTaskLogPath() of the event's task (empty: none).
    QString perTaskLogPath() const { return m_perTaskLogPath; }
    //! The line in \a format, without a line break; formatted on the first call.
    const QString &line(LogFormat format) const;
    //! line(format) in UTF-8 with a trailing '\n': what file sinks append.
    const QByteArray &utf8Line(LogFormat format) const;

private:
    const TaskEvent &m_event;
    QDateTime m_timestamp;
    QString m_perTaskLogPath;
    mutable std::optional<QString> m_lines[2];
    mutable std::optional<QByteArray> m_utf8Lines[2];
};

//! Receives every event of a Broker once, in order, in the Broker's thread, after the
//! enqueue's own handler. Implementations must not block for long and must not throw
//! (a throwing sink is logged and skipped). A sink may be shared by several Brokers only if it
//! is used from one thread.
class TASKCONDUCTOR_EXPORT LogSink
{
public:
    virtual ~LogSink();

    //! One event; buffering is allowed, as long as flush() writes it out.
    virtual void write(const LogEntry &entry) = 0;
    //! Writes out what is buffered. The Broker calls it after every terminal event, at least
    //! every ~200 ms while something was written, and when it is destroyed.
    virtual void flush() { }

    //! Installed by the Broker: where reportError() sends its message (a non-terminal
    //! internalError with task id 0).
    void setErrorReporter(std::function<void(const QString &message)> reporter);

protected:
    //! Reports a problem of this sink. Sinks report a failure once, not once per line, and
    //! report again only after they have recovered and failed anew.
    void reportError(const QString &message) const;

private:
    std::function<void(const QString &message)> m_errorReporter;
};

} // namespace TaskConductor
