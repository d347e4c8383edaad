// SPDX-License-Identifier: MIT
#include <taskconductor/eventtext.h>

#include "outputlines_p.h"
#include "textescaping_p.h"

#include <cstring>

namespace TaskConductor {

namespace {

void appendHex(QString &out, const char16_t *prefix, char16_t c, int digits)
{
    static constexpr char16_t hex[] = u"0123456789abcdef";
    out.append(QStringView(prefix));
    for (int shift = 4 * (digits - 1); shift >= 0; shift -= 4)
        out.append(QChar(hex[(c >> shift) & 0xf]));
}

void appendNumber(QString &out, qint64 value)
{
    char16_t digits[24];
    char16_t *const last = digits + 24;
    const char16_t *first = TextEscaping::writeDecimalBefore(last, value);
    out.append(QStringView(first, last));
}

// The escape sequence of one unit the rule escapes, in ASCII, written to \a out (at most 6
// characters); returns its length. The one table of the rule: the text and the byte-level
// escaping both use it.
int escapeSequence(char16_t c, char *out)
{
    const char *named = nullptr;
    switch (c) {
    case u'\\':
        named = "\\\\";
        break;
    case u'\n':
        named = "\\n";
        break;
    case u'\r':
        named = "\\r";
        break;
    case u'\t':
        named = "\\t";
        break;
    case 0x1b:
        named = "\\e";
        break;
    case 0:
        named = "\\0";
        break;
    }
    if (named) {
        out[0] = named[0];
        out[1] = named[1];
        return 2;
    }
    static constexpr char hex[] = "0123456789abcdef";
    out[0] = '\\';
    if (c < 0x80) { // the other C0 controls and DEL
        out[1] = 'x';
        out[2] = hex[(c >> 4) & 0xf];
        out[3] = hex[c & 0xf];
        return 4;
    }
    out[1] = 'u'; // C1, line breaks, bidi controls, lone surrogates
    out[2] = hex[(c >> 12) & 0xf];
    out[3] = hex[(c >> 8) & 0xf];
    out[4] = hex[(c >> 4) & 0xf];
    out[5] = hex[c & 0xf];
    return 6;
}

void appendOne(QString &out, char16_t c)
{
    char sequence[6];
    out.append(QLatin1String(sequence, escapeSequence(c, sequence)));
}

constexpr bool isSafeAscii(uchar c)
{
    return c >= 0x20 && c != 0x7f && c != '\\';
}

// \a put is appendEscaped() for text lines, or a plain append for description().
template<typename Put> void details(QString &out, const TaskEvent &event, Put put)
{
    switch (event.kind()) {
    case EventKind::Started: {
        const QStringList command = event.command();
        for (qsizetype i = 0; i < command.size(); ++i) {
            if (i > 0)
                out.append(u' ');
            put(out, command.at(i));
        }
        out.append(u" in ");
        put(out, event.workingDirectory());
        out.append(u" (attempt ");
        appendNumber(out, event.attempt());
        // Only what differs from the defaults.
        if (event.priority() != 0) {
            out.append(u", priority ");
            appendNumber(out, event.priority());
        }
        if (!event.lane().isEmpty()) {
            out.append(u", lane ");
            put(out, event.lane());
        }
        out.append(u')');
        return;
    }
    case EventKind::Stdout:
    case EventKind::Stderr:
        put(out, event.line());
        return;
    case EventKind::Finished:
    case EventKind::Failed:
        out.append(u"(exit ");
        appendNumber(out, event.exitCode());
        out.append(u") in ");
        appendNumber(out, event.durationMs());
        out.append(u" ms");
        if (!event.message().isEmpty()) {
            out.append(u": ");
            put(out, event.message());
        }
        return;
    case EventKind::Canceled:
    case EventKind::Timeout:
        out.append(u"after ");
        appendNumber(out, event.durationMs());
        out.append(u" ms");
        if (!event.message().isEmpty()) { // a canceled dependent: which dependency, how it ended
            out.append(u": ");
            put(out, event.message());
        }
        if (event.kind() == EventKind::Timeout && event.timeoutReason() == TimeoutReason::Idle)
            out.append(u" (idle: no output)");
        return;
    case EventKind::Retrying:
        out.append(u"in ");
        appendNumber(out, event.delayMs());
        out.append(u" ms: attempt ");
        appendNumber(out, event.attempt());
        out.append(u" failed (exit ");
        appendNumber(out, event.exitCode());
        out.append(u')');
        return;
    case EventKind::InternalError:
        put(out, event.message());
        return;
    }
}

template<typename Put> void eventText(QString &out, const TaskEvent &event, Put put)
{
    if (event.kind() != EventKind::Stdout && event.kind() != EventKind::Stderr) {
        out.append(TaskEvent::kindName(event.kind()));
        out.append(u' ');
    }
    details(out, event, put);
}

void appendPlain(QString &out, QStringView text)
{
    out.append(text);
}

} // namespace

void appendEscaped(QString &out, QStringView text)
{
    const char16_t *const units = text.utf16();
    qsizetype safeFrom = 0; // safe characters are copied in runs, not one by one
    for (qsizetype i = 0; i < text.size(); ++i) {
        const char16_t c = units[i];
        const bool safe = c < 0x80 ? isSafeAscii(uchar(c))
                                   : !TextEscaping::isUnsafe(c)
                        && (!TextEscaping::isSurrogate(c)
                            || !TextEscaping::isLoneSurrogate(text, i));
        if (safe)
            continue;
        out.append(text.sliced(safeFrom, i - safeFrom));
        appendOne(out, c);
        safeFrom = i + 1;
    }
    out.append(text.sliced(safeFrom));
}

char *TextEscaping::writeTextEscape(char *out, uchar c)
{
    return out + escapeSequence(c, out);
}

char *TextEscaping::writeDecodedText(char *out, QByteArrayView utf8)
{
    QString text;
    text.reserve(utf8.size() + 16);
    appendEscaped(text, TaskEvent::decodeLine(utf8));
    const QByteArray encoded = text.toUtf8(); // at most 6 bytes per input byte
    std::memcpy(out, encoded.constData(), size_t(encoded.size()));
    return out + encoded.size();
}

char *writeEscapedUtf8(char *out, QByteArrayView utf8)
{
    return TextEscaping::writeEscapedBytes<TextEscaping::Rule::Text>(out, utf8);
}

void appendEscapedUtf8(QByteArray &out, QByteArrayView utf8)
{
    const qsizetype start = out.size();
    out.resize(start + 6 * utf8.size() + 2);
    out.truncate(writeEscapedUtf8(out.data() + start, utf8) - out.constData());
}

QString escapeControlCharacters(QStringView text)
{
    QString out;
    out.reserve(text.size());
    appendEscaped(out, text);
    return out;
}

void appendEventDetails(QString &out, const TaskEvent &event)
{
    details(out, event, appendEscaped);
}

void appendEventText(QString &out, const TaskEvent &event)
{
    eventText(out, event, appendEscaped);
}

QString TaskEvent::description() const
{
    QString out;
    out.reserve(32 + m_text.size());
    eventText(out, *this, appendPlain);
    return out;
}

} // namespace TaskConductor
