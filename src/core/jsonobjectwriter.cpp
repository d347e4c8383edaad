// SPDX-License-Identifier: MIT
#include <taskconductor/jsonobjectwriter.h>

#include "outputlines_p.h"
#include "textescaping_p.h"

#include <cstring>

#include <algorithm>

namespace TaskConductor {

JsonObjectWriter::JsonObjectWriter(QString &out)
    : m_out(out)
    , m_end(out.size())
    , m_size(out.size())
{
    put(u"{");
}

JsonObjectWriter::~JsonObjectWriter()
{
    m_out.resize(m_end);
}

char16_t *JsonObjectWriter::room(qsizetype count)
{
    if (m_end + count > m_size) {
        m_size = std::max(m_end + count, 2 * m_size + 128);
        m_out.resize(m_size);
        m_data = reinterpret_cast<char16_t *>(m_out.data());
    }
    return m_data + m_end;
}

void JsonObjectWriter::put(QStringView text)
{
    std::copy(text.utf16(), text.utf16() + text.size(), room(text.size()));
    m_end += text.size();
}

void JsonObjectWriter::key(QStringView key)
{
    char16_t *out = room(key.size() + 4);
    char16_t *const begin = out;
    if (!m_first)
        *out++ = u',';
    m_first = false;
    *out++ = u'"';
    out = std::copy(key.utf16(), key.utf16() + key.size(), out);
    *out++ = u'"';
    *out++ = u':';
    m_end += out - begin;
}

namespace {

// One unit the JSON strings escape, written at \a out; returns the end. The one JSON rule: the
// text writer and the byte-level one (appendString()) both use it.
char16_t *escapeJson(char16_t c, char16_t *out)
{
    *out++ = u'\\';
    switch (c) {
    case u'"':
    case u'\\':
        *out++ = c;
        return out;
    case u'\n':
        *out++ = u'n';
        return out;
    case u'\r':
        *out++ = u'r';
        return out;
    case u'\t':
        *out++ = u't';
        return out;
    }
    // The rest of the one escaping rule: still one physical line, inert on a terminal.
    static constexpr char16_t hex[] = u"0123456789abcdef";
    *out++ = u'u';
    *out++ = hex[(c >> 12) & 0xf];
    *out++ = hex[(c >> 8) & 0xf];
    *out++ = hex[(c >> 4) & 0xf];
    *out++ = hex[c & 0xf];
    return out;
}

constexpr bool isSafeJsonAscii(char16_t c)
{
    return c >= 0x20 && c != u'"' && c != u'\\' && c != 0x7f;
}

// \a text as a JSON string with its quotes at \a out (room for 6 * size + 2); returns the end.
char16_t *writeJsonString(char16_t *out, QStringView text)
{
    *out++ = u'"';
    const char16_t *const units = text.utf16();
    for (qsizetype i = 0; i < text.size(); ++i) {
        const char16_t c = units[i];
        if (c < 0x80 ? isSafeJsonAscii(c)
                     : !TextEscaping::isUnsafe(c)
                            && (!TextEscaping::isSurrogate(c)
                                || !TextEscaping::isLoneSurrogate(text, i))) {
            *out++ = c;
            continue;
        }
        out = escapeJson(c, out);
    }
    *out++ = u'"';
    return out;
}

} // namespace

void JsonObjectWriter::string(QStringView text)
{
    // Worst case: every character escaped as \uXXXX.
    char16_t *const begin = room(6 * text.size() + 2);
    m_end += writeJsonString(begin, text) - begin;
}

char *TextEscaping::writeJsonEscape(char *out, uchar c)
{
    char16_t sequence[6];
    const char16_t *const end = escapeJson(c, sequence);
    for (const char16_t *p = sequence; p != end; ++p)
        *out++ = char(*p);
    return out;
}

char *TextEscaping::writeDecodedJson(char *out, QByteArrayView utf8)
{
    const QString text = TaskEvent::decodeLine(utf8);
    QString json(6 * text.size() + 2, Qt::Uninitialized);
    char16_t *const begin = reinterpret_cast<char16_t *>(json.data());
    json.truncate(writeJsonString(begin, text) - begin);
    const QByteArray encoded = json.toUtf8(); // at most 6 bytes per input byte, + 2
    // Without the quotes: the caller writes those.
    std::memcpy(out, encoded.constData() + 1, size_t(encoded.size() - 2));
    return out + encoded.size() - 2;
}

char *JsonObjectWriter::writeString(char *out, QByteArrayView utf8)
{
    *out++ = '"';
    out = TextEscaping::writeEscapedBytes<TextEscaping::Rule::Json>(out, utf8);
    *out++ = '"';
    return out;
}

void JsonObjectWriter::appendString(QByteArray &out, QByteArrayView utf8)
{
    const qsizetype start = out.size();
    out.resize(start + 6 * utf8.size() + 2);
    out.truncate(writeString(out.data() + start, utf8) - out.constData());
}

void JsonObjectWriter::member(QStringView name, qint64 value)
{
    key(name);
    char16_t digits[24];
    char16_t *const last = digits + 24;
    const char16_t *first = TextEscaping::writeDecimalBefore(last, value);
    put(QStringView(first, last));
}

void JsonObjectWriter::member(QStringView name, bool value)
{
    key(name);
    put(value ? QStringView(u"true") : QStringView(u"false"));
}

void JsonObjectWriter::member(QStringView name, QStringView value)
{
    key(name);
    string(value);
}

void JsonObjectWriter::member(QStringView name, const QString &value)
{
    if (value.isNull()) {
        key(name);
        put(u"null");
    } else {
        member(name, QStringView(value));
    }
}

void JsonObjectWriter::finish()
{
    put(u"}");
    m_out.resize(m_end);
    m_size = m_end;
}

void JsonObjectWriter::eventMembers(const TaskEvent &event)
{
    member(u"id", qint64(event.taskId()));
    member(u"event", QStringView(TaskEvent::kindName(event.kind())));
    member(u"attempt", qint64(event.attempt()));
    switch (event.kind()) {
    case EventKind::Started: {
        key(u"command");
        put(u"[");
        const QStringList command = event.command();
        for (qsizetype i = 0; i < command.size(); ++i) {
            if (i > 0)
                put(u",");
            string(command.at(i));
        }
        put(u"]");
        member(u"workdir", QStringView(event.workingDirectory()));
        member(u"priority", qint64(event.priority()));
        member(u"lane", QStringView(event.lane()));
        break;
    }
    case EventKind::Stdout:
    case EventKind::Stderr:
        member(u"line", QStringView(event.line()));
        break;
    case EventKind::Finished:
    case EventKind::Failed:
        member(u"exitCode", qint64(event.exitCode()));
        member(u"durationMs", event.durationMs());
        if (!event.message().isEmpty())
            member(u"message", QStringView(event.message()));
        break;
    case EventKind::Canceled:
        member(u"durationMs", event.durationMs());
        if (!event.message().isEmpty()) // a canceled dependent: which dependency, how it ended
            member(u"message", QStringView(event.message()));
        break;
    case EventKind::Timeout:
        member(u"durationMs", event.durationMs());
        member(u"reason", QStringView(TaskEvent::timeoutReasonName(event.timeoutReason())));
        break;
    case EventKind::Retrying:
        member(u"exitCode", qint64(event.exitCode()));
        member(u"delayMs", event.delayMs());
        break;
    case EventKind::InternalError:
        member(u"message", QStringView(event.message()));
        member(u"terminal", event.isTerminal());
        break;
    }
    if (event.isTerminal())
        metricsMembers(event.metrics());
}

void JsonObjectWriter::metricsMembers(const TaskMetrics &metrics)
{
    member(u"queueMs", metrics.queueMs);
    member(u"runMs", metrics.runMs);
    member(u"stdoutBytes", metrics.stdoutBytes);
    member(u"stderrBytes", metrics.stderrBytes);
    member(u"stdoutLines", metrics.stdoutLines);
    member(u"stderrLines", metrics.stderrLines);
    if (metrics.cpuMs >= 0) // absent where the executor cannot tell
        member(u"cpuMs", metrics.cpuMs);
    if (metrics.maxRssKb >= 0)
        member(u"maxRssKb", metrics.maxRssKb);
}

} // namespace TaskConductor
