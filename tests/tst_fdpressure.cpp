// SPDX-License-Identifier: MIT
// fd pressure: this test runs in its own process with RLIMIT_NOFILE lowered to 64 (see main()),
// so the limit touches nothing else of the suite.
#include "testsupport.h"

#include <taskconductor/broker.h>

#include <QtCore/qregularexpression.h>
#include <QtTest/qtest.h>

#include <sys/resource.h>

using namespace TaskConductor;
using namespace TestSupport;

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

        BrokerConfig c;
        c.maxConcurrentTasks = 50;
        c.killGraceSeconds = 0.1;
        QTest::ignoreMessage(
                QtWarningMsg,
                QRegularExpression(QStringLiteral(
                        "maxConcurrentTasks 50 does not fit the file descriptor limit")));
        Broker broker(c);
        Recorder r;
        QList<TaskId> ids;
        for (int i = 0; i < 100; ++i)
            ids << broker.enqueue(helperTask({ "slow-lines", "2", "200" }), r.handler());
        QTRY_VERIFY_WITH_TIMEOUT(broker.isIdle(), 60000);

        int finished = 0;
        int tooManyOpenFiles = 0;
        for (TaskId id : std::as_const(ids)) {
            QVERIFY2(r.exactlyOnce(id), qPrintable(QString::number(id)));
            const TaskEvent end = r.terminal(id);
            if (end.kind() == EventKind::Finished) {
                ++finished;
                continue;
            }
            QCOMPARE(end.kind(), EventKind::Failed);
            QVERIFY2(end.message().contains(QLatin1String("Too many open files")),
                     qPrintable(end.message()));
            QVERIFY(!r.kinds(id).contains(EventKind::Started));
            ++tooManyOpenFiles;
        }
        qInfo("RLIMIT_NOFILE 64, 100 tasks, cap 50: %d finished, %d failed to start", finished,
              tooManyOpenFiles);
        QVERIFY(finished > 0);
        QVERIFY(tooManyOpenFiles > 0); // else the scenario did not put the limit under pressure

        // The broker keeps working once the pressure is gone.
        const TaskId after = broker.enqueue(helperTask({ "lines", "2" }), r.handler());
        QTRY_VERIFY_WITH_TIMEOUT(r.ended(after), 10000);
        QCOMPARE(r.terminal(after).kind(), EventKind::Finished);
        QCOMPARE(r.lines(after), (QStringList { "line 1", "line 2" }));

        QTRY_COMPARE_WITH_TIMEOUT(openFdCount(), baselineFds, 10000);
        QTRY_COMPARE_WITH_TIMEOUT(processesOfOurBrokers(), QList<int>(), 10000);
        QCOMPARE(ourZombies(), QList<int>());
    }
};

int main(int argc, char **argv)
{
    rlimit limit {};
    ::getrlimit(RLIMIT_NOFILE, &limit);
    limit.rlim_cur = 64;
    if (::setrlimit(RLIMIT_NOFILE, &limit) != 0) {
        std::perror("setrlimit");
        return 1;
    }
    QCoreApplication app(argc, argv);
    tst_FdPressure test;
    return QTest::qExec(&test, argc, argv);
}

#include "tst_fdpressure.moc"
