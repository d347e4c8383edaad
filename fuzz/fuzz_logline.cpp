// SPDX-License-Identifier: MIT
// libFuzzer target for the log-line formatter (formatLogLine). Input: byte 0 picks the event
// kind (stdout, stderr, failed with a message); the rest is what the child wrote, as UTF-8.
// Invariants (a violation aborts):
// - one event is one physical line in both formats: no '\n', '\r', '\v', '\f', U+0085, U+2028
//   or U+2029 in the result, so child output cannot forge or split log lines;
// - the one escaping rule: no C0 or C1 control, DEL or bidi control in either format, so child
//   output cannot drive a terminal that shows the log;
// - the JSON Lines form parses as one JSON object whose "line" (or "message") is the text
//   exactly.
#include <taskconductor/logsink.h>

#include <QtCore/qjsondocument.h>
#include <QtCore/qjsonobject.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>

using namespace TaskConductor;

namespace {

void check(bool ok, const char *what)
{
    if (!ok) {
        std::fprintf(stderr, "invariant broken: %s\n", what);
        std::abort();
    }
}

bool isOnePhysicalLine(const QString &line)
{
    for (QChar c : line) {
        const char16_t u = c.unicode();
        if (u == '\n' || u == '\r' || u == '\v' || u == '\f' || u == 0x85 || u == 0x2028
            || u == 0x2029)
            return false;
    }
    return true;
}

bool isInert(const QString &line)
{
    for (QChar c : line) {
        const char16_t u = c.unicode();
        if (u < 0x20 || (u >= 0x7f && u <= 0x9f) || u == 0x061c || u == 0x200e || u == 0x200f
            || (u >= 0x202a && u <= 0x202e) || (u >= 0x2066 && u <= 0x2069))
            return false;
    }
    return true;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const QString text =
            QString::fromUtf8(reinterpret_cast<const char *>(data) + 1, qsizetype(size) - 1);
    TaskEvent event;
    QString field = QStringLiteral("line");
    switch (data[0] % 3) {
    case 0:
        event = TaskEvent::output(7, 1, OutputChannel::Stdout, text);
        break;
    case 1:
        event = TaskEvent::output(7, 2, OutputChannel::Stderr, text);
        break;
    default:
        event = TaskEvent::failed(7, 1, 3, 12, text);
        field = QStringLiteral("message");
        break;
    }
    static const QDateTime timestamp = QDateTime::fromString(
            QStringLiteral("2026-01-02T03:04:05.678+01:00"), Qt::ISODateWithMs);

    const QString plain = formatLogLine(event, timestamp, LogFormat::Text);
    check(isOnePhysicalLine(plain), "a text log line holds a line break");
    check(isInert(plain), "a text log line holds a control character");

    const QString json = formatLogLine(event, timestamp, LogFormat::JsonLines);
    check(isOnePhysicalLine(json), "a JSON log line holds a line break");
    check(isInert(json), "a JSON log line holds a control character");
    QJsonParseError error;
    const QJsonDocument document = QJsonDocument::fromJson(json.toUtf8(), &error);
    check(error.error == QJsonParseError::NoError && document.isObject(),
          "a JSON log line does not parse");
    check(document.object().value(field).toString() == text, "JSON lost or changed the text");

    // The public compact form shares the writer; it must say exactly what toJson() says.
    const QString compact = event.toJsonText();
    check(isOnePhysicalLine(compact), "toJsonText() holds a line break");
    check(QJsonDocument::fromJson(compact.toUtf8()).object() == event.toJson(),
          "toJsonText() disagrees with toJson()");
    return 0;
}
