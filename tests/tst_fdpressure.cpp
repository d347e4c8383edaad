// SPDX-License-Identifier: MIT
// fd pressure: this test runs in its own process with RLIMIT_NOFILE lowered to 64 (see main()),
// so the limit touches nothing else of the suite. More tasks at once than the limit leaves room
// for run fewer at once, all to their end, with one notice; tasks fail ("Too many open files")
// only when not even one fits.
#include "testsupport.h"

#include <taskconductor/broker.h>

#include <QtCore/qprocess.h>
#include <QtCore/qtemporarydir.h>
#include <QtTest/qtest.h>

#include <sys/resource.h>

using namespace TaskConductor;
using namespace TestSupport;

namespace {

constexpr int Wait = 60000;

bool setSoftFdLimit(rlim_t value)
{
    rlimit limit {};
    if (::getrlimit(RLIMIT_NOFILE, &limit) != 0)
        return false;
    limit.rlim_cur = value;
    return ::setrlimit(RLIMIT_NOFILE, &limit) == 0;
}

} // namespace

class tst_FdPressure : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void hundredTasksWithCapFiftyUnderSixtyFourFds()
    {
        rlimit limit {};
        QCOMPARE(::getrlimit(RLIMIT_NOFILE, &limit), 0);
        QCOMPARE(limit.rlim_cur, rlim_t(64));
        const int baselineFds = openFdCount();
        {
            BrokerConfig c;
            c.maxConcurrentTasks = 50;
            c.killGraceSeconds = 0.1;
            Recorder r;
            Broker broker(c);
            QStringList notices;
            connect(&broker, &Broker::internalError, this, [&](TaskId id, const QString &message) {
                if (id == 0)
                    notices << message;
            });
            int mostAtOnce = 0;
            connect(&broker, &Broker::countsChanged, this,
                    [&] { mostAtOnce = std::max(mostAtOnce, broker.runningCount()); });
            QList<TaskId> ids;
            for (int i = 0; i < 100; ++i)
                ids << broker.enqueue(helperTask({ "slow-lines", "2", "100" }), r.handler());
            QTRY_VERIFY_WITH_TIMEOUT(broker.isIdle(), Wait);

            for (TaskId id : std::as_const(ids)) {
                QVERIFY2(r.exactlyOnce(id), qPrintable(QString::number(id)));
                QVERIFY2(r.terminal(id).kind() == EventKind::Finished,
                         qPrintable(r.terminal(id).message()));
                QCOMPARE(r.lines(id), (QStringList { "slow 1", "slow 2" }));
            }
            qInfo("RLIMIT_NOFILE 64, 100 tasks, cap 50: all finished, at most %d at once",
                  mostAtOnce);
            QVERIFY(mostAtOnce > 1);
            QVERIFY(mostAtOnce < 50); // else the limit did not press
            QTRY_COMPARE_WITH_TIMEOUT(notices.size(), 1, 5000);
            QVERIFY2(notices.first().startsWith(
                             QLatin1String("50 tasks at once do not fit the file descriptor limit "
                                           "(RLIMIT_NOFILE 64")),
                     qPrintable(notices.first()));
            QCOMPARE(r.events.size(), 100 * 4); // nothing else: no failed start, no retry
        }
        QTRY_COMPARE_WITH_TIMEOUT(openFdCount(), baselineFds, 10000);
        QTRY_COMPARE_WITH_TIMEOUT(processesOfOurBrokers(), QList<int>(), 10000);
        QCOMPARE(ourZombies(), QList<int>());
    }

    // With no room for even one task, each fails to start, once, and says why; none waits.
    void nothingFitsFailsEachTaskOnce()
    {
        const int baselineFds = openFdCount();
        {
            Recorder r;
            Broker broker;
            QVERIFY(setSoftFdLimit(rlim_t(baselineFds + 3)));
            QList<TaskId> ids;
            for (int i = 0; i < 3; ++i)
                ids << broker.enqueue(helperTask({ "exit", "0" }), r.handler());
            QTRY_VERIFY_WITH_TIMEOUT(broker.isIdle(), Wait);
            QVERIFY(setSoftFdLimit(64));
            for (TaskId id : std::as_const(ids)) {
                QCOMPARE(r.kinds(id), QList<EventKind> { EventKind::Failed });
                QVERIFY2(r.terminal(id).message().contains(QLatin1String("Too many open files")),
                         qPrintable(r.terminal(id).message()));
            }
            // The broker works once there is room again.
            const TaskId after = broker.enqueue(helperTask({ "lines", "1" }), r.handler());
            QTRY_VERIFY_WITH_TIMEOUT(r.ended(after), Wait);
            QCOMPARE(r.terminal(after).kind(), EventKind::Finished);
        }
        QVERIFY(setSoftFdLimit(64));
        QTRY_COMPARE_WITH_TIMEOUT(openFdCount(), baselineFds, 10000);
        QCOMPARE(ourZombies(), QList<int>());
    }

    // The CLI under `ulimit -n 32` with -j 16: every one of 100 tasks finishes, and stderr says
    // once how many run at once instead.
    void cliUnderThirtyTwoFdsWithSixteenJobs()
    {
#ifndef TC_CLI_PATH
        QSKIP("the CLI is not built");
#else
        QTemporaryDir dir;
        const QString tasks = dir.filePath(QStringLiteral("tasks.jsonl"));
        {
            QFile file(tasks);
            QVERIFY(file.open(QIODevice::WriteOnly));
            const QByteArray line = "{\"command\": [\"" + helper().toUtf8()
                    + "\", \"slow-lines\", \"2\", \"20\"]}\n";
            for (int i = 0; i < 100; ++i)
                file.write(line);
        }
        QProcess cli;
        cli.setChildProcessModifier([] { setSoftFdLimit(32); });
        cli.start(QStringLiteral(TC_CLI_PATH), { "run", "--events", "json", "-j", "16", tasks });
        QVERIFY(cli.waitForFinished(Wait));
        const QByteArray out = cli.readAllStandardOutput();
        const QByteArray err = cli.readAllStandardError();
        QVERIFY2(cli.exitStatus() == QProcess::NormalExit && cli.exitCode() == 0, err.constData());
        QCOMPARE(out.count("\"event\":\"finished\""), 100);
        QCOMPARE(out.count("\"event\":\"failed\""), 0);
        QCOMPARE(err.count("16 tasks at once do not fit the file descriptor limit "
                           "(RLIMIT_NOFILE 32"),
                 1);
#endif
    }
};

int main(int argc, char **argv)
{
    if (!setSoftFdLimit(64)) {
        std::perror("setrlimit");
        return 1;
    }
    QCoreApplication app(argc, argv);
    tst_FdPressure test;
    return QTest::qExec(&test, argc, argv);
}

#include "tst_fdpressure.moc"
