// SPDX-License-Identifier: MIT
// QBENCHMARK microbenchmarks of the per-line and per-event paths: the line splitter, and
// TaskEvent::description() / toJson(), and the JSON text of an event through QJsonDocument and
// through TaskEvent::toJsonText().
#include "linesplitter.h"

#include <taskconductor/taskevent.h>

#include <QtCore/qjsondocument.h>
#include <QtCore/qjsonobject.h>
#include <QtTest/qtest.h>

using namespace TaskConductor;

class BenchMicro : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void splitLines_data();
    void splitLines();
    void description_data();
    void description();
    void toJson_data();
    void toJson();
    void jsonDocumentText_data();
    void jsonDocumentText();
    void toJsonText_data();
    void toJsonText();

private:
    static void addEventRows();
};

void BenchMicro::splitLines_data()
{
    QTest::addColumn<QByteArray>("chunk");
    QTest::addColumn<qsizetype>("lineCount");
    QByteArray shortLines;
    for (int i = 0; shortLines.size() < 64 * 1024; ++i)
        shortLines += "line " + QByteArray::number(i) + '\n';
    QTest::newRow("short lines, 64 KiB chunk") << shortLines << qsizetype(shortLines.count('\n'));
    const QByteArray longLines = (QByteArray(16 * 1024 - 1, 'x') + '\n').repeated(4);
    QTest::newRow("16 KiB lines, 64 KiB chunk") << longLines << qsizetype(4);
    QByteArray crlf = shortLines;
    crlf.replace("\n", "\r\n");
    QTest::newRow("short CRLF lines") << crlf << qsizetype(crlf.count('\n'));
}

void BenchMicro::splitLines()
{
    QFETCH(QByteArray, chunk);
    QFETCH(qsizetype, lineCount);
    LineSplitter splitter;
    qsizetype lines = 0;
    QBENCHMARK
    {
        lines = 0;
        splitter.feed(chunk, [&](QByteArrayView) { ++lines; });
    }
    QCOMPARE(lines, lineCount);
}

void BenchMicro::addEventRows()
{
    QTest::addColumn<TaskEvent>("event");
    QTest::newRow("started") << TaskEvent::started(7, 1,
                                                   { QStringLiteral("/usr/bin/rsync"),
                                                     QStringLiteral("-a"), QStringLiteral("src/"),
                                                     QStringLiteral("dst/") },
                                                   QStringLiteral("/home/user/project"));
    QTest::newRow("stdout") << TaskEvent::output(7, 1, OutputChannel::Stdout,
                                                 QStringLiteral("sending incremental file list"));
    QTest::newRow("finished") << TaskEvent::finished(7, 1, 1234);
    QTest::newRow("failed") << TaskEvent::failed(7, 2, -11, 55,
                                                 QStringLiteral("crashed with signal 11"));
}

void BenchMicro::description_data()
{
    addEventRows();
}

void BenchMicro::description()
{
    QFETCH(TaskEvent, event);
    QString text;
    QBENCHMARK
    {
        text = event.description();
    }
    QVERIFY(!text.isEmpty());
}

void BenchMicro::toJson_data()
{
    addEventRows();
}

void BenchMicro::toJson()
{
    QFETCH(TaskEvent, event);
    QJsonObject json;
    QBENCHMARK
    {
        json = event.toJson();
    }
    QCOMPARE(json.value(QLatin1String("id")).toInt(), 7);
}

void BenchMicro::jsonDocumentText_data()
{
    addEventRows();
}

// What a JSON event stream paid per event through Qt's JSON classes: the object and its text.
void BenchMicro::jsonDocumentText()
{
    QFETCH(TaskEvent, event);
    QByteArray text;
    QBENCHMARK
    {
        text = QJsonDocument(event.toJson()).toJson(QJsonDocument::Compact);
    }
    QVERIFY(text.startsWith("{"));
}

void BenchMicro::toJsonText_data()
{
    addEventRows();
}

// The same text written directly (what the CLI and the JSON Lines sink use).
void BenchMicro::toJsonText()
{
    QFETCH(TaskEvent, event);
    QString text;
    QBENCHMARK
    {
        text = event.toJsonText();
    }
    QVERIFY(text.startsWith(u'{'));
}

QTEST_GUILESS_MAIN(BenchMicro)
#include "bench_micro.moc"
