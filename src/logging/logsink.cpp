// SPDX-License-Identifier: MIT
#include <taskconductor/logsink.h>

#include <taskconductor/jsonobjectwriter.h>

#include <QtCore/qstringlist.h>

namespace TaskConductor {

/*!
    \class TaskConductor::LogEntry
    A LogEntry lives for one dispatch only: it refers to the event instead of copying it, and
    caches each format's line so that the global log, the per-task log, logLineHandler and the
    host's own sinks share one formatting of the event.
*/

namespace {

void appendPadded(QString &out, int value, int width)
{
    QChar digits[8];
    for (int i = width - 1; i >= 0; --i) {
        digits[i] = QChar(u'0' + value % 10);
        value /= 10;
    }
    out.append(digits, width);
}

// ISO 8601 with milliseconds and the UTC offset, e.g. 2026-03-01T14:05:09.042+01:00. Written by
// hand because it runs once per event and QDateTime::toString() parses a pattern each time.
QString isoTimestamp(const QDateTime &timestamp)
{
    const QDate date = timestamp.date();
    const QTime time = timestamp.time();
    QString out;
    out.reserve(29);
    appendPadded(out, date.year(), 4);
    out.append(u'-');
    appendPadded(out, date.month(), 2);
    out.append(u'-');
    appendPadded(out, date.day(), 2);
    out.append(u'T');
    appendPadded(out, time.hour(), 2);
    out.append(u':');
    appendPadded(out, time.minute(), 2);
    out.append(u':');
    appendPadded(out, time.second(), 2);
    out.append(u'.');
    appendPadded(out, time.msec(), 3);
    int offset = timestamp.offsetFromUtc() / 60;
    out.append(offset < 0 ? u'-' : u'+');
    offset = std::abs(offset);
    appendPadded(out, offset / 60, 2);
    out.append(u':');
    appendPadded(out, offset % 60, 2);
    return out;
}

} // namespace

QDateTime logTimestampNow()
{
    // QDateTime::currentDateTime() converts through the time zone database on every call
    // (glibc stats /etc/localtime each time); at many thousand events a second that dominates.
    thread_local qint64 offsetValidUntil = 0;
    thread_local int offsetSeconds = 0;
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    if (now >= offsetValidUntil || now < offsetValidUntil - 2000) {
        offsetSeconds = QDateTime::fromMSecsSinceEpoch(now).offsetFromUtc();
        offsetValidUntil = now + 1000;
    }
    return QDateTime::fromMSecsSinceEpoch(now, Qt::OffsetFromUTC, offsetSeconds);
}

namespace {

// TaskEvent::toJson()'s members, with "ts" first and, for output, "stream".
QString jsonLine(const TaskEvent &event, const QDateTime &timestamp)
{
    QString out;
    out.reserve(96 + event.line().size());
    JsonObjectWriter json(out);
    json.member(u"ts", QStringView(isoTimestamp(timestamp)));
    if (event.kind() == EventKind::Stdout || event.kind() == EventKind::Stderr)
        json.member(u"stream", QStringView(TaskEvent::kindName(event.kind())));
    json.eventMembers(event);
    json.finish();
    return out;
}

} // namespace

QString formatLogLine(const TaskEvent &event, const QDateTime &timestamp, LogFormat format)
{
    if (format == LogFormat::JsonLines)
        return jsonLine(event, timestamp);
    QString out = isoTimestamp(timestamp);
    out.reserve(out.size() + event.line().size() + 64);
    out.append(u' ');
    out.append(QString::number(event.taskId()));
    out.append(u' ');
    out.append(TaskEvent::kindName(event.kind()));
    out.append(u' ');
    appendEventDetails(out, event);
    return out;
}

LogEntry::LogEntry(const TaskEvent &event, const QDateTime &timestamp,
                   const QString &perTaskLogPath)
    : m_event(event)
    , m_timestamp(timestamp)
    , m_perTaskLogPath(perTaskLogPath)
{ }

const QString &LogEntry::line(LogFormat format) const
{
    std::optional<QString> &cached = m_lines[format == LogFormat::JsonLines ? 1 : 0];
    if (!cached)
        cached = formatLogLine(m_event, m_timestamp, format);
    return *cached;
}

const QByteArray &LogEntry::utf8Line(LogFormat format) const
{
    std::optional<QByteArray> &cached = m_utf8Lines[format == LogFormat::JsonLines ? 1 : 0];
    if (!cached) {
        cached = line(format).toUtf8();
        cached->append('\n');
    }
    return *cached;
}

LogSink::~LogSink() = default;

void LogSink::setErrorReporter(std::function<void(const QString &)> reporter)
{
    m_errorReporter = std::move(reporter);
}

void LogSink::reportError(const QString &message) const
{
    if (m_errorReporter)
        m_errorReporter(message);
}

} // namespace TaskConductor
