// SPDX-License-Identifier: MIT
// BrokerConfig::outputBatching: the lines of one read arrive as one event, with every promise
// of one event per line (order, the partial last line before the terminal event, pieces of at
// most maxLineBytes cut at UTF-8 boundaries, decoding, exactly one terminal event). Each test
// compares the batched run with the same child run one event per line.
#include "testsupport.h"

#include <taskconductor/broker.h>

#include <QtTest/qsignalspy.h>
#include <QtTest/qtest.h>

using namespace TaskConductor;
using namespace TestSupport;

namespace {
constexpr int Wait = 10000;

struct Run
{
    Recorder recorder;
    TaskId id = 0;
};
} // namespace

class tst_OutputBatch : public QObject
{
    Q_OBJECT

private:
    BrokerFixture m_fixture { "tst_outputbatch" };

    BrokerConfig config(bool batched) const
    {
        BrokerConfig c = m_fixture.config();
        c.outputBatching = batched;
        return c;
    }

    // Runs \a args to its end with or without batching; the recorder holds every event.
    void run(Run &out, const QStringList &args, bool batched, int maxLineBytes = 0)
    {
        BrokerConfig c = config(batched);
        if (maxLineBytes > 0)
            c.maxLineBytes = maxLineBytes;
        Broker broker(c);
        out.id = broker.enqueue(helperTask(args), out.recorder.handler());
        QTRY_VERIFY_WITH_TIMEOUT(out.recorder.ended(out.id), Wait);
    }

    static int outputEvents(const Run &r)
    {
        int n = 0;
        for (const TaskEvent &e : r.recorder.of(r.id))
            n += e.kind() == EventKind::Stdout || e.kind() == EventKind::Stderr;
        return n;
    }

private Q_SLOTS:
    void initTestCase() { QVERIFY(QFile::exists(helper())); }
    void cleanup() { m_fixture.expectNothingLeft(Wait); }

    void sameLinesAsOneEventPerLine_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<int>("maxLineBytes");
        QTest::newRow("crlf") << QStringList { "bytes", "610d0a620d0a" } << 0;
        QTest::newRow("empty lines") << QStringList { "bytes", "0a0a630a" } << 0;
        QTest::newRow("invalid utf-8") << QStringList { "bytes", "41ff42c30a" } << 0;
        QTest::newRow("utf-8") << QStringList { "bytes", "c3a9e282ac0a" } << 0;
        QTest::newRow("bom") << QStringList { "bytes", "efbbbf410a" } << 0;
        QTest::newRow("partial last line") << QStringList { "partial", "a\nb\nrest" } << 0;
        QTest::newRow("only a partial line") << QStringList { "partial", "rest" } << 0;
        QTest::newRow("partial ending in cr") << QStringList { "partial", "a\r\nb\r" } << 0;
        // pieces of at most 5 bytes, cut before a UTF-8 lead byte
        QTest::newRow("pieces at utf-8 boundaries")
                << QStringList { "bytes", "c3a9c3a9c3a9e282ace282ac410a" } << 5;
        QTest::newRow("pieces of a partial line") << QStringList { "partial", "abcdefghijk" } << 4;
        // Lines of 0 to 70 bytes, "\r\n" or "\n", some with a UTF-8 character at a byte where
        // the scans and the ASCII widening change step (8, 16, 32 bytes).
        QByteArray mixed;
        for (int length = 0; length <= 70; ++length) {
            QByteArray line;
            for (int i = 0; i < length; ++i)
                line += char('a' + (length + i) % 26);
            if (length % 3 == 1 && length >= 2)
                line.replace(length - 2, 2, "\xc3\xa9");
            mixed += line + (length % 2 ? "\r\n" : "\n");
        }
        QTest::newRow("lengths across scan blocks") << QStringList { "bytes", mixed.toHex() } << 0;
        QTest::newRow("pieces of lengths across scan blocks")
                << QStringList { "bytes", mixed.toHex() } << 7;
        QTest::newRow("many lines") << QStringList { "lines", "30000" } << 0;
        QTest::newRow("stderr") << QStringList { "err-lines", "3000" } << 0;
    }

    void sameLinesAsOneEventPerLine()
    {
        QFETCH(QStringList, args);
        QFETCH(int, maxLineBytes);
        Run single, batched;
        run(single, args, false, maxLineBytes);
        run(batched, args, true, maxLineBytes);
        for (const EventKind kind : { EventKind::Stdout, EventKind::Stderr })
            QCOMPARE(batched.recorder.lines(batched.id, kind),
                     single.recorder.lines(single.id, kind));
        QVERIFY(batched.recorder.exactlyOnce(batched.id));
        QCOMPARE(batched.recorder.terminal(batched.id).kind(), EventKind::Finished);
        // Both ways give what the bytes say: lines at '\n' without a '\r' before it, decoded
        // from UTF-8 (QString::fromUtf8(), the reference).
        if (args.first() == QLatin1String("bytes") && maxLineBytes == 0) {
            QStringList expected;
            for (QByteArray line : QByteArray::fromHex(args.at(1).toLatin1()).split('\n')) {
                if (line.endsWith('\r'))
                    line.chop(1);
                expected.append(QString::fromUtf8(line));
            }
            expected.removeLast(); // after the last '\n'
            QCOMPARE(single.recorder.lines(single.id), expected);
        }
        // Every output event of a batched run is a batch and holds at least one line; its
        // bytes decode to its text.
        for (const TaskEvent &e : batched.recorder.of(batched.id)) {
            if (e.kind() != EventKind::Stdout && e.kind() != EventKind::Stderr)
                continue;
            QVERIFY(e.hasLineBytes());
            QVERIFY(e.lineCount() >= 1);
            for (qsizetype i = 0; i < e.lineCount(); ++i) {
                QCOMPARE(e.lineAt(i), QString::fromUtf8(e.lineBytes(i)));
                if (maxLineBytes > 0)
                    QVERIFY(e.lineBytes(i).size() <= maxLineBytes);
            }
        }
    }

    // Fewer events than lines: a read holds many lines. Order is kept across batches.
    void manyLinesComeInFewEventsInOrder()
    {
        Run r;
        run(r, { "lines", "50000" }, true);
        const QStringList lines = r.recorder.lines(r.id);
        QCOMPARE(lines.size(), 50000);
        for (int i = 0; i < lines.size(); i += 997)
            QCOMPARE(lines.at(i), QStringLiteral("line %1").arg(i + 1));
        QCOMPARE(lines.last(), QStringLiteral("line 50000"));
        QVERIFY(outputEvents(r) < 50000 / 10);
    }

    // The raw bytes survive: invalid UTF-8 is kept in lineBytes(), replaced only in lineAt().
    void lineBytesAreWhatTheProcessWrote()
    {
        Run r;
        run(r, { "bytes", "41ff42c30a0d0a780a" }, true);
        QList<QByteArray> raw;
        for (const TaskEvent &e : r.recorder.of(r.id)) {
            for (qsizetype i = 0; i < e.lineCount(); ++i)
                raw.append(e.lineBytes(i).toByteArray());
        }
        QCOMPARE(raw,
                 (QList<QByteArray> { "A\xff"
                                      "B\xc3",
                                      "", "x" }));
    }

    // The partial last line of both channels comes before the one terminal event.
    void partialLinesComeBeforeTheTerminalEvent()
    {
        Run r;
        run(r, { "partial", "x\ny" }, true);
        const QList<TaskEvent> events = r.recorder.of(r.id);
        QVERIFY(r.recorder.exactlyOnce(r.id));
        QCOMPARE(events.at(events.size() - 2).kind(), EventKind::Stdout);
        QCOMPARE(events.at(events.size() - 2).lines().last(), QStringLiteral("y"));

        Run err;
        run(err, { "err-partial", "e1\ne2" }, true);
        QCOMPARE(err.recorder.lines(err.id, EventKind::Stderr), (QStringList { "e1", "e2" }));
        QVERIFY(err.recorder.exactlyOnce(err.id));
    }

    // A huge line without a break: pieces of maxLineBytes, memory bounded by it.
    void hugeLineComesInBoundedPieces()
    {
        qsizetype total = 0, longest = 0, pieces = 0;
        BrokerConfig c = config(true);
        c.maxLineBytes = 64 * 1024;
        Broker broker(c);
        bool ended = false;
        broker.enqueue(helperTask({ "huge-line", QString::number(20 << 20) }),
                       [&](const TaskEvent &e) {
                           for (qsizetype i = 0; i < e.lineCount(); ++i) {
                               total += e.lineBytes(i).size();
                               longest = std::max(longest, e.lineBytes(i).size());
                               ++pieces;
                           }
                           ended = ended || e.isTerminal();
                       });
        QTRY_VERIFY_WITH_TIMEOUT(ended, Wait);
        QCOMPARE(total, qsizetype(20 << 20));
        QCOMPARE(longest, qsizetype(64 * 1024));
        QCOMPARE(pieces, 320);
    }

    // Batches reuse the run's buffers when nobody kept them: an event a handler keeps never
    // changes afterwards.
    void keptBatchesStayIntact()
    {
        Run r;
        run(r, { "lines", "20000", "kept" }, true);
        int expected = 1;
        for (const TaskEvent &e : r.recorder.of(r.id)) {
            for (qsizetype i = 0; i < e.lineCount(); ++i)
                QCOMPARE(e.lineBytes(i), "kept " + QByteArray::number(expected++));
        }
        QCOMPARE(expected, 20001);
    }

    // A batch over a read and lines kept apart (moreBytes, how a shared read is completed): the
    // lines in bound order, whichever array holds them; equal to the same lines in one array.
    void batchOverTwoByteArrays()
    {
        const TaskEvent e = TaskEvent::outputBatch(7, 1, OutputChannel::Stdout, "ab\ncd\npart",
                                                   { 0, 2, 3, 5, 10, 13, 13, 13 }, "xyz");
        QCOMPARE(e.lineCount(), 4);
        QCOMPARE(e.lineBytes(1), "cd");
        QCOMPARE(e.lineBytes(2), "xyz");
        QCOMPARE(e.lines(), (QStringList { "ab", "cd", "xyz", "" }));
        QCOMPARE(e,
                 TaskEvent::outputBatch(7, 1, OutputChannel::Stdout,
                                        QList<QByteArray> { "ab", "cd", "xyz", "" }));
    }

    // The per-line signals and the logs keep one line per line; eventOccurred gets the batch.
    void signalsAndLogsStayPerLine()
    {
        BrokerConfig c = config(true);
        QStringList logged;
        c.logLineHandler = [&](const QString &line) { logged.append(line); };
        Recorder r;
        Broker broker(c);
        QSignalSpy lines(&broker, &Broker::stdoutLine);
        QSignalSpy events(&broker, &Broker::eventOccurred);
        const TaskId id = broker.enqueue(helperTask({ "lines", "5000" }), r.handler());
        QTRY_VERIFY_WITH_TIMEOUT(r.ended(id), Wait);
        QCOMPARE(lines.count(), 5000);
        QCOMPARE(lines.at(4999).at(1).toString(), QStringLiteral("line 5000"));
        QCOMPARE(events.count(), r.of(id).count());
        int outputLines = 0;
        for (const QString &line : std::as_const(logged))
            outputLines += line.contains(QLatin1String(" stdout line "));
        QCOMPARE(outputLines, 5000);
        QVERIFY(logged.last().contains(QLatin1String("finished")));
    }
};

QTEST_GUILESS_MAIN(tst_OutputBatch)
#include "tst_outputbatch.moc"
