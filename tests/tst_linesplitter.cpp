// SPDX-License-Identifier: MIT
// The line splitter on its own. Tests a private piece (src/core/linesplitter.h): it links
// TaskConductor::PrivateHeaders.
#include "linesplitter.h"

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
