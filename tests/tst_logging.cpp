// SPDX-License-Identifier: MIT
// The log sinks: the pure formatter, rotation naming, the rotating file sink on its own, and
// the Broker's logs end to end (global log, per-task logs, handlers, errors, flushing), through
// public headers only (the formatter and the JSON writer are public).
#include "testsupport.h"

#include <taskconductor/broker.h>
#include <taskconductor/eventtext.h>
#include <taskconductor/jsonobjectwriter.h>
#include <taskconductor/logsink.h>
#include <taskconductor/rotatingfilesink.h>

#include <QtCore/qfileinfo.h>
#include <QtCore/qjsonarray.h>
#include <QtCore/qjsondocument.h>
#include <QtCore/qjsonobject.h>
#include <QtCore/qrandom.h>
#include <QtCore/qtemporarydir.h>
#include <QtCore/qthread.h>
#include <QtTest/qsignalspy.h>
#include <QtTest/qtest.h>

#include <sys/stat.h>
#include <unistd.h>

using namespace TaskConductor;
using namespace TestSupport;

namespace {
constexpr int Wait = 10000;

QByteArray readAll(const QString &path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

// What a Broker's global log holds across its rotations, oldest first.
QByteArray readRotated(const QString &path, int backups)
{
    QByteArray all;
    for (int i = backups; i >= 1; --i)
        all += readAll(rotatedLogName(path, i));
    return all + readAll(path);
}

QDateTime fixedTime(int offsetSeconds)
{
    return QDateTime(QDate(2026, 3, 1), QTime(14, 5, 9, 42), Qt::OffsetFromUTC, offsetSeconds);
}

// A host's own sink: keeps what it is given, to compare with the other paths.
class CollectingSink : public LogSink
{
public:
    QList<TaskEvent> events;
    QStringList textLines;
    int flushes = 0;
    void write(const LogEntry &entry) override
    {
        events.append(entry.event());
        textLines.append(entry.line(LogFormat::Text));
    }
    void flush() override { ++flushes; }
};

// Throws at its first event, then behaves.
class ThrowingSink : public LogSink
{
public:
    bool thrown = false;
    void write(const LogEntry &) override
    {
        if (!std::exchange(thrown, true))
            throw std::runtime_error("sink exploded");
    }
};

QList<TaskEvent> internalErrorsOf(const QList<TaskEvent> &events)
{
    QList<TaskEvent> out;
    for (const TaskEvent &e : events)
        if (e.kind() == EventKind::InternalError)
            out.append(e);
    return out;
}

} // namespace

class tst_Logging : public QObject
{
    Q_OBJECT

private:
    BrokerFixture m_fixture { "tst_logging" };

    BrokerConfig config() const { return m_fixture.config(); }

private Q_SLOTS:
    void initTestCase() { QVERIFY(QFile::exists(helper())); }

    void cleanup() { m_fixture.expectNothingLeft(Wait); }

    // --- the pure formatter ----------------------------------------------------------------

    void textLine_data()
    {
        QTest::addColumn<TaskEvent>("event");
        QTest::addColumn<int>("offset");
        QTest::addColumn<QString>("expected");
        QTest::newRow("finished, +01:00")
                << TaskEvent::finished(7, 1, 12) << 3600
                << "2026-03-01T14:05:09.042+01:00 7 finished (exit 0) in 12 ms";
        QTest::newRow("stdout, UTC")
                << TaskEvent::output(3, 2, OutputChannel::Stdout, "hello world") << 0
                << "2026-03-01T14:05:09.042+00:00 3 stdout hello world";
        QTest::newRow("failed, -05:30")
                << TaskEvent::failed(12, 3, 2, 40, "boom") << -(5 * 3600 + 1800)
                << "2026-03-01T14:05:09.042-05:30 12 failed (exit 2) in 40 ms: boom";
        // One event name per line (issue 16): the details never repeat it.
        QTest::newRow("started") << TaskEvent::started(1, 1, { "cat", "a\x1b" }, "/w") << 0
                                 << "2026-03-01T14:05:09.042+00:00 1 started cat a\\e in /w "
                                    "(attempt 1)";
        QTest::newRow("retrying") << TaskEvent::retrying(4, 1, 1, 250) << 0
                                  << "2026-03-01T14:05:09.042+00:00 4 retrying in 250 ms: "
                                     "attempt 1 failed (exit 1)";
        QTest::newRow("canceled") << TaskEvent::canceled(4, 1, 9) << 0
                                  << "2026-03-01T14:05:09.042+00:00 4 canceled after 9 ms";
        QTest::newRow("timeout") << TaskEvent::timeout(4, 1, 9) << 0
                                 << "2026-03-01T14:05:09.042+00:00 4 timeout after 9 ms";
        QTest::newRow("rejected") << TaskEvent::internalError(4, 0, "queue full\r", true) << 0
                                  << "2026-03-01T14:05:09.042+00:00 4 internalError queue full\\r";
    }
    void textLine()
    {
        QFETCH(TaskEvent, event);
        QFETCH(int, offset);
        QFETCH(QString, expected);
        const QString line = formatLogLine(event, fixedTime(offset), LogFormat::Text);
        QCOMPARE(line, expected);
        const QString name = TaskEvent::kindName(event.kind());
        QCOMPARE(line.count(name + ' '), 1);
    }

    // The byte-level writers (batched output in the CLI) and the text-level ones apply the one
    // escaping rule identically: for every byte string, escaping the bytes equals escaping the
    // decoded text and encoding the result, for the text rule and for JSON strings.
    void byteLevelEscapingAgreesWithText_data()
    {
        QTest::addColumn<QByteArray>("bytes");
        QTest::newRow("empty") << QByteArray();
        QTest::newRow("plain") << QByteArray("hello world 123");
        QTest::newRow("controls") << QByteArray("a\tb\x07\x1b[2J\r\x7f\\ \"q\"");
        QTest::newRow("nul") << QByteArray("a\0b", 3);
        QTest::newRow("C1 and bidi") << QByteArray("\xc2\x9b"
                                                   "2J\xe2\x80\xae"
                                                   "exe\xe2\x80\xa8");
        QTest::newRow("invalid utf-8") << QByteArray("A\xff"
                                                     "B\xc3");
        QTest::newRow("bom") << QByteArray("\xef\xbb\xbf"
                                           "x");
        QTest::newRow("encoded surrogate") << QByteArray("a\xed\xa0\x80"
                                                         "b");
        QTest::newRow("overlong") << QByteArray("\xc0\xaf\xe0\x80\xaf");
        QTest::newRow("emoji") << QByteArray("\xf0\x9f\x98\x80 ok");
        QByteArray all;
        for (int c = 0; c < 256; ++c)
            all.append(char(c));
        QTest::newRow("every byte") << all;
        for (int c = 0; c < 128; ++c)
            QTest::addRow("ascii %d", c) << QByteArray(1, char(c));
        QRandomGenerator random(17);
        for (int row = 0; row < 200; ++row) {
            QByteArray bytes;
            const int size = int(random.bounded(1, 24));
            for (int i = 0; i < size; ++i) // mostly ASCII, some high bytes
                bytes.append(
                        char(random.bounded(4) == 0 ? random.bounded(256) : random.bounded(128)));
            QTest::addRow("random %d", row) << bytes;
        }
        // Lines long enough for the writers' sixteen-byte scan: one byte to escape at every
        // position of a 40-byte line (in the first block, the second, the overlapping tail).
        for (const char special : { '\\', '"', '\x1f', '\x7f', '\x80', ' ' }) {
            for (int at = 0; at < 40; ++at) {
                QByteArray bytes(40, 'a');
                bytes[at] = special;
                QTest::addRow("byte 0x%02x at %d of 40", uchar(special), at) << bytes;
            }
        }
        for (int row = 0; row < 100; ++row) {
            QByteArray bytes;
            const int size = int(random.bounded(16, 100));
            for (int i = 0; i < size; ++i) // mostly plain, now and then any byte
                bytes.append(char(random.bounded(16) == 0 ? random.bounded(256)
                                                          : random.bounded(0x20, 0x7f)));
            QTest::addRow("long random %d", row) << bytes;
        }
    }
    void byteLevelEscapingAgreesWithText()
    {
        QFETCH(QByteArray, bytes);
        const QString text = TaskEvent::decodeLine(bytes);
        QByteArray escaped("prefix ");
        appendEscapedUtf8(escaped, bytes);
        QCOMPARE(escaped, "prefix " + escapeControlCharacters(text).toUtf8());

        QByteArray json("{\"id\":1,\"event\":\"stdout\",\"attempt\":1,\"line\":");
        JsonObjectWriter::appendString(json, bytes);
        json.append('}');
        QCOMPARE(json, TaskEvent::output(1, 1, OutputChannel::Stdout, text).toJsonText().toUtf8());
    }

    void controlCharactersAreEscaped_data()
    {
        QTest::addColumn<QString>("output");
        QTest::addColumn<QString>("escaped");
        QTest::newRow("newline") << QString("a\nfake 2026 line") << "a\\nfake 2026 line";
        QTest::newRow("carriage return") << QString("50%\r100%") << "50%\\r100%";
        QTest::newRow("escape") << QString("\x1b[31mred\x1b[0m") << "\\e[31mred\\e[0m";
        QTest::newRow("nul") << QString::fromLatin1("a\0b", 3) << "a\\0b";
        QTest::newRow("tab and bell") << QString("a\tb\x07") << "a\\tb\\x07";
        QTest::newRow("backslash") << QString("C:\\n") << "C:\\\\n";
        QTest::newRow("unicode line separator") << QString::fromUtf16(u"a\u2028b") << "a\\u2028b";
        // Issue 13 item 11: C1 controls and bidi controls from a child never reach a terminal.
        QTest::newRow("C1 CSI") << QString::fromUtf16(u"a\u009b2Jb") << "a\\u009b2Jb";
        QTest::newRow("C1 OSC") << QString::fromUtf16(u"\u009d0;title\u009c")
                                << "\\u009d0;title\\u009c";
        QTest::newRow("NEL") << QString::fromUtf16(u"a\u0085b") << "a\\u0085b";
        QTest::newRow("bidi override")
                << QString::fromUtf16(u"txt.\u202egpj.exe") << "txt.\\u202egpj.exe";
        QTest::newRow("bidi embeddings") << QString::fromUtf16(u"\u202a\u202b\u202c\u202d")
                                         << "\\u202a\\u202b\\u202c\\u202d";
        QTest::newRow("bidi isolates") << QString::fromUtf16(u"\u2066\u2067\u2068\u2069x")
                                       << "\\u2066\\u2067\\u2068\\u2069x";
        QTest::newRow("bidi marks")
                << QString::fromUtf16(u"\u200e\u200f\u061c") << "\\u200e\\u200f\\u061c";
        QTest::newRow("lone surrogates") << QString::fromUtf16(u"a\xd800"
                                                               u"b\xdc00")
                                         << "a\\ud800b\\udc00";
        QTest::newRow("surrogate pair kept") << QString::fromUtf8("emoji \xf0\x9f\x98\x80")
                                             << QString::fromUtf8("emoji \xf0\x9f\x98\x80");
        QTest::newRow("neighbours kept") << QString::fromUtf16(u"\u00a0\u2027\u202f\u2065\u206a")
                                         << QString::fromUtf16(u"\u00a0\u2027\u202f\u2065\u206a");
        QTest::newRow("plain unicode")
                << QString::fromUtf8("grüße ✓") << QString::fromUtf8("grüße ✓");
    }
    void controlCharactersAreEscaped()
    {
        QFETCH(QString, output);
        QFETCH(QString, escaped);
        QCOMPARE(escapeControlCharacters(output), escaped);
        const QString line = formatLogLine(TaskEvent::output(1, 1, OutputChannel::Stderr, output),
                                           fixedTime(0), LogFormat::Text);
        QVERIFY(line.endsWith(escaped));
        for (const QChar c : line)
            QVERIFY2(c.unicode() >= 0x20 && c.unicode() != 0x7f
                             && !(c.unicode() >= 0x80 && c.unicode() <= 0x9f)
                             && !(c.unicode() >= 0x202a && c.unicode() <= 0x202e),
                     qPrintable(line));
        // The same rule in the JSON writer: as \uXXXX, and the text parses back unchanged.
        const TaskEvent event = TaskEvent::output(1, 1, OutputChannel::Stdout, output);
        const QString json = event.toJsonText();
        for (const QChar c : json)
            QVERIFY2(c.unicode() >= 0x20 && c.unicode() != 0x7f
                             && !(c.unicode() >= 0x80 && c.unicode() <= 0x9f)
                             && !(c.unicode() >= 0x202a && c.unicode() <= 0x202e)
                             && !(c.unicode() >= 0x2066 && c.unicode() <= 0x2069),
                     qPrintable(json));
        if (!QTest::currentDataTag() || !QByteArray(QTest::currentDataTag()).contains("lone"))
            QCOMPARE(QJsonDocument::fromJson(json.toUtf8()).object().value("line").toString(),
                     output);
    }

    void jsonLine_data()
    {
        QTest::addColumn<TaskEvent>("event");
        QTest::addColumn<QJsonObject>("expected");
        const QString ts = "2026-03-01T14:05:09.042+01:00";
        QTest::newRow("started") << TaskEvent::started(5, 2, { "/bin/echo", "a b" }, "/w")
                                 << QJsonObject { { "ts", ts },
                                                  { "id", 5 },
                                                  { "event", "started" },
                                                  { "attempt", 2 },
                                                  { "command", QJsonArray { "/bin/echo", "a b" } },
                                                  { "workdir", "/w" },
                                                  { "priority", 0 },
                                                  { "lane", "" } };
        QTest::newRow("stderr") << TaskEvent::output(5, 1, OutputChannel::Stderr, "x\n\x1b y")
                                << QJsonObject { { "ts", ts },           { "id", 5 },
                                                 { "event", "stderr" },  { "attempt", 1 },
                                                 { "stream", "stderr" }, { "line", "x\n\x1b y" } };
        TaskMetrics metrics;
        metrics.queueMs = 3;
        metrics.runMs = 90;
        metrics.stdoutBytes = 10;
        metrics.stderrBytes = 2;
        metrics.stdoutLines = 1;
        metrics.stderrLines = 1;
        metrics.cpuMs = 40;
        metrics.maxRssKb = 2048;
        QTest::newRow("failed") << TaskEvent::failed(6, 3, -11, 99, "crashed").withMetrics(metrics)
                                << QJsonObject { { "ts", ts },
                                                 { "id", 6 },
                                                 { "event", "failed" },
                                                 { "attempt", 3 },
                                                 { "exitCode", -11 },
                                                 { "durationMs", 99 },
                                                 { "message", "crashed" },
                                                 { "queueMs", 3 },
                                                 { "runMs", 90 },
                                                 { "stdoutBytes", 10 },
                                                 { "stderrBytes", 2 },
                                                 { "stdoutLines", 1 },
                                                 { "stderrLines", 1 },
                                                 { "cpuMs", 40 },
                                                 { "maxRssKb", 2048 } };
        // cpuMs and maxRssKb are absent where the executor cannot tell (-1).
        QTest::newRow("timeout, idle")
                << TaskEvent::timeout(7, 1, 300, TimeoutReason::Idle)
                << QJsonObject { { "ts", ts },           { "id", 7 },
                                 { "event", "timeout" }, { "attempt", 1 },
                                 { "durationMs", 300 },  { "reason", "idle" },
                                 { "queueMs", 0 },       { "runMs", 0 },
                                 { "stdoutBytes", 0 },   { "stderrBytes", 0 },
                                 { "stdoutLines", 0 },   { "stderrLines", 0 } };
        QTest::newRow("retrying") << TaskEvent::retrying(
                6, 1, 4,
                1500) << QJsonObject { { "ts", ts },     { "id", 6 },       { "event", "retrying" },
                                       { "attempt", 1 }, { "exitCode", 4 }, { "delayMs", 1500 } };
    }
    void jsonLine()
    {
        QFETCH(TaskEvent, event);
        QFETCH(QJsonObject, expected);
        const QString line = formatLogLine(event, fixedTime(3600), LogFormat::JsonLines);
        QVERIFY(!line.contains('\n') && !line.contains('\r') && !line.contains(QChar(0x1b)));
        const QJsonDocument doc = QJsonDocument::fromJson(line.toUtf8());
        QCOMPARE(doc.object(), expected);
    }

    // The log's JSON is written by hand for speed; it must say what TaskEvent::toJson() says.
    void jsonLineAgreesWithToJson_data()
    {
        QTest::addColumn<TaskEvent>("event");
        const QString nasty = QString::fromUtf16(u"q\"b\\s/\n\r\t\x01\x1b\x7f\u2028 ✓");
        QTest::newRow("started") << TaskEvent::started(1, 1, { "/bin/x", nasty, "" }, nasty);
        QTest::newRow("stdout") << TaskEvent::output(2, 1, OutputChannel::Stdout, nasty);
        QTest::newRow("stderr empty") << TaskEvent::output(2, 1, OutputChannel::Stderr, "");
        QTest::newRow("finished") << TaskEvent::finished(3, 2, 1234567890123);
        QTest::newRow("failed") << TaskEvent::failed(4, 1, -9, 10, nasty);
        QTest::newRow("failed, no message") << TaskEvent::failed(4, 1, 2, 10);
        QTest::newRow("canceled") << TaskEvent::canceled(5, 0, 0);
        QTest::newRow("canceled by a dependency")
                << TaskEvent::canceled(5, 0, 0, "dependency 4 did not finish: it ended " + nasty);
        QTest::newRow("started in a lane")
                << TaskEvent::started(1, 1, { "/bin/x" }, "/w", -3, nasty);
        QTest::newRow("timeout") << TaskEvent::timeout(6, 3, 99);
        QTest::newRow("retrying") << TaskEvent::retrying(7, 2, 1, 500);
        QTest::newRow("internalError") << TaskEvent::internalError(0, 0, nasty, false);
        QTest::newRow("rejected") << TaskEvent::internalError(8, 0, "queue full", true);
    }
    void jsonLineAgreesWithToJson()
    {
        QFETCH(TaskEvent, event);
        const QString line = formatLogLine(event, fixedTime(-3600), LogFormat::JsonLines);
        QVERIFY(!line.contains('\n') && !line.contains('\r') && !line.contains(QChar(0x2028)));
        QJsonParseError error;
        QJsonObject parsed = QJsonDocument::fromJson(line.toUtf8(), &error).object();
        QCOMPARE(error.error, QJsonParseError::NoError);
        QCOMPARE(parsed.take("ts").toString(), QString("2026-03-01T14:05:09.042-01:00"));
        if (event.kind() == EventKind::Stdout || event.kind() == EventKind::Stderr)
            QCOMPARE(parsed.take("stream").toString(), TaskEvent::kindName(event.kind()));
        QCOMPARE(parsed, event.toJson());
    }

    // The public compact text, and the CLI's --events json (same writer plus "name").
    void toJsonTextAgreesWithToJson_data() { jsonLineAgreesWithToJson_data(); }
    void toJsonTextAgreesWithToJson()
    {
        QFETCH(TaskEvent, event);
        const QString text = event.toJsonText();
        QVERIFY(!text.contains('\n') && !text.contains('\r') && !text.contains(QChar(0x2028))
                && !text.contains(QChar(0x85)));
        QJsonParseError error;
        const QJsonObject parsed = QJsonDocument::fromJson(text.toUtf8(), &error).object();
        QCOMPARE(error.error, QJsonParseError::NoError);
        QCOMPARE(parsed, event.toJson());
        QVERIFY(text.startsWith(QStringLiteral("{\"id\":%1,\"event\":").arg(event.taskId())));

        QString labelled;
        JsonObjectWriter json(labelled);
        json.eventMembers(event);
        json.member(u"name", QStringLiteral("n\"\u2029"));
        json.member(u"none", QString());
        json.finish();
        QJsonObject expected = event.toJson();
        expected.insert("name", QStringLiteral("n\"\u2029"));
        expected.insert("none", QJsonValue::Null);
        QCOMPARE(QJsonDocument::fromJson(labelled.toUtf8()).object(), expected);
    }

    // The CLI writes every event into one reused buffer: nothing of a longer event may remain.
    void jsonWriterReusesItsBuffer()
    {
        QString buffer;
        const TaskEvent events[] = {
            TaskEvent::output(1, 1, OutputChannel::Stdout, QString(500, 'x')),
            TaskEvent::finished(1, 1, 7), TaskEvent::output(1, 1, OutputChannel::Stdout, "\u2028")
        };
        for (const TaskEvent &event : events) {
            buffer.resize(0);
            JsonObjectWriter json(buffer);
            json.eventMembers(event);
            json.finish();
            QCOMPARE(buffer, event.toJsonText());
            QCOMPARE(QJsonDocument::fromJson(buffer.toUtf8()).object(), event.toJson());
        }
    }

    void entryFormatsOncePerFormat()
    {
        const TaskEvent event = TaskEvent::finished(1, 1, 5);
        const LogEntry entry(event, fixedTime(0), {});
        const QString &first = entry.line(LogFormat::Text);
        const QString &second = entry.line(LogFormat::Text);
        QCOMPARE(&first, &second); // cached, not formatted again
        QCOMPARE(entry.utf8Line(LogFormat::Text), first.toUtf8() + '\n');
        QVERIFY(entry.line(LogFormat::JsonLines).startsWith('{'));
    }

    // A batch's lines (TaskEvent::outputBatch(), as BrokerConfig::outputBatching delivers them)
    // are logged from their bytes through one LogEntry moved from line to line; the files and
    // every accessor must be byte for byte what one-line events of the same lines give, rotation
    // boundaries included.
    void batchLinesAreLoggedAsOneLineEvents_data()
    {
        QTest::addColumn<LogFormat>("format");
        QTest::addColumn<qint64>("rotationBytes");
        QTest::addColumn<OutputChannel>("channel");
        const QList<std::tuple<const char *, LogFormat, qint64, OutputChannel>> rows = {
            { "text", LogFormat::Text, 0, OutputChannel::Stdout },
            { "json", LogFormat::JsonLines, 0, OutputChannel::Stdout },
            { "text, stderr, rotating", LogFormat::Text, 300, OutputChannel::Stderr },
            { "json, rotating", LogFormat::JsonLines, 300, OutputChannel::Stdout },
        };
        for (const auto &[name, format, rotation, channel] : rows)
            QTest::newRow(name) << format << rotation << channel;
    }
    void batchLinesAreLoggedAsOneLineEvents()
    {
        QFETCH(LogFormat, format);
        QFETCH(qint64, rotationBytes);
        QFETCH(OutputChannel, channel);
        const QList<QByteArray> lines = {
            "plain ascii line",
            "",
            "carriage\rreturn\r", // a lone CR stays in the line (CRLF is a line break)
            QByteArray("nul\0and \x07 bell, \x1b[31mred\x1b[0m, DEL \x7f, tab\t", 39),
            "back\\slash and \"quotes\"",
            "invalid \xff utf-8 \xc3",
            "\xed\xa0\x80 encoded surrogate, \xc0\xaf overlong",
            "C1 \xc2\x9b"
            "2J, bidi \xe2\x80\xae"
            "exe, separator \xe2\x80\xa8.",
            "caf\xc3\xa9 \xf0\x9f\x98\x80",
            QByteArray(70000, 'p'), // a long piece, as maxLineBytes cuts them
            QByteArray(1000, 'q') + "\xe2\x80" + QByteArray(1000, '\\'), // cut inside a character
            "2026-01-01T00:00:00.000+00:00 99 finished (exit 0) in 1 ms", // a forged line
        };
        QTemporaryDir dir;
        const QString perLinePath = dir.filePath("per-line.log");
        const QString batchedPath = dir.filePath("batched.log");
        const int backups = 1000;
        QStringList perLineText;
        QList<TaskEvent> perLineEvents;
        {
            RotatingFileSink sink(perLinePath, format, rotationBytes, backups);
            for (const QByteArray &bytes : lines) {
                const TaskEvent event =
                        TaskEvent::output(7, 2, channel, TaskEvent::decodeLine(bytes));
                const LogEntry entry(event, fixedTime(3600), "task.log");
                sink.write(entry);
                // An ASCII line is written from its characters as bytes: still the formatter's.
                const QString formatted = formatLogLine(event, fixedTime(3600), format);
                QCOMPARE(entry.utf8Line(format), formatted.toUtf8() + '\n');
                QCOMPARE(entry.line(format), formatted);
                perLineText.append(formatted);
                perLineEvents.append(event);
            }
        }
        {
            RotatingFileSink sink(batchedPath, format, rotationBytes, backups);
            const TaskEvent batch = TaskEvent::outputBatch(7, 2, channel, lines);
            LogEntry entry(batch, 0, fixedTime(3600), "task.log");
            for (qsizetype i = 0; i < lines.size(); ++i) {
                if (i > 0)
                    entry.setLine(i);
                QVERIFY(entry.hasLineBytes());
                QCOMPARE(entry.lineBytes().toByteArray(), lines.at(i));
                QCOMPARE(entry.taskId(), TaskId(7));
                QCOMPARE(entry.kind(), perLineEvents.at(i).kind());
                QCOMPARE(entry.perTaskLogPath(), QString("task.log"));
                sink.write(entry); // from the bytes, before anything asked for text
                QCOMPARE(entry.line(format), perLineText.at(i));
                QCOMPARE(entry.utf8Line(format), perLineText.at(i).toUtf8() + '\n');
                QCOMPARE(entry.event(), perLineEvents.at(i));
                const LogFormat other =
                        format == LogFormat::Text ? LogFormat::JsonLines : LogFormat::Text;
                const LogEntry oneLine(perLineEvents.at(i), fixedTime(3600), {});
                QCOMPARE(entry.utf8Line(other), oneLine.utf8Line(other));
            }
        }
        const QByteArray perLine = readRotated(perLinePath, backups);
        QCOMPARE(readRotated(batchedPath, backups), perLine);
        QCOMPARE(perLine.count('\n'), lines.size()); // one physical line per output line
        // Rotated at the same line boundaries: every file alike.
        for (int i = 1; i <= backups; ++i) {
            const bool exists = QFile::exists(rotatedLogName(perLinePath, i));
            QCOMPARE(QFile::exists(rotatedLogName(batchedPath, i)), exists);
            if (!exists) {
                QCOMPARE(i > 3, rotationBytes > 0); // the rotating rows did rotate
                break;
            }
            QCOMPARE(readAll(rotatedLogName(batchedPath, i)),
                     readAll(rotatedLogName(perLinePath, i)));
        }
        if (format == LogFormat::JsonLines) {
            for (const QString &line : perLineText)
                QVERIFY2(QJsonDocument::fromJson(line.toUtf8()).isObject(), qPrintable(line));
        }
    }

    void rotationNames()
    {
        QCOMPARE(rotatedLogName("/var/log/tc.log", 1), QString("/var/log/tc.log.1"));
        QCOMPARE(rotatedLogName("tc.log", 12), QString("tc.log.12"));
    }

    // --- the rotating file sink on its own ---------------------------------------------------

    void rotationLosesNoLine_data()
    {
        QTest::addColumn<int>("backups");
        QTest::newRow("every file kept") << 1000;
        QTest::newRow("three backups") << 3;
        QTest::newRow("one backup (the default)") << 1;
    }
    void rotationLosesNoLine()
    {
        QFETCH(int, backups);
        QTemporaryDir dir;
        const QString path = dir.filePath("tc.log");
        const qint64 limit = 1000;
        QByteArray expected;
        {
            RotatingFileSink sink(path, LogFormat::Text, limit, backups);
            for (int i = 0; i < 400; ++i) {
                // Lengths vary, and one line is longer than the whole limit.
                const QString text = i == 200 ? QString(1500, 'L') : QString(i % 37, 'x');
                const TaskEvent event = TaskEvent::output(1, 1, OutputChannel::Stdout, text);
                const LogEntry entry(event, fixedTime(0), {});
                expected += entry.utf8Line(LogFormat::Text);
                sink.write(entry);
                if (i % 50 == 0)
                    sink.flush();
            }
        }
        const QByteArray all = readRotated(path, backups);
        QVERIFY(!QFile::exists(rotatedLogName(path, backups + 1)));
        if (backups >= 1000) {
            QCOMPARE(all, expected); // nothing lost, nothing duplicated, in order
        } else {
            QVERIFY(all.size() < expected.size());
            QVERIFY(expected.endsWith(all)); // the newest lines, whole
            QVERIFY(all.isEmpty() || expected.at(expected.size() - all.size() - 1) == '\n');
        }
        for (int i = 0; i <= std::min(backups, 60); ++i) {
            const QString name = i == 0 ? path : rotatedLogName(path, i);
            if (!QFile::exists(name))
                continue;
            const QByteArray content = readAll(name);
            QVERIFY2(content.endsWith('\n'), qPrintable(name)); // no line is split
            QVERIFY2(content.size() <= limit || content.count('\n') == 1, qPrintable(name));
        }
    }

    void failedRotationKeepsEveryLine()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath("tc.log");
        // A non-empty directory where the backup should go: neither remove() nor rename() works.
        QVERIFY(QDir().mkpath(rotatedLogName(path, 1) + "/occupied"));
        QStringList errors;
        QByteArray expected;
        {
            RotatingFileSink sink(path, LogFormat::Text, 500, 1);
            sink.setErrorReporter([&](const QString &m) { errors.append(m); });
            for (int i = 0; i < 300; ++i) {
                const TaskEvent event = TaskEvent::output(1, 1, OutputChannel::Stdout, "abc");
                const LogEntry entry(event, fixedTime(0), {});
                expected += entry.utf8Line(LogFormat::Text);
                sink.write(entry);
                if (i % 30 == 0)
                    sink.flush(); // a new attempt after each flush, still failing
            }
        }
        QCOMPARE(readAll(path), expected); // grew past the limit, but lost nothing
        QCOMPARE(errors.size(), 1);
        QVERIFY2(errors.first().contains("cannot be rotated"), qPrintable(errors.first()));
    }

    void sinkErrorsAreReportedOnce()
    {
        QStringList errors;
        RotatingFileSink sink("/dev/full");
        sink.setErrorReporter([&](const QString &m) { errors.append(m); });
        const TaskEvent event = TaskEvent::output(1, 1, OutputChannel::Stdout, "x");
        for (int round = 0; round < 5; ++round) {
            for (int i = 0; i < 100; ++i)
                sink.write(LogEntry(event, fixedTime(0), {}));
            sink.flush(); // fails, then the next flush reopens and fails again
        }
        QCOMPARE(errors.size(), 1);
        QVERIFY2(errors.first().contains("/dev/full"), qPrintable(errors.first()));
    }

    // --- through the Broker ------------------------------------------------------------------

    void logLineHandlerMatchesGlobalLogByteForByte_data()
    {
        QTest::addColumn<LogFormat>("format");
        QTest::addColumn<qint64>("rotationBytes");
        QTest::newRow("text") << LogFormat::Text << qint64(0);
        QTest::newRow("json") << LogFormat::JsonLines << qint64(0);
        QTest::newRow("text, rotating") << LogFormat::Text << qint64(4096);
        QTest::newRow("json, rotating") << LogFormat::JsonLines << qint64(4096);
    }
    void logLineHandlerMatchesGlobalLogByteForByte()
    {
        QFETCH(LogFormat, format);
        QFETCH(qint64, rotationBytes);
        QTemporaryDir dir;
        QStringList handed;
        QList<TaskEvent> events;
        BrokerConfig c = config();
        c.globalLogPath = dir.filePath("global.log");
        c.logFormat = format;
        c.logRotationBytes = rotationBytes;
        c.logRotationBackups = 1000;
        c.logLineHandler = [&](const QString &line) { handed.append(line); };
        c.extraLogHandler = [&](const TaskEvent &e) { events.append(e); };
        Recorder r;
        {
            Broker broker(c);
            QSignalSpy idle(&broker, &Broker::idle);
            broker.enqueue(helperTask({ "lines", "200", "out" }), r.handler());
            broker.enqueue(helperTask({ "err-lines", "50" }), r.handler());
            // Child output that would forge log lines if it were written raw.
            broker.enqueue(
                    helperTask({ "bytes", "610a3230323620666f7267656400621b5b33316d0d6f6b0a" }),
                    r.handler());
            broker.enqueue(helperTask({ "exit", "3" }), r.handler());
            // An argument with a line break shows in the started event's description.
            broker.enqueue(helperTask({ "args", "x\n2026-01-01T00:00:00.000+00:00 99 finished" }),
                           r.handler());
            QTRY_VERIFY_WITH_TIMEOUT(idle.count() > 0 && broker.isIdle(), Wait);
        }
        QCOMPARE(events, r.events); // extraLogHandler: every event, as a value, in order
        QCOMPARE(handed.size(), r.events.size()); // one line per event
        const QByteArray file = readRotated(c.globalLogPath, 1000);
        QCOMPARE(file, (handed.join('\n') + '\n').toUtf8());
        QCOMPARE(file.count('\n'), r.events.size()); // one physical line per event
        if (rotationBytes > 0)
            QVERIFY(QFile::exists(rotatedLogName(c.globalLogPath, 2)));
        if (format == LogFormat::JsonLines) {
            for (const QString &line : handed)
                QVERIFY2(QJsonDocument::fromJson(line.toUtf8()).isObject(), qPrintable(line));
        }
    }

    // The Broker with BrokerConfig::outputBatching logs what it logs without: the same lines in
    // the global log, the per-task log and logLineHandler, and one-line events for
    // extraLogHandler, for output with CRLF, invalid UTF-8, controls and maxLineBytes pieces.
    void batchedOutputIsLoggedAsPerLine_data()
    {
        QTest::addColumn<LogFormat>("format");
        QTest::newRow("text") << LogFormat::Text;
        QTest::newRow("json") << LogFormat::JsonLines;
    }
    void batchedOutputIsLoggedAsPerLine()
    {
        QFETCH(LogFormat, format);
        // "a\r\n", "b\xff\x1b[2J\t\"", 40 x 'x' (pieces of 16), "caf\xc3\xa9\r", "tail" (no break)
        const QString output = "610d0a"
                               "62ff1b5b324a0922"
                               "0a"
                + QString("78").repeated(40)
                + "0a"
                  "636166c3a90d0a"
                  "7461696c";
        struct Run
        {
            QByteArray global;
            QByteArray perTask;
            QStringList handed;
            QList<TaskEvent> events;
        };
        auto run = [&](bool batching, Run &out) {
            QTemporaryDir dir;
            BrokerConfig c = config();
            c.outputBatching = batching;
            c.maxLineBytes = 16;
            c.globalLogPath = dir.filePath("global.log");
            c.logFormat = format;
            c.logLineHandler = [&](const QString &line) { out.handed.append(line); };
            c.extraLogHandler = [&](const TaskEvent &e) {
                if (e.kind() == EventKind::Stdout)
                    out.events.append(e);
            };
            Recorder r;
            {
                Broker broker(c);
                TaskDescriptor task = helperTask({ "bytes", output });
                task.setPerTaskLogPath(dir.filePath("task.log"));
                const TaskId id = broker.enqueue(task, r.handler());
                QTRY_VERIFY_WITH_TIMEOUT(r.ended(id), Wait);
            }
            out.global = readAll(c.globalLogPath);
            out.perTask = readAll(dir.filePath("task.log"));
            QCOMPARE(out.global, (out.handed.join('\n') + '\n').toUtf8());
        };
        Run perLine;
        Run batched;
        run(false, perLine);
        run(true, batched);
        if (QTest::currentTestFailed()) // in run()
            return;
        QCOMPARE(batched.events, perLine.events);
        QCOMPARE(perLine.events.size(), 7); // "a", "b…", three pieces, "café", "tail"
        // The output lines, without their timestamps (the runs differ only in those).
        auto outputLines = [format](const QByteArray &log) {
            QList<QByteArray> out;
            for (const QByteArray &line : log.split('\n')) {
                const bool output = format == LogFormat::Text
                        ? line.mid(29).contains(" stdout ")
                        : line.contains("\"stream\":\"stdout\"");
                if (output)
                    out.append(format == LogFormat::Text ? line.mid(29)
                                                         : line.left(7) + line.mid(36));
            }
            return out;
        };
        QCOMPARE(outputLines(batched.global), outputLines(perLine.global));
        QCOMPARE(outputLines(batched.perTask), outputLines(perLine.perTask));
        QCOMPARE(outputLines(perLine.global).size(), 7);
        QCOMPARE(outputLines(perLine.perTask), outputLines(perLine.global));
    }

    void sinksShareOneFormatting()
    {
        auto a = std::make_shared<CollectingSink>();
        auto b = std::make_shared<CollectingSink>();
        QStringList handed;
        BrokerConfig c = config();
        c.logSinks = { a, b, std::make_shared<ThrowingSink>() };
        c.logLineHandler = [&](const QString &line) { handed.append(line); };
        Recorder r;
        Broker broker(c);
        QSignalSpy idle(&broker, &Broker::idle);
        QTest::ignoreMessage(QtWarningMsg, QRegularExpression("a log sink threw"));
        broker.enqueue(helperTask({ "lines", "1" }), r.handler());
        QTRY_COMPARE_WITH_TIMEOUT(idle.count(), 1, Wait);
        QCOMPARE(a->events, r.events);
        QCOMPARE(b->events, r.events);
        QCOMPARE(a->textLines, handed);
        QVERIFY(a->flushes > 0); // flushed at the terminal event
        for (int i = 0; i < handed.size(); ++i) // the same string, not an equal copy
            QCOMPARE(a->textLines.at(i).constData(), handed.at(i).constData());
    }

    // A log handler may destroy the Broker: the sinks after it are skipped, nothing crashes,
    // and the other enqueue still gets its one terminal event.
    void logHandlerMayDestroyTheBroker()
    {
        QTemporaryDir dir;
        Broker *broker = nullptr;
        QStringList handed;
        BrokerConfig c = config();
        c.globalLogPath = dir.filePath("global.log");
        c.logLineHandler = [&](const QString &line) {
            handed.append(line);
            if (line.contains(" finished ") && broker)
                delete std::exchange(broker, nullptr);
        };
        auto after = std::make_shared<CollectingSink>();
        c.logSinks = { after };
        Recorder r;
        broker = new Broker(c);
        const TaskId quick = broker->enqueue(helperTask({ "lines", "1" }), r.handler());
        const TaskId slow = broker->enqueue(helperTask({ "hang" }), r.handler());
        QTRY_VERIFY_WITH_TIMEOUT(!broker, Wait);
        QVERIFY(r.exactlyOnce(quick));
        QVERIFY(r.exactlyOnce(slow));
        QCOMPARE(r.terminal(slow).kind(), EventKind::Canceled);
        // The sink after the deleting handler missed that one event, and still saw the
        // `canceled` that the destruction gave the other task.
        QList<EventKind> seen;
        for (const TaskEvent &e : after->events)
            seen.append(e.kind());
        QVERIFY(!seen.contains(EventKind::Finished));
        QCOMPARE(seen.last(), EventKind::Canceled);
        QCOMPARE(after->events.last().taskId(), slow);
        QVERIFY(readAll(c.globalLogPath).contains(" finished ")); // flushed at destruction
    }

    // The flush timer follows a Broker moved to another thread.
    void brokerInAnotherThreadFlushes()
    {
        QTemporaryDir dir;
        BrokerConfig c = config();
        c.globalLogPath = dir.filePath("global.log");
        QThread worker;
        worker.start();
        auto *broker = new Broker(c);
        broker->moveToThread(&worker);
        QSignalSpy idle(broker, &Broker::idle);
        const TaskId id = broker->enqueue(helperTask({ "hang" })); // handed to the worker
        QTRY_VERIFY_WITH_TIMEOUT(readAll(c.globalLogPath).contains(" stdout ready"), Wait);
        broker->cancel(id);
        QTRY_COMPARE_WITH_TIMEOUT(idle.count(), 1, Wait);
        QVERIFY(readAll(c.globalLogPath).contains(QByteArray::number(id) + " canceled"));
        QMetaObject::invokeMethod(
                broker, [broker] { delete broker; }, Qt::BlockingQueuedConnection);
        worker.quit();
        QVERIFY(worker.wait(Wait));
    }

    void perTaskLogHasEveryAttempt()
    {
        QTemporaryDir dir;
        const QString log = dir.filePath("task.log");
        BrokerConfig c = config();
        c.retry.count = 2;
        c.retry.delaySeconds = 0.01;
        Recorder r;
        Broker broker(c);
        TaskDescriptor task = helperTask({ "succeed-on", "2", dir.filePath("runs") });
        task.setPerTaskLogPath(log);
        const TaskId id = broker.enqueue(task, r.handler());
        const TaskId other = broker.enqueue(helperTask({ "mixed" }), r.handler());
        TaskDescriptor errTask = helperTask({ "mixed" });
        errTask.setPerTaskLogPath(dir.filePath("mixed.log"));
        const TaskId mixed = broker.enqueue(errTask, r.handler());
        QTRY_VERIFY_WITH_TIMEOUT(r.ended(id) && r.ended(other) && r.ended(mixed), Wait);

        const QList<QByteArray> lines = readAll(log).split('\n');
        QStringList kinds;
        for (const QByteArray &line : lines) {
            if (line.isEmpty())
                continue;
            const QList<QByteArray> fields = line.split(' ');
            QCOMPARE(fields.at(1), QByteArray::number(id)); // nothing of another task
            kinds.append(QString::fromUtf8(fields.at(2)));
        }
        QCOMPARE(
                kinds,
                (QStringList { "started", "stdout", "retrying", "started", "stdout", "finished" }));
        QVERIFY(readAll(log).contains("(attempt 1)"));
        QVERIFY(readAll(log).contains("(attempt 2)"));
        const QByteArray mixedLog = readAll(dir.filePath("mixed.log"));
        QCOMPARE(mixedLog.count(" stderr err "), 2);
        QCOMPARE(mixedLog.count(" stdout out "), 2);
        QVERIFY(mixedLog.contains(" finished "));
    }

    // Log files are created as any file of the host: 0666 less its umask.
    void logsAreCreatedWithTheHostsUmask()
    {
        QTemporaryDir dir;
        const mode_t previous = ::umask(027);
        auto restore = qScopeGuard([previous] { ::umask(previous); });
        BrokerConfig c = config();
        c.globalLogPath = dir.filePath("global.log");
        Recorder r;
        {
            Broker broker(c);
            TaskDescriptor task = helperTask({ "lines", "2" });
            task.setPerTaskLogPath(dir.filePath("task.log"));
            const TaskId id = broker.enqueue(task, r.handler());
            QTRY_VERIFY_WITH_TIMEOUT(r.ended(id), Wait);
        }
        for (const char *name : { "task.log", "global.log" }) {
            struct stat st;
            QCOMPARE(::stat(QFile::encodeName(dir.filePath(name)).constData(), &st), 0);
            QCOMPARE(st.st_mode & 07777, mode_t(0640));
        }
        QVERIFY(readAll(dir.filePath("task.log")).contains("line 2"));
    }

    // A link at the per-task log path when the task is enqueued is the host's: honoured (and
    // resolved then). A link that appears later is the task's: never followed, reported once,
    // and the task runs on as if its log were fine.
    void perTaskLogFollowsOnlyTheHostsLinks_data()
    {
        QTest::addColumn<QString>("hostLink"); // "", "existing" or "dangling"
        QTest::addColumn<QString>("taskLink"); // "", "existing" or "dangling"
        QTest::addColumn<int>("retries");
        QTest::newRow("task plants a link to a file") << ""
                                                      << "existing" << 0;
        QTest::newRow("task plants a dangling link") << ""
                                                     << "dangling" << 0;
        QTest::newRow("task plants a link, then a retry reopens") << ""
                                                                  << "existing" << 2;
        QTest::newRow("host's link") << "existing"
                                     << "" << 0;
        QTest::newRow("host's dangling link") << "dangling"
                                              << "" << 0;
        QTest::newRow("host's link, the task repoints it") << "existing"
                                                           << "existing" << 1;
    }
    void perTaskLogFollowsOnlyTheHostsLinks()
    {
        QFETCH(QString, hostLink);
        QFETCH(QString, taskLink);
        QFETCH(int, retries);
        QTemporaryDir dir;
        QVERIFY(QDir(dir.path()).mkdir("host") && QDir(dir.path()).mkdir("elsewhere"));
        const QString path = dir.filePath("task.log");
        const QString hostTarget = dir.filePath("host/real.log");
        const QString taskTarget = dir.filePath("elsewhere/victim");
        const QByteArray precious = "precious\n";
        if (taskLink == "existing") {
            QFile victim(taskTarget);
            QVERIFY(victim.open(QIODevice::WriteOnly) && victim.write(precious) > 0);
        }
        if (hostLink == "existing") {
            QFile real(hostTarget);
            QVERIFY(real.open(QIODevice::WriteOnly) && real.write("host's\n") > 0);
        }
        if (!hostLink.isEmpty())
            QVERIFY(QFile::link(hostTarget, path));

        BrokerConfig c = config();
        c.retry.count = retries;
        c.retry.delaySeconds = 0.01;
        Recorder r;
        Broker broker(c);
        QSignalSpy errors(&broker, &Broker::internalError);
        TaskDescriptor task = taskLink.isEmpty()
                ? helperTask({ "lines", "3" })
                : helperTask({ "symlink-log", path, taskTarget, retries > 0 ? "1" : "0" });
        task.setPerTaskLogPath(path);
        const TaskId id = broker.enqueue(task, r.handler());
        QTRY_VERIFY_WITH_TIMEOUT(r.ended(id), Wait);

        // The task never noticed: every attempt ran and said everything.
        QCOMPARE(r.terminal(id).kind(), retries > 0 ? EventKind::Failed : EventKind::Finished);
        QCOMPARE(r.kinds(id).count(EventKind::Started), retries + 1);
        QCOMPARE(r.lines(id).size(), (retries + 1) * (taskLink.isEmpty() ? 3 : 4));
        QVERIFY(internalErrorsOf(r.events).isEmpty());

        if (taskLink == "existing")
            QCOMPARE(readAll(taskTarget), precious); // nothing written through the link
        if (taskLink == "dangling")
            QVERIFY(!QFileInfo::exists(taskTarget)); // nor created through it
        if (!hostLink.isEmpty()) {
            // The host's link led the way: the file it named has every attempt's lines.
            const QByteArray log = readAll(hostTarget);
            QCOMPARE(log.count("(attempt "), retries + 1);
            QVERIFY2(log.contains(taskLink.isEmpty() ? " stdout line 3" : " stdout after 3"),
                     log.constData());
            QCOMPARE(errors.count(), 0);
        } else {
            // Refused once, naming the path, however many attempts tried to reopen it.
            QTRY_VERIFY_WITH_TIMEOUT(errors.count() >= 1, Wait);
            QCoreApplication::processEvents(); // reports are queued; the task's log is closed
            QCOMPARE(errors.count(), 1);
            const QString message = errors.first().at(1).toString();
            QVERIFY2(message.contains(path) && message.contains("symbolic link"),
                     qPrintable(message));
            QCOMPARE(errors.first().at(0).value<TaskId>(), TaskId(0));
        }
    }

    void writeErrorsNeverStopTasks_data()
    {
        QTest::addColumn<QString>("kind");
        QTest::newRow("missing directory") << "missing";
        QTest::newRow("unwritable directory") << "readonly";
        QTest::newRow("parent is a file") << "notdir";
        QTest::newRow("path is a directory") << "directory";
        QTest::newRow("disk full") << "full";
    }
    void writeErrorsNeverStopTasks()
    {
        QFETCH(QString, kind);
        QTemporaryDir dir;
        QString path;
        if (kind == "missing") {
            path = dir.filePath("no/such/dir/global.log");
        } else if (kind == "readonly") {
            if (::geteuid() != 0) {
                QDir().mkdir(dir.filePath("ro"));
                QFile::setPermissions(dir.filePath("ro"), QFile::ReadOwner | QFile::ExeOwner);
                path = dir.filePath("ro/global.log");
            } else if (QFileInfo(QStringLiteral("/sys")).isDir()) {
                path = QStringLiteral("/sys/tc_logging_test.log"); // sysfs refuses even root
            } else {
                QSKIP("running as root, and no sysfs to be refused by");
            }
        } else if (kind == "notdir") {
            QFile file(dir.filePath("file"));
            QVERIFY(file.open(QIODevice::WriteOnly));
            path = dir.filePath("file/global.log"); // unwritable even for root
        } else if (kind == "directory") {
            path = dir.path();
        } else {
            path = "/dev/full";
        }
        BrokerConfig c = config();
        c.globalLogPath = path;
        TaskDescriptor perTask = helperTask({ "slow-lines", "4", "150" }); // spans flushes
        perTask.setPerTaskLogPath(path);
        Recorder r;
        Broker broker(c);
        QSignalSpy idle(&broker, &Broker::idle);
        QSignalSpy errors(&broker, &Broker::internalError);
        const TaskId a = broker.enqueue(perTask, r.handler());
        const TaskId b = broker.enqueue(helperTask({ "lines", "500" }), r.handler());
        QTRY_VERIFY_WITH_TIMEOUT(r.ended(a) && r.ended(b), Wait);
        QCOMPARE(r.terminal(a).kind(), EventKind::Finished);
        QCOMPARE(r.terminal(b).kind(), EventKind::Finished);
        QCOMPARE(r.lines(b).size(), 500);
        QTRY_VERIFY_WITH_TIMEOUT(errors.count() >= 1, Wait);
        // Not a synchronisation: a window in which a repeated report would show up. The global
        // log and the per-task log each fail, and each reports once.
        QTest::qWait(LogDispatcherFlushMs * 2);
        QCOMPARE(errors.count(), 2);
        for (const auto &args : errors) {
            QCOMPARE(args.at(0).value<TaskId>(), TaskId(0));
            QVERIFY2(args.at(1).toString().contains(path), qPrintable(args.at(1).toString()));
        }
        QVERIFY(r.exactlyOnce(a) && r.exactlyOnce(b));
        QVERIFY(internalErrorsOf(r.events).isEmpty()); // notices are not the task's events
    }

    void sinkReopensWhenItCan()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath("later/global.log");
        BrokerConfig c = config();
        c.globalLogPath = path;
        Recorder r;
        Broker broker(c);
        QSignalSpy errors(&broker, &Broker::internalError);
        const TaskId first = broker.enqueue(helperTask({ "lines", "3" }), r.handler());
        QTRY_VERIFY_WITH_TIMEOUT(r.ended(first) && errors.count() == 1, Wait);
        QVERIFY(QDir().mkpath(dir.filePath("later")));
        const TaskId second = broker.enqueue(helperTask({ "lines", "3", "again" }), r.handler());
        QTRY_VERIFY_WITH_TIMEOUT(r.ended(second), Wait);
        QTRY_VERIFY_WITH_TIMEOUT(readAll(path).contains("again 3"), Wait);
        QCOMPARE(errors.count(), 1);
    }

    void deletedLogIsCreatedAgain()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath("global.log");
        BrokerConfig c = config();
        c.globalLogPath = path;
        Recorder r;
        Broker broker(c);
        QSignalSpy errors(&broker, &Broker::internalError);
        const TaskId id = broker.enqueue(helperTask({ "slow-lines", "8", "120" }), r.handler());
        QTRY_VERIFY_WITH_TIMEOUT(readAll(path).contains("slow 1"), Wait);
        QVERIFY(QFile::remove(path));
        QTRY_VERIFY_WITH_TIMEOUT(r.ended(id), Wait);
        QCOMPARE(r.terminal(id).kind(), EventKind::Finished);
        QTRY_COMPARE_WITH_TIMEOUT(errors.count(), 1, Wait);
        QVERIFY(errors.first().at(1).toString().contains("deleted"));
        const QByteArray again = readAll(path);
        QVERIFY2(again.contains("slow 8") && again.contains(" finished "), again.constData());
        QVERIFY(!again.contains("slow 1"));
    }

    void flushedPeriodicallyAndAtTerminalEvents()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath("global.log");
        BrokerConfig c = config();
        c.globalLogPath = path;
        Recorder r;
        Broker broker(c);
        QByteArray atFinished;
        connect(&broker, &Broker::finished, this, [&] { atFinished = readAll(path); });
        const TaskId running = broker.enqueue(helperTask({ "hang" }), r.handler());
        QTRY_VERIFY_WITH_TIMEOUT(!r.lines(running).isEmpty(), Wait);
        // A running task's line reaches the file within the flush interval, without any
        // terminal event.
        QElapsedTimer clock;
        clock.start();
        QTRY_VERIFY_WITH_TIMEOUT(readAll(path).contains(" stdout ready"), 1000);
        QVERIFY(clock.elapsed() < 1000);
        const TaskId quick = broker.enqueue(helperTask({ "lines", "1" }), r.handler());
        QTRY_VERIFY_WITH_TIMEOUT(r.ended(quick), Wait);
        // The finished signal follows the sinks: the terminal line is already in the file.
        QVERIFY(atFinished.contains(QByteArray::number(quick) + " finished"));
        broker.cancel(running);
        QTRY_VERIFY_WITH_TIMEOUT(r.ended(running), Wait);
    }

private:
    static constexpr int LogDispatcherFlushMs = 200;
};

QTEST_GUILESS_MAIN(tst_Logging)
#include "tst_logging.moc"
