// SPDX-License-Identifier: MIT
// A host that dies takes its tasks along: the CLI killed with SIGKILL leaves none of its tasks'
// processes (group members, setsid escapees, ones with a scrubbed environment), its guardian
// does not linger after a clean end, and a resumed run ends what a killed run left before it
// reruns anything. Tasks started from the Broker's thread survive the end of other threads
// (the parent-death signal follows the thread that forked).
#include "testsupport.h"

#include <taskconductor/broker.h>

#include <QtCore/qelapsedtimer.h>
#include <QtCore/qjsonarray.h>
#include <QtCore/qjsondocument.h>
#include <QtCore/qjsonobject.h>
#include <QtCore/qprocess.h>
#include <QtCore/qregularexpression.h>
#include <QtCore/qtemporarydir.h>
#include <QtCore/qthread.h>
#include <QtTest/qtest.h>

#include <memory>

#include <csignal>

using namespace TaskConductor;
using namespace TestSupport;

namespace {

constexpr int Wait = 20000;
// How soon after the host's SIGKILL every process of its tasks is gone (README, Guarantees).
constexpr int GoneWithinMs = 2000;

// The processes whose parent is \a parent and whose name (comm) is \a name.
QList<int> childrenNamed(qint64 parent, const QByteArray &name)
{
    QList<int> found;
    for (const ProcessStat &process : processStats()) {
        if (process.parent == parent && process.name == name)
            found.append(process.pid);
    }
    return found;
}

QList<int> alive(const QList<int> &pids)
{
    QList<int> out;
    for (int pid : pids) {
        if (processAlive(pid))
            out.append(pid);
    }
    return out;
}

// The CLI, as a user runs it, with its JSON events read as they come.
class Cli
{
public:
    void start(const QStringList &args)
    {
        m_process.setProcessEnvironment(QProcessEnvironment::systemEnvironment());
        m_process.start(QStringLiteral(TC_CLI_PATH), args);
    }
    QProcess &process() { return m_process; }
    // Reads what arrived; returns the "line" of every stdout event so far.
    QStringList lines()
    {
        m_buffer += m_process.readAllStandardOutput();
        qsizetype end;
        while ((end = m_buffer.indexOf('\n')) >= 0) {
            const QJsonObject event = QJsonDocument::fromJson(m_buffer.left(end)).object();
            m_buffer.remove(0, end + 1);
            if (event.value(QLatin1String("event")).toString() == QLatin1String("stdout"))
                m_lines.append(event.value(QLatin1String("line")).toString());
        }
        return m_lines;
    }
    // The pids a "family" task printed ("task PID", "descendant PID").
    QList<int> familyPids()
    {
        QList<int> pids;
        for (const QString &line : lines()) {
            if (line.startsWith(QLatin1String("task "))
                || line.startsWith(QLatin1String("descendant ")))
                pids.append(line.section(QLatin1Char(' '), 1).toInt());
        }
        return pids;
    }
    int count(const QString &line) { return int(lines().count(line)); }

private:
    QProcess m_process;
    QByteArray m_buffer;
    QStringList m_lines;
};

QString writeTaskFile(const QTemporaryDir &dir, const QStringList &familyArgs, int copies)
{
    const QString path = dir.filePath(QStringLiteral("tasks.jsonl"));
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly))
        return {};
    QJsonArray command { helper(), QStringLiteral("family") };
    for (const QString &arg : familyArgs)
        command.append(arg);
    const QByteArray line = QJsonDocument(QJsonObject { { QStringLiteral("command"), command } })
                                    .toJson(QJsonDocument::Compact);
    for (int i = 0; i < copies; ++i)
        file.write(line + '\n');
    return path;
}

} // namespace

class tst_HostDeath : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(QFile::exists(helper()));
        QVERIFY(QFile::exists(QStringLiteral(TC_CLI_PATH)));
    }

    void cleanup()
    {
        for (int pid : std::as_const(m_started))
            ::kill(pid, SIGKILL); // whatever a failed test left
        m_started.clear();
    }

    // Three tasks, each with a descendant in its group, one that left it (setsid) and one in
    // the group with an empty environment (no marker): SIGKILL of the CLI ends all of them,
    // and its guardian, within GoneWithinMs; a process that merely resembles a task of the CLI
    // (another Broker's marker) is left alone.
    void killedCliTakesItsTasksAlong()
    {
        QTemporaryDir dir;
        const QString tasks = writeTaskFile(dir, { "-", "group", "setsid", "scrubbed" }, 3);
        Cli cli;
        cli.start({ "run", "--events", "json", "-j", "3", tasks });
        QVERIFY(cli.process().waitForStarted());
        QTRY_COMPARE_WITH_TIMEOUT(cli.count(QStringLiteral("ready")), 3, Wait);
        const QList<int> family = cli.familyPids();
        m_started += family;
        QCOMPARE(family.size(), 3 * 4);
        QCOMPARE(alive(family), family);
        const qint64 cliPid = cli.process().processId();
        // One per Broker, forked at its first task (named once it runs: wait for that).
        QTRY_COMPARE_WITH_TIMEOUT(childrenNamed(cliPid, "tc-guardian").size(), 1, Wait);
        const QList<int> guardians = childrenNamed(cliPid, "tc-guardian");
        m_started += guardians;

        QProcess bystander;
        QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
        environment.insert(QStringLiteral("TASKCONDUCTOR_BROKER"),
                           QStringLiteral("%1:0:1").arg(cliPid)); // the CLI's pid, no Broker of it
        bystander.setProcessEnvironment(environment);
        bystander.start(helper(), { "hang" });
        QVERIFY(bystander.waitForReadyRead(Wait));

        QElapsedTimer clock;
        clock.start();
        ::kill(pid_t(cliPid), SIGKILL);
        QTRY_COMPARE_WITH_TIMEOUT(alive(family), QList<int>(), GoneWithinMs);
        qInfo("every process of the killed CLI's tasks was gone %lld ms after SIGKILL",
              clock.elapsed());
        QTRY_COMPARE_WITH_TIMEOUT(alive(guardians), QList<int>(), GoneWithinMs);
        QTRY_COMPARE_WITH_TIMEOUT(cli.process().state(), QProcess::NotRunning, Wait);
        QCOMPARE(cli.process().exitStatus(), QProcess::CrashExit);

        QCOMPARE(bystander.state(), QProcess::Running);
        bystander.kill();
        QVERIFY(bystander.waitForFinished(Wait));
    }

    // The guardian of a clean run exits with it: the CLI leaves no process behind.
    void cleanRunLeavesNoGuardian()
    {
        QTemporaryDir dir;
        const QString tasks = writeTaskFile(dir, { "-", "group" }, 1);
        Cli cli;
        cli.start({ "run", "--events", "json", tasks });
        QVERIFY(cli.process().waitForStarted());
        QTRY_COMPARE_WITH_TIMEOUT(cli.count(QStringLiteral("ready")), 1, Wait);
        const qint64 cliPid = cli.process().processId();
        QTRY_COMPARE_WITH_TIMEOUT(childrenNamed(cliPid, "tc-guardian").size(), 1, Wait);
        const QList<int> guardians = childrenNamed(cliPid, "tc-guardian");
        m_started += guardians + cli.familyPids();
        ::kill(pid_t(cliPid), SIGTERM); // the graceful stop
        QVERIFY(cli.process().waitForFinished(Wait));
        QCOMPARE(cli.process().exitStatus(), QProcess::NormalExit);
        // A killed process dies, and a reparented one is reaped by init, a moment later.
        QTRY_COMPARE_WITH_TIMEOUT(alive(cli.familyPids()), QList<int>(), Wait);
        // Reaped by the CLI before it exited: not even a zombie was left to init.
        QCOMPARE(alive(guardians), QList<int>());
    }

    // In this process: a Broker's guardian exists while it has run a task and is reaped with
    // the Broker; a Broker that never started a task forks none.
    void guardianEndsWithTheBroker()
    {
        const qint64 self = QCoreApplication::applicationPid();
        QList<int> guardians;
        {
            Broker idle;
            QCOMPARE(childrenNamed(self, "tc-guardian"), QList<int>());
            Recorder r;
            Broker broker;
            const TaskId id = broker.enqueue(helperTask({ "lines", "1" }), r.handler());
            QTRY_VERIFY_WITH_TIMEOUT(r.ended(id), Wait);
            QTRY_COMPARE_WITH_TIMEOUT(childrenNamed(self, "tc-guardian").size(), 1, Wait);
            guardians = childrenNamed(self, "tc-guardian");
        }
        QCOMPARE(alive(guardians), QList<int>());
        QCOMPARE(ourZombies(), QList<int>());
    }

    // A guardian killed under a living Broker is noticed at the next start (the host no longer
    // writes to it per task): a warning, the guardian reaped, and the task still runs.
    void killedGuardianIsNoticedAtTheNextStart()
    {
        const qint64 self = QCoreApplication::applicationPid();
        Recorder r;
        Broker broker;
        const TaskId first = broker.enqueue(helperTask({ "lines", "1" }), r.handler());
        QTRY_VERIFY_WITH_TIMEOUT(r.ended(first), Wait);
        QTRY_COMPARE_WITH_TIMEOUT(childrenNamed(self, "tc-guardian").size(), 1, Wait);
        const QList<int> guardians = childrenNamed(self, "tc-guardian");
        QCOMPARE(::kill(guardians.first(), SIGKILL), 0); // our child: reaped by the Broker
        // A zombie until the host reaps it; its socket reads end-of-file once it is dead.
        QTRY_VERIFY_WITH_TIMEOUT(
                [&] {
                    for (const ProcessStat &process : processStats()) {
                        if (process.pid == guardians.first())
                            return process.state == 'Z';
                    }
                    return false;
                }(),
                Wait);
        QTest::ignoreMessage(
                QtWarningMsg,
                QRegularExpression(
                        QStringLiteral("the session guardian %1 is gone").arg(guardians.first())));
        const TaskId second = broker.enqueue(helperTask({ "lines", "1" }), r.handler());
        QTRY_VERIFY_WITH_TIMEOUT(r.ended(second), Wait);
        QCOMPARE(r.terminal(second).kind(), EventKind::Finished);
        QVERIFY(r.exactlyOnce(second));
        QCOMPARE(childrenNamed(self, "tc-guardian"), QList<int>()); // reaped, not forked again
        QCOMPARE(ourZombies(), QList<int>());
    }

    // The parent-death signal fires when the *thread* that forked dies. Tasks are forked in
    // the Broker's thread, whichever thread enqueued them: a thread that enqueues and ends at
    // once takes nothing along.
    void tasksSurviveTheThreadThatEnqueuedThem()
    {
        Recorder r;
        Broker broker;
        TaskId id = 0;
        std::unique_ptr<QThread> thread(QThread::create([&] {
            id = broker.enqueue(helperTask({ "slow-lines", "3", "100" }), r.handler());
        }));
        thread->start();
        QVERIFY(thread->wait(Wait));
        thread.reset();
        QTRY_VERIFY_WITH_TIMEOUT(r.ended(id), Wait);
        QCOMPARE(r.terminal(id).kind(), EventKind::Finished);
        QCOMPARE(r.lines(id), (QStringList { "slow 1", "slow 2", "slow 3" }));
    }

    // A run killed together with its guardian (as by an out-of-memory kill of both) leaves
    // its tasks' descendants running; resumed on the same store, the CLI ends them before it
    // reruns the task. The task holds a lock that its descendants inherit, so a second copy
    // beside a leftover would fail ("locked by a leftover").
    void resumeEndsWhatTheKilledRunLeft()
    {
        QTemporaryDir dir;
        const QString lock = dir.filePath(QStringLiteral("lock"));
        const QString tasks = writeTaskFile(dir, { lock, "group", "setsid" }, 1);
        const QStringList args {
            "run", "--events", "json", "--store", dir.filePath(QStringLiteral("tasks.db")), tasks
        };
        Cli first;
        first.start(args);
        QVERIFY(first.process().waitForStarted());
        QTRY_COMPARE_WITH_TIMEOUT(first.count(QStringLiteral("ready")), 1, Wait);
        const QList<int> family = first.familyPids();
        m_started += family;
        QCOMPARE(family.size(), 3);
        QTRY_COMPARE_WITH_TIMEOUT(childrenNamed(first.process().processId(), "tc-guardian").size(),
                                  1, Wait);
        const QList<int> guardians = childrenNamed(first.process().processId(), "tc-guardian");
        m_started += guardians;
        ::kill(guardians.first(), SIGKILL);
        QTRY_COMPARE_WITH_TIMEOUT(alive(guardians), QList<int>(), Wait);
        ::kill(pid_t(first.process().processId()), SIGKILL);
        QTRY_COMPARE_WITH_TIMEOUT(first.process().state(), QProcess::NotRunning, Wait);
        // The task's main process dies of the parent-death signal; its descendants remain.
        QTRY_VERIFY_WITH_TIMEOUT(!processAlive(family.first()), Wait);
        const QList<int> leftovers = family.mid(1);
        QCOMPARE(alive(leftovers), leftovers);

        Cli second;
        second.start(args);
        QVERIFY(second.process().waitForStarted());
        QTRY_VERIFY_WITH_TIMEOUT(second.count(QStringLiteral("ready")) == 1
                                         || second.count(QStringLiteral("locked by a leftover"))
                                                 == 1,
                                 Wait);
        QCOMPARE(second.count(QStringLiteral("locked by a leftover")), 0);
        QCOMPARE(alive(leftovers), QList<int>());
        m_started += second.familyPids();
        ::kill(pid_t(second.process().processId()), SIGINT);
        QVERIFY(second.process().waitForFinished(Wait));
        const QByteArray errors = second.process().readAllStandardError();
        QVERIFY2(errors.contains("ended 2 processes that an earlier run (pid "),
                 errors.constData());
        QCOMPARE(alive(second.familyPids()), QList<int>());
    }

private:
    QList<int> m_started;
};

QTEST_GUILESS_MAIN(tst_HostDeath)
#include "tst_hostdeath.moc"
