// SPDX-License-Identifier: MIT
#include <taskconductor/logsink.h>

#include <taskconductor/jsonobjectwriter.h>

#include "textescaping_p.h"

#include <QtCore/qstringlist.h>
#include <QtCore/qvarlengtharray.h>

#include <cstring>

namespace TaskConductor {

/*!
    \class TaskConductor::LogEntry
    A LogEntry lives for one dispatch only: it refers to the event instead of copying it, and
    caches each format's line so that the global log, the per-task log, logLineHandler and the
    host's own sinks share one formatting of the event.
*/

namespace {

constexpr qsizetype IsoTimestampSize = 29; // 2026-03-01T14:05:09.042+01:00
constexpr qsizetype PrefixRoom = 160; // an output log line's prefix: timestamp, id, attempt, names

char *writePadded(char *out, int value, int width)
{
    for (int i = width - 1; i >= 0; --i) {
        out[i] = char('0' + value % 10);
        value /= 10;
    }
    return out + width;
}

// ISO 8601 with milliseconds and the UTC offset, e.g. 2026-03-01T14:05:09.042+01:00. Written by
// hand because it runs once per event and QDateTime::toString() parses a pattern each time; the
// last instant is remembered, since many events share a millisecond (a batch's lines all do).
QByteArray isoTimestamp(const QDateTime &timestamp)
{
    thread_local qint64 lastMSecs = 0;
    thread_local int lastOffset = 0;
    thread_local QByteArray lastText;
    const qint64 msecs = timestamp.toMSecsSinceEpoch();
    const int offsetSeconds = timestamp.offsetFromUtc();
    if (!lastText.isEmpty() && msecs == lastMSecs && offsetSeconds == lastOffset)
        return lastText;
    const QDate date = timestamp.date();
    const QTime time = timestamp.time();
    QByteArray text(IsoTimestampSize, Qt::Uninitialized);
    char *out = writePadded(text.data(), date.year(), 4);
    *out++ = '-';
    out = writePadded(out, date.month(), 2);
    *out++ = '-';
    out = writePadded(out, date.day(), 2);
    *out++ = 'T';
    out = writePadded(out, time.hour(), 2);
    *out++ = ':';
    out = writePadded(out, time.minute(), 2);
    *out++ = ':';
    out = writePadded(out, time.second(), 2);
    *out++ = '.';
    out = writePadded(out, time.msec(), 3);
    int offset = offsetSeconds / 60;
    *out++ = offset < 0 ? '-' : '+';
    offset = std::abs(offset);
    out = writePadded(out, offset / 60, 2);
    *out++ = ':';
    writePadded(out, offset % 60, 2);
    lastMSecs = msecs;
    lastOffset = offsetSeconds;
    lastText = text;
    return text;
}

char *writeAscii(char *out, QByteArrayView text)
{
    std::memcpy(out, text.data(), size_t(text.size()));
    return out + text.size();
}

char *writeNumber(char *out, qint64 value)
{
    char digits[24];
    char *const last = digits + 24;
    const char *first = TextEscaping::writeDecimalBefore(last, value);
    return writeAscii(out, QByteArrayView(first, last - first));
}

bool isOutput(EventKind kind)
{
    return kind == EventKind::Stdout || kind == EventKind::Stderr;
}

// \a text narrowed to bytes at \a out (room for text.size()); true when all of it is ASCII.
bool narrowAscii(QStringView text, char *out)
{
    const char16_t *const units = text.utf16();
    char16_t any = 0;
    for (qsizetype i = 0; i < text.size(); ++i) {
        any |= units[i];
        out[i] = char(units[i]);
    }
    return any < 0x80;
}

// What the log line of an output line of \a batch says before the line's escaped bytes: the same
// for every line of a batch, so written once per batch. Text: "<ts> <id> stdout "; JSON Lines:
// the object up to the opening quote of "line" (the members of formatLogLine(), in its order).
char *writeOutputLinePrefix(char *p, LogFormat format, QByteArrayView timestamp,
                            const TaskEvent &batch)
{
    const QByteArrayView kind =
            batch.kind() == EventKind::Stdout ? QByteArrayView("stdout") : QByteArrayView("stderr");
    if (format == LogFormat::JsonLines) {
        p = writeAscii(p, "{\"ts\":\"");
        p = writeAscii(p, timestamp);
        p = writeAscii(p, "\",\"stream\":\"");
        p = writeAscii(p, kind);
        p = writeAscii(p, "\",\"id\":");
        p = writeNumber(p, qint64(batch.taskId()));
        p = writeAscii(p, ",\"event\":\"");
        p = writeAscii(p, kind);
        p = writeAscii(p, "\",\"attempt\":");
        p = writeNumber(p, batch.attempt());
        p = writeAscii(p, ",\"line\":\"");
    } else {
        p = writeAscii(p, timestamp);
        *p++ = ' ';
        p = writeNumber(p, qint64(batch.taskId()));
        *p++ = ' ';
        p = writeAscii(p, kind);
        *p++ = ' ';
    }
    return p;
}

// The log line of one output line, with its '\n', written to \a out from its bytes after
// \a prefix (outputLinePrefix()): byte for byte formatLogLine() of the one-line event, in UTF-8
// (tst_logging compares them). One escaping pass, no string in between.
void writeOutputLogLine(QByteArray &out, LogFormat format, QByteArrayView prefix,
                        QByteArrayView line)
{
    out.resize(prefix.size() + 6 * line.size() + 3); // every byte escaped, at worst
    char *p = out.data();
    std::memcpy(p, prefix.data(), size_t(prefix.size()));
    p += prefix.size();
    if (format == LogFormat::JsonLines) {
        p = TextEscaping::writeEscapedBytes<TextEscaping::Rule::Json>(p, line);
        *p++ = '"';
        *p++ = '}';
    } else {
        p = TextEscaping::writeEscapedBytes<TextEscaping::Rule::Text>(p, line);
    }
    *p++ = '\n';
    out.truncate(p - out.constData());
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
    json.member(u"ts", QStringView(QString::fromLatin1(isoTimestamp(timestamp))));
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
    QString out = QString::fromLatin1(isoTimestamp(timestamp));
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

LogEntry::LogEntry(const TaskEvent &batch, qsizetype line, const QDateTime &timestamp,
                   const QString &perTaskLogPath)
    : m_event(batch)
    , m_timestamp(timestamp)
    , m_perTaskLogPath(perTaskLogPath)
    , m_line(line)
{
    Q_ASSERT(batch.hasLineBytes() && line >= 0 && line < batch.lineCount());
}

LogEntry::~LogEntry() = default;

void LogEntry::setLine(qsizetype line)
{
    Q_ASSERT(m_line >= 0 && line >= 0 && line < m_event.lineCount());
    m_line = line;
    m_lineEvent.reset();
    m_lines[0].reset();
    m_lines[1].reset();
    m_hasUtf8Line[0] = m_hasUtf8Line[1] = false; // the buffers keep their capacity
}

const TaskEvent &LogEntry::event() const
{
    if (m_line < 0)
        return m_event;
    if (!m_lineEvent) {
        m_lineEvent = TaskEvent::output(m_event.taskId(), m_event.attempt(),
                                        m_event.kind() == EventKind::Stdout ? OutputChannel::Stdout
                                                                            : OutputChannel::Stderr,
                                        m_event.lineAt(m_line));
    }
    return *m_lineEvent;
}

QByteArrayView LogEntry::lineBytes() const
{
    return m_line >= 0 ? m_event.lineBytes(m_line) : QByteArrayView();
}

const QByteArray &LogEntry::timestampText() const
{
    if (m_timestampText.isEmpty())
        m_timestampText = isoTimestamp(m_timestamp);
    return m_timestampText;
}

const QString &LogEntry::line(LogFormat format) const
{
    std::optional<QString> &cached = m_lines[format == LogFormat::JsonLines ? 1 : 0];
    if (!cached) {
        if (m_line >= 0 || isOutput(m_event.kind())) {
            // Output is written as bytes first (utf8Line()); its text is those bytes decoded,
            // unless utf8Line() had to go through the text and set it already.
            const QByteArray &utf8 = utf8Line(format);
            if (!cached)
                cached = QString::fromUtf8(utf8.constData(), utf8.size() - 1);
        } else {
            cached = formatLogLine(m_event, m_timestamp, format);
        }
    }
    return *cached;
}

const QByteArray &LogEntry::utf8Line(LogFormat format) const
{
    const int index = format == LogFormat::JsonLines ? 1 : 0;
    QByteArray &cached = m_utf8Lines[index];
    if (m_hasUtf8Line[index])
        return cached;
    m_hasUtf8Line[index] = true;
    if (m_line >= 0) {
        QByteArray &prefix = m_linePrefixes[index]; // the same for every line of the batch
        if (prefix.isEmpty()) {
            prefix.resize(PrefixRoom);
            prefix.truncate(writeOutputLinePrefix(prefix.data(), format, timestampText(), m_event)
                            - prefix.constData());
        }
        writeOutputLogLine(cached, format, prefix, m_event.lineBytes(m_line));
        return cached;
    }
    if (isOutput(m_event.kind())) {
        // A one-line output event whose line is ASCII (most output): the bytes it came from
        // are those characters, so the byte writer gives what the text path would, without
        // the strings in between (they had cost 3,500 instructions per line, callgrind).
        const QString text = m_event.line();
        QVarLengthArray<char, 512> ascii(text.size());
        if (narrowAscii(text, ascii.data())) {
            char prefix[PrefixRoom];
            const char *const end = writeOutputLinePrefix(prefix, format, timestampText(), m_event);
            writeOutputLogLine(cached, format, QByteArrayView(prefix, end - prefix),
                               QByteArrayView(ascii.data(), ascii.size()));
            return cached;
        }
    }
    QString text = formatLogLine(m_event, m_timestamp, format);
    cached = text.toUtf8();
    cached.append('\n');
    m_lines[index] = std::move(text);
    return cached;
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
