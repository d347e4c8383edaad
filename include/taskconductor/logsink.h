// SPDX-License-Identifier: MIT
#pragma once

#include <taskconductor/eventtext.h>
#include <taskconductor/taskconductor_export.h>
#include <taskconductor/taskevent.h>
#include <taskconductor/types.h>

#include <QtCore/qbytearray.h>
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
//! An entry may also stand for one line of an output batch (TaskEvent::hasLineBytes()): the
//! sinks still see one entry per line, but its log lines are written straight from the line's
//! bytes (one escaping pass, no QString), and a one-line TaskEvent is made only for a sink that
//! asks for event() or line(): that is where a sink pays per line.
class TASKCONDUCTOR_EXPORT LogEntry
{
public:
    LogEntry(const TaskEvent &event, const QDateTime &timestamp, const QString &perTaskLogPath);
    //! The entry of line \a line of \a batch (an output batch, TaskEvent::hasLineBytes()), which
    //! must outlive it: everything it gives is what the entry of the one-line event
    //! TaskEvent::output(id, attempt, channel, batch.lineAt(line)) would give, byte for byte.
    LogEntry(const TaskEvent &batch, qsizetype line, const QDateTime &timestamp,
             const QString &perTaskLogPath);
    LogEntry(const LogEntry &) = delete;
    LogEntry &operator=(const LogEntry &) = delete;
    ~LogEntry();

    //! The event; for a batch line, that line as a one-line output event, made on the first call.
    const TaskEvent &event() const;
    //! event().kind() and event().taskId(), without making a batch line's event.
    EventKind kind() const { return m_event.kind(); }
    TaskId taskId() const { return m_event.taskId(); }
    QDateTime timestamp() const { return m_timestamp; }
    //! TaskDescriptor::perTaskLogPath() of the event's task (empty: none).
    QString perTaskLogPath() const { return m_perTaskLogPath; }
    //! The line in \a format, without a line break; formatted on the first call.
    const QString &line(LogFormat format) const;
    //! line(format) in UTF-8 with a trailing '\n': what file sinks append. For a batch line,
    //! written from its bytes, without line().
    const QByteArray &utf8Line(LogFormat format) const;

    //! True for the entry of a batch line: lineBytes() holds the line.
    bool hasLineBytes() const { return m_line >= 0; }
    //! A batch line's bytes as the process wrote them (valid as long as the batch); else empty.
    QByteArrayView lineBytes() const;
    //! Makes this entry of a batch line the entry of line \a line of the same batch, with the
    //! same timestamp and path, keeping the buffers its lines are written into: what the Broker
    //! does, one entry per batch, no allocation per line. Only between two sinks' calls.
    void setLine(qsizetype line);

private:
    const QByteArray &timestampText() const;

    const TaskEvent &m_event; // the event, or the batch
    QDateTime m_timestamp;
    QString m_perTaskLogPath;
    qsizetype m_line = -1; // the batch line this entry stands for; -1: not a batch
    mutable std::optional<TaskEvent> m_lineEvent; // a batch line's event, once asked for
    mutable std::optional<QString> m_lines[2];
    mutable QByteArray m_utf8Lines[2];
    mutable bool m_hasUtf8Line[2] = { false, false };
    mutable QByteArray m_timestampText; // ISO 8601, once per entry (per batch)
    mutable QByteArray m_linePrefixes[2]; // a batch line's log line up to its text, per format
};

//! Receives every event of a Broker once, in order, in the Broker's thread, after the
//! enqueue's own handler. Implementations must not block for long and must not throw
//! (a throwing sink is logged and skipped). A sink may be shared by several Brokers only if it
//! is used from one thread.
class TASKCONDUCTOR_EXPORT LogSink
{
public:
    virtual ~LogSink();

    //! One event, or one line of an output batch (LogEntry::hasLineBytes()); buffering is
    //! allowed, as long as flush() writes it out. \a entry is valid during the call only.
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
