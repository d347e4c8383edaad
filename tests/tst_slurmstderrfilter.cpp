// SPDX-License-Identifier: MIT
// The filter of srun's stderr on its own. Tests a private piece (src/slurm): it links
// TaskConductor::PrivateHeaders.
#include "slurmstderrfilter.h"

#include <QtTest/qtest.h>

using namespace TaskConductor;

class tst_SlurmStderrFilter : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void separatesSlurmLines_data()
    {
        QTest::addColumn<QByteArrayList>("chunks");
        QTest::addColumn<QByteArray>("task");
        QTest::addColumn<QStringList>("messages");
        QTest::addColumn<QString>("state");
        QTest::newRow("task only") << QByteArrayList { "a\nb\n" } << QByteArray("a\nb\n")
                                   << QStringList() << QString();
        QTest::newRow("exit report")
                << QByteArrayList { "err\n",
                                    "srun: error: node1: task 0: Exited with exit code 7\n" }
                << QByteArray("err\n")
                << QStringList { "srun: error: node1: task 0: Exited with exit code 7" }
                << "Exited with exit code 7";
        QTest::newRow("signal report split in chunks")
                << QByteArrayList { "sr", "un: error: n: task 0: Segm", "entation fault\n" }
                << QByteArray() << QStringList { "srun: error: n: task 0: Segmentation fault" }
                << "Segmentation fault";
        QTest::newRow("slurmstepd notice")
                << QByteArrayList { "x\nslurmstepd-n1: error: *** STEP 3.1 CANCELLED ***\ny" }
                << QByteArray("x\ny")
                << QStringList { "slurmstepd-n1: error: *** STEP 3.1 CANCELLED ***" } << QString();
        QTest::newRow("lookalikes are the task's")
                << QByteArrayList { "sru\n", "srunx\n", "slurm\n", "s", "rv: 1\n" }
                << QByteArray("sru\nsrunx\nslurm\nsrv: 1\n") << QStringList() << QString();
        QTest::newRow("prefix in the middle of a line")
                << QByteArrayList { "say srun: no\n" } << QByteArray("say srun: no\n")
                << QStringList() << QString();
    }

    void separatesSlurmLines()
    {
        QFETCH(QByteArrayList, chunks);
        QFETCH(QByteArray, task);
        QFETCH(QStringList, messages);
        QFETCH(QString, state);
        SlurmStderrFilter filter;
        QByteArray out;
        const auto sink = [&out](QByteArrayView bytes) { out.append(bytes); };
        for (const QByteArray &chunk : chunks)
            filter.feed(chunk, sink);
        filter.flush(sink);
        QCOMPARE(out, task);
        QCOMPARE(filter.messages(), messages);
        QCOMPARE(filter.taskState(), state);
    }

    void taskBytesAreNotHeldLonger()
    {
        // A partial task line goes on as soon as it cannot be srun's, not at the line break.
        SlurmStderrFilter filter;
        QByteArray out;
        filter.feed("progress 5", [&out](QByteArrayView bytes) { out.append(bytes); });
        QCOMPARE(out, QByteArray("progress 5"));
    }

    void memoryStaysBounded()
    {
        SlurmStderrFilter filter;
        QByteArray out;
        const auto sink = [&out](QByteArrayView bytes) { out.append(bytes); };
        filter.feed("srun: ", sink);
        for (int i = 0; i < 1000; ++i)
            filter.feed(QByteArray(1024, 'x'), sink);
        filter.feed("\n", sink);
        QVERIFY(out.isEmpty());
        QCOMPARE(filter.messages().size(), 1);
        QVERIFY(filter.messages().first().size() <= 4096);
        for (int i = 0; i < 100; ++i)
            filter.feed("srun: m\n", sink);
        QCOMPARE(filter.messages().size(), 32);
    }
};

QTEST_GUILESS_MAIN(tst_SlurmStderrFilter)
#include "tst_slurmstderrfilter.moc"
