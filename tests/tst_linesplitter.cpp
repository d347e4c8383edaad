// SPDX-License-Identifier: MIT
// The line splitter on its own. Tests a private piece (src/core/linesplitter.h): it links
// TaskConductor::PrivateHeaders.
#include "linesplitter.h"

#include <QtCore/qrandom.h>
#include <QtTest/qtest.h>

using TaskConductor::LineSplitter;

class tst_LineSplitter : public QObject
{
    Q_OBJECT

    static QList<QByteArray> split(const QList<QByteArray> &chunks, qsizetype max = 1024,
                                   bool flush = true)
    {
        LineSplitter splitter(max);
        QList<QByteArray> lines;
        auto collect = [&](QByteArrayView line) { lines.append(line.toByteArray()); };
        for (const QByteArray &chunk : chunks)
            splitter.feed(chunk, collect);
        if (flush)
            splitter.flush(collect);
        return lines;
    }

private Q_SLOTS:
    void splits_data()
    {
        QTest::addColumn<QList<QByteArray>>("chunks");
        QTest::addColumn<QList<QByteArray>>("lines");
        QTest::newRow("empty") << QList<QByteArray> {} << QList<QByteArray> {};
        QTest::newRow("one line") << QList<QByteArray> { "a\n" } << QList<QByteArray> { "a" };
        QTest::newRow("no newline at end")
                << QList<QByteArray> { "a\nb" } << QList<QByteArray> { "a", "b" };
        QTest::newRow("line across chunks")
                << QList<QByteArray> { "ab", "c", "d\ne" } << QList<QByteArray> { "abcd", "e" };
        QTest::newRow("crlf") << QList<QByteArray> { "a\r\nb\r\n" }
                              << QList<QByteArray> { "a", "b" };
        QTest::newRow("crlf across chunks")
                << QList<QByteArray> { "a\r", "\nb" } << QList<QByteArray> { "a", "b" };
        QTest::newRow("lone cr kept")
                << QList<QByteArray> { "a\rb\n" } << QList<QByteArray> { "a\rb" };
        QTest::newRow("empty lines")
                << QList<QByteArray> { "\n\n", "\n" } << QList<QByteArray> { "", "", "" };
        QTest::newRow("nul bytes") << QList<QByteArray> { QByteArray("a\0b\n", 4) }
                                   << QList<QByteArray> { QByteArray("a\0b", 3) };
    }

    void splits()
    {
        QFETCH(QList<QByteArray>, chunks);
        QFETCH(QList<QByteArray>, lines);
        QCOMPARE(split(chunks), lines);
    }

    void carriesPartialLineUntilFlush()
    {
        LineSplitter splitter;
        QList<QByteArray> lines;
        auto collect = [&](QByteArrayView line) { lines.append(line.toByteArray()); };
        splitter.feed("abc", collect);
        QVERIFY(lines.isEmpty());
        QCOMPARE(splitter.carriedBytes(), 3);
        splitter.flush(collect);
        QCOMPARE(lines, QList<QByteArray> { "abc" });
        QCOMPARE(splitter.carriedBytes(), 0);
        splitter.flush(collect);
        QCOMPARE(lines.size(), 1);
    }

    void longLinesComeInBoundedPieces()
    {
        // 10 bytes max: a 25-byte line in 3 chunks comes as 10 + 10 + 5.
        const QList<QByteArray> lines = split(
                { QByteArray(7, 'x'), QByteArray(13, 'x'), QByteArray(5, 'x') + "\nend\n" }, 10);
        QCOMPARE(lines,
                 (QList<QByteArray> { QByteArray(10, 'x'), QByteArray(10, 'x'), QByteArray(5, 'x'),
                                      "end" }));
    }

    void memoryStaysBoundedWithoutNewline()
    {
        LineSplitter splitter(4096);
        qsizetype delivered = 0;
        const QByteArray block(65536, 'y');
        for (int i = 0; i < 256; ++i) { // 16 MiB, never a newline
            splitter.feed(block, [&](QByteArrayView line) {
                QVERIFY(line.size() <= 4096);
                delivered += line.size();
            });
            QVERIFY(splitter.carriedBytes() <= 4096);
        }
        splitter.flush([&](QByteArrayView line) { delivered += line.size(); });
        QCOMPARE(delivered, qsizetype(256) * 65536);
    }

    void piecesDoNotCutUtf8Characters()
    {
        // "é" is 2 bytes, "€" 3 bytes: pieces of at most 5 bytes must end between characters.
        const QByteArray text = QByteArray("a") + "\xe2\x82\xac" + "\xc3\xa9" + "\xe2\x82\xac"
                + "\xe2\x82\xac" + "\n";
        QByteArray joined;
        for (const QByteArray &piece : split({ text }, 5)) {
            QVERIFY(piece.size() <= 5);
            QVERIFY2(QString::fromUtf8(piece).toUtf8() == piece, piece.toHex().constData());
            joined += piece;
        }
        QCOMPARE(joined + "\n", text);
    }

    void chunkEdgeInsideUtf8Character()
    {
        const QList<QByteArray> lines = split({ "caf\xc3", "\xa9\n" });
        QCOMPARE(QString::fromUtf8(lines.value(0)), QString::fromUtf8("caf\xc3\xa9"));
    }

    // Found by fuzz_linesplitter: a line of exactly maxLineBytes whose "\r\n" is cut between
    // two chunks gave an extra empty piece.
    void fullLengthLineWithCrlfAcrossChunks()
    {
        QCOMPARE(split({ "abcd\r", "\nef\n" }, 4), (QList<QByteArray> { "abcd", "ef" }));
        QCOMPARE(split({ "abcdefgh\r", "\n" }, 4), (QList<QByteArray> { "abcd", "efgh" }));
        QCOMPARE(split({ "abcd\r", "x\n" }, 4), (QList<QByteArray> { "abcd", "\rx" }));
    }

    // The whole stream split at '\n' (one '\r' before it dropped), each line cut greedily from
    // its start; a last line without '\n' keeps a '\r' at its end (flush()).
    static QList<QByteArray> reference(const QByteArray &stream, qsizetype max)
    {
        QList<QByteArray> lines;
        auto cut = [&](QByteArrayView line) {
            while (line.size() > max) {
                const qsizetype at = LineSplitter::cutPosition(line, max);
                lines.append(line.first(at).toByteArray());
                line = line.sliced(at);
            }
            lines.append(line.toByteArray());
        };
        qsizetype begin = 0;
        for (qsizetype newline; (newline = stream.indexOf('\n', begin)) >= 0; begin = newline + 1) {
            QByteArrayView line = QByteArrayView(stream).sliced(begin, newline - begin);
            cut(line.endsWith('\r') ? line.chopped(1) : line);
        }
        if (begin < stream.size())
            cut(QByteArrayView(stream).sliced(begin));
        return lines;
    }

    // Random streams (short and long lines, "\r\n", lone '\r', UTF-8, lines longer than the
    // limit) cut into random chunks, through both forms of feed(): the lines are the reference's,
    // and a line given as offsets lies in the chunk it came with. Covers the sixteen-byte scan's
    // edges (a '\n' or '\r' at a block's first or last byte, blocks without any, short tails).
    void matchesTheReferenceOnRandomStreams()
    {
        QRandomGenerator random(17);
        const char alphabet[] = { 'a',        'b',        '\n',       '\r',       char(0xc3),
                                  char(0xa9), char(0xe2), char(0x82), char(0xac), ' ' };
        for (int round = 0; round < 300; ++round) {
            const qsizetype max =
                    QList<qsizetype> { 4, 5, 7, 31, 32, 33, 64, 1024 }.at(random.bounded(8));
            const int newlineOdds = QList<int> { 3, 20, 100, 1000 }.at(random.bounded(4));
            QByteArray stream;
            const int size = random.bounded(4000);
            for (int i = 0; i < size; ++i) {
                stream += random.bounded(newlineOdds) == 0
                        ? '\n'
                        : alphabet[random.bounded(int(sizeof alphabet))];
            }
            const QList<QByteArray> expected = reference(stream, max);

            QList<QByteArray> viaViews, viaOffsets;
            LineSplitter views(max), offsets(max);
            for (qsizetype at = 0; at < stream.size();) {
                const qsizetype n = std::min<qsizetype>(stream.size() - at,
                                                        random.bounded(2) ? random.bounded(1, 9)
                                                                          : random.bounded(1, 700));
                const QByteArrayView chunk = QByteArrayView(stream).sliced(at, n);
                views.feed(chunk,
                           [&](QByteArrayView line) { viaViews.append(line.toByteArray()); });
                offsets.feed(
                        chunk,
                        [&](qsizetype begin, qsizetype end) {
                            QVERIFY(0 <= begin && begin <= end && end <= chunk.size());
                            viaOffsets.append(chunk.sliced(begin, end - begin).toByteArray());
                        },
                        [&](QByteArrayView line) { viaOffsets.append(line.toByteArray()); });
                QVERIFY(views.carriedBytes() <= max + 1);
                at += n;
            }
            views.flush([&](QByteArrayView line) { viaViews.append(line.toByteArray()); });
            offsets.flush([&](QByteArrayView line) { viaOffsets.append(line.toByteArray()); });
            QCOMPARE(viaViews, expected);
            QCOMPARE(viaOffsets, expected);
            QCOMPARE(split({ stream }, max), expected);
        }
    }

    void cutPositionOnInvalidBytes()
    {
        // Only continuation bytes: no boundary near, cut at the limit.
        const QByteArray bytes(10, char(0x80));
        QCOMPARE(LineSplitter::cutPosition(bytes, 5), 5);
        QCOMPARE(LineSplitter::cutPosition("abc", 5), 3);
    }
};

QTEST_APPLESS_MAIN(tst_LineSplitter)
#include "tst_linesplitter.moc"
