// SPDX-License-Identifier: MIT
// What the Slurm executor reads from Slurm's clients (sinfo sizes and time limits, squeue
// reasons), on its own. Tests a private piece (src/slurm): it links TaskConductor::PrivateHeaders.
#include "slurmclient.h"
#include "slurmstepscript.h"

#include <QtCore/qelapsedtimer.h>
#include <QtCore/qprocess.h>

#include <QtTest/qtest.h>

using namespace TaskConductor;

class tst_SlurmClient : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void minutesOf_data()
    {
        QTest::addColumn<QString>("time");
        QTest::addColumn<int>("minutes");
        QTest::newRow("minutes") << "30" << 30;
        QTest::newRow("minutes:seconds") << "30:00" << 30;
        QTest::newRow("seconds round up") << "0:10" << 1;
        QTest::newRow("hours:minutes:seconds") << "2:00:00" << 120;
        QTest::newRow("days-hours") << "1-12" << 36 * 60;
        QTest::newRow("days-hours:minutes:seconds") << "1-00:00:00" << 24 * 60;
        QTest::newRow("infinite") << "infinite" << -1;
        QTest::newRow("UNLIMITED") << "UNLIMITED" << -1;
        QTest::newRow("n/a") << "n/a" << -1;
        QTest::newRow("too many fields") << "1:2:3:4" << -1;
    }

    void minutesOf()
    {
        QFETCH(QString, time);
        QFETCH(int, minutes);
        QCOMPARE(SlurmClient::minutesOf(time), minutes);
    }

    void partitionSize_data()
    {
        QTest::addColumn<QString>("sinfo");
        QTest::addColumn<QString>("partition");
        QTest::addColumn<int>("cpus");
        QTest::addColumn<int>("minutes");
        const QString two = QStringLiteral("debug* 0/2/0/2 infinite\nbig 10/30/8/48 2-00:00:00\n");
        QTest::newRow("default partition") << two << QString() << 2 << -1;
        QTest::newRow("named, drained CPUs left out") << two << "big" << 40 << 48 * 60;
        QTest::newRow("list: the largest") << two << "debug,big" << 40 << 48 * 60;
        QTest::newRow("unknown partition") << two << "nope" << -1 << -1;
        QTest::newRow("lines summed") << "p* 1/1/0/2 30\np* 0/4/0/4 30\n" << QString() << 6 << 30;
        QTest::newRow("sinfo failed") << QString() << QString() << -1 << -1;
    }

    void partitionSize()
    {
        QFETCH(QString, sinfo);
        QFETCH(QString, partition);
        QFETCH(int, cpus);
        QFETCH(int, minutes);
        const SlurmClient::PartitionSize size = SlurmClient::partitionSize(sinfo, partition);
        QCOMPARE(size.usableCpus, cpus);
        QCOMPARE(size.maxMinutes, minutes);
    }

    void reasonIsFinal_data()
    {
        QTest::addColumn<QString>("reason");
        QTest::addColumn<bool>("final");
        QTest::newRow("PartitionConfig") << "PartitionConfig" << true;
        QTest::newRow("PartitionTimeLimit") << "PartitionTimeLimit" << true;
        QTest::newRow("InvalidAccount") << "InvalidAccount" << true;
        QTest::newRow("per-job QOS limit") << "QOSMaxCpuPerJobLimit" << true;
        QTest::newRow("Resources") << "Resources" << false;
        QTest::newRow("Priority") << "Priority" << false;
        QTest::newRow("per-user QOS limit") << "QOSMaxCpuPerUserLimit" << false;
        QTest::newRow("ReqNodeNotAvail") << "ReqNodeNotAvail" << false;
        QTest::newRow("None") << "None" << false;
    }

    void reasonIsFinal()
    {
        QFETCH(QString, reason);
        QFETCH(bool, final);
        QCOMPARE(SlurmClient::reasonIsFinal(reason), final);
    }

    void hasOption()
    {
        const QString time = QStringLiteral("--time");
        const QString t = QStringLiteral("-t");
        QVERIFY(SlurmClient::hasOption({ "--mem=1G", "--time=30" }, time, t));
        QVERIFY(SlurmClient::hasOption({ "--time", "30" }, time, t));
        QVERIFY(SlurmClient::hasOption({ "-t30" }, time, t));
        QVERIFY(!SlurmClient::hasOption({ "--time-min=10", "--test-only" }, time, t));
        QVERIFY(!SlurmClient::hasOption({}, time, t));
    }

    // The holder script salloc runs, on its own under /bin/sh: the release word ends it at once;
    // a bare end of file (its host died) ends it only after salloc's SIGTERM handler had time
    // to relinquish the job (slurmstepscript.h says why).
    void holderScriptEndsOnRelease()
    {
        QProcess holder;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("SLURM_JOB_ID"), QStringLiteral("42"));
        holder.setProcessEnvironment(env);
        holder.start(QStringLiteral("/bin/sh"),
                     { QStringLiteral("-c"), QString::fromLatin1(slurmHolderScript) });
        QVERIFY(holder.waitForReadyRead(10000));
        QCOMPARE(holder.readLine(), QByteArray("tc-holding 42\n"));
        QElapsedTimer released;
        released.start();
        holder.write(slurmHolderRelease);
        holder.closeWriteChannel();
        QVERIFY(holder.waitForFinished(10000));
        QCOMPARE(holder.exitCode(), 0);
        QVERIFY2(released.elapsed() < 1500, "the release word must not wait for the grace");
    }

    void holderScriptOutlivesItsHostBriefly()
    {
        QProcess holder;
        holder.start(QStringLiteral("/bin/sh"),
                     { QStringLiteral("-c"), QString::fromLatin1(slurmHolderScript) });
        QVERIFY(holder.waitForReadyRead(10000));
        QElapsedTimer eof;
        eof.start();
        holder.closeWriteChannel(); // as when the host dies
        QVERIFY(holder.waitForFinished(10000));
        QVERIFY2(eof.elapsed() >= 1500, "a bare end of file must leave salloc's handler time");
    }
};

QTEST_GUILESS_MAIN(tst_SlurmClient)
#include "tst_slurmclient.moc"
