// SPDX-License-Identifier: MIT
// The fault matrix of the reliability gate: each test is a promise of the README's "Guarantees"
// section, each row a scenario. Every test ends with the leak check: no process carrying our
// brokers' marker, no zombie child, and the fd count back to its baseline. It tests private
// pieces of LocalExecutor too (the process marker, the E2BIG prediction): it links
// TaskConductor::PrivateHeaders.
#include "execlimits.h"
#include "processmarker.h"
#include "testsupport.h"

#include <taskconductor/broker.h>
#include <taskconductor/rotatingfilesink.h>

#include <QtCore/qelapsedtimer.h>
#include <QtCore/qjsondocument.h>
#include <QtCore/qjsonobject.h>
#include <QtCore/qloggingcategory.h>
#include <QtCore/qrandom.h>
#include <QtCore/qregularexpression.h>
#include <QtCore/qscopeguard.h>
#include <QtCore/qtemporarydir.h>
#include <QtCore/qtimer.h>
#include <QtTest/qsignalspy.h>
#include <QtTest/qtest.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <sys/wait.h>
#include <unistd.h>

using namespace TaskConductor;
using namespace TestSupport;

namespace {
constexpr int Wait = 20000; // upper bound only; QTRY returns as soon as the condition holds

// What one enqueue of the chaos test saw, checked against the exactly-once contract.
struct Trace
{
    TaskId id = 0;
    QList<TaskEvent> events;
    bool foreignEvent = false; // an event of another enqueue reached this handler

    int terminals() const
    {
        int n = 0;
        for (const TaskEvent &e : events)
            n += e.isTerminal() ? 1 : 0;
        return n;
    }
    // started < output < terminal, per attempt; the terminal event is the last one.
    QString orderError() const
    {
        int startedAttempt = 0;
        for (qsizetype i = 0; i < events.size(); ++i) {
            const TaskEvent &e = events.at(i);
            if (e.isTerminal() && i != events.size() - 1)
                return QStringLiteral("event after the terminal one");
            if (e.kind() == EventKind::Started)
                startedAttempt = e.attempt();
            if ((e.kind() == EventKind::Stdout || e.kind() == EventKind::Stderr)
                && e.attempt() != startedAttempt)
                return QStringLiteral("output of attempt %1 before its started").arg(e.attempt());
        }
        return QString();
    }
};
} // namespace

class tst_FaultMatrix : public QObject
{
    Q_OBJECT

private:
    int m_baselineFds = 0;

    static BrokerConfig fastConfig()
    {
        BrokerConfig c;
        c.maxConcurrentTasks = 64;
        c.killGraceSeconds = 0.1;
        return c;
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(QFile::exists(helper()));
        m_baselineFds = openFdCount();
    }

    // After every test: nothing escaped, nothing left unreaped, no descriptor leaked.
    void cleanup()
    {
        QTRY_COMPARE_WITH_TIMEOUT(processesOfOurBrokers(), QList<int>(), Wait);
        QTRY_COMPARE_WITH_TIMEOUT(ourZombies(), QList<int>(), Wait);
        QTRY_COMPARE_WITH_TIMEOUT(openFdCount(), m_baselineFds, 5000);
    }

    // ---- Exactly once under chaos --------------------------------------------------------

    void exactlyOnceUnderChaos_data()
    {
        QTest::addColumn<quint32>("seed");
        QTest::newRow("seed 1") << 1u;
        QTest::newRow("seed 2") << 2u;
        QTest::newRow("seed 3") << 3u;
    }

    void exactlyOnceUnderChaos()
    {
        QFETCH(quint32, seed);
        QRandomGenerator random(seed);
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        // Handlers that throw are part of the chaos; their warnings are expected noise here.
        QLoggingCategory::setFilterRules(QStringLiteral("taskconductor.broker.warning=false"));
        auto restoreLogging = qScopeGuard([] { QLoggingCategory::setFilterRules(QString()); });

        BrokerConfig c = fastConfig();
        c.maxQueueDepth = 400; // a burst of 500 overflows it: "queue full" is one of the faults
        c.retry.count = 1;
        c.retry.delaySeconds = 0.01;
        c.retry.jitterSeconds = 0.005;
        auto broker = std::make_unique<Broker>(c);
        constexpr int Tasks = 500;
        std::vector<Trace> traces(Tasks);

        for (int i = 0; i < Tasks; ++i) {
            TaskDescriptor task;
            switch (random.bounded(14)) {
            case 0:
                task = helperTask({ "exit", "0" });
                break;
            case 1:
                task = helperTask({ "lines", "20" });
                break;
            case 2:
                task = helperTask({ "exit", "3" });
                break; // fails, retried once
            case 3:
                task = helperTask({ "crash" });
                break;
            case 4:
                task = helperTask({ "hang" });
                break; // ends by timeout or cancel
            case 5:
                task = helperTask({ "ignore-term" });
                break; // needs SIGKILL
            case 6:
                task = helperTask({ "grandchild", "exit" });
                break;
            case 7:
                task = helperTask({ "setsid-grandchild", "exit" });
                break;
            case 8:
                task = helperTask({ "partial", "no newline" });
                break;
            case 9:
                task = helperTask({ "mixed" });
                break;
            case 10:
                task = TaskDescriptor({ dir.filePath(QStringLiteral("missing")) });
                break;
            case 11:
                task = TaskDescriptor();
                break; // rejected: empty command
            case 12:
                task = helperTask({ "succeed-on", "2", dir.filePath(QString::number(i)) });
                break;
            default:
                task = helperTask({ "slow-lines", "3", "20" });
                break;
            }
            if (random.bounded(3) == 0 || task.command().value(1) == QLatin1String("hang")
                || task.command().value(1) == QLatin1String("ignore-term"))
                task.setTimeoutSeconds(0.05 + random.bounded(0.3));
            const int cancelWhen = int(random.bounded(8)); // 0: at once, 1: when started, 2: later
            const int throwWhen = int(random.bounded(10)); // 0: on started, 1: on terminal
            Trace &trace = traces[size_t(i)];
            Broker *b = broker.get();
            trace.id = b->enqueue(task, [&trace, b, cancelWhen, throwWhen](const TaskEvent &e) {
                if (trace.id != 0 && e.taskId() != trace.id)
                    trace.foreignEvent = true;
                trace.events.append(e);
                if (e.kind() == EventKind::Started && cancelWhen == 1 && e.attempt() == 1)
                    b->cancel(e.taskId());
                if ((e.kind() == EventKind::Started && throwWhen == 0)
                    || (e.isTerminal() && throwWhen == 1))
                    throw std::runtime_error("chaos");
            });
            if (cancelWhen == 0)
                broker->cancel(trace.id);
            else if (cancelWhen == 2)
                QTimer::singleShot(int(random.bounded(300)), broker.get(),
                                   [b, id = trace.id] { b->cancel(id); });
        }

        auto allEnded = [&] {
            for (const Trace &t : traces)
                if (t.terminals() == 0)
                    return false;
            return true;
        };
        QTRY_VERIFY_WITH_TIMEOUT(allEnded(), 60000);
        QTRY_VERIFY_WITH_TIMEOUT(broker->isIdle(), Wait);
        QSet<TaskId> ids;
        for (const Trace &t : traces) {
            QVERIFY2(!t.foreignEvent, qPrintable(QStringLiteral("task %1").arg(t.id)));
            QVERIFY2(t.terminals() == 1,
                     qPrintable(QStringLiteral("task %1: %2 terminal events")
                                        .arg(t.id)
                                        .arg(t.terminals())));
            const QString order = t.orderError();
            QVERIFY2(order.isEmpty(),
                     qPrintable(QStringLiteral("task %1: %2").arg(t.id).arg(order)));
            ids.insert(t.id);
        }
        QCOMPARE(ids.size(), Tasks); // ids are never reused
        broker.reset();
    }

    // ---- Nothing escapes -----------------------------------------------------------------

    void nothingEscapes_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<QString>("ending"); // "exit", "cancel" or "timeout"
        QTest::addColumn<bool>("subreaper");
        const QStringList group { "grandchild", "exit" };
        const QStringList groupHang { "grandchild", "hang" };
        const QStringList escaped { "setsid-grandchild", "exit" };
        const QStringList escapedHang { "setsid-grandchild", "hang" };
        QTest::newRow("grandchild, parent exits") << group << "exit" << false;
        QTest::newRow("grandchild, canceled") << groupHang << "cancel" << false;
        QTest::newRow("setsid grandchild, parent exits") << escaped << "exit" << false;
        QTest::newRow("setsid grandchild, canceled") << escapedHang << "cancel" << false;
        QTest::newRow("setsid grandchild, timed out") << escapedHang << "timeout" << false;
        QTest::newRow("setsid grandchild, subreaper") << escaped << "exit" << true;
        QTest::newRow("setsid grandchild, subreaper, canceled") << escapedHang << "cancel" << true;
    }

    void nothingEscapes()
    {
        QFETCH(QStringList, args);
        QFETCH(QString, ending);
        QFETCH(bool, subreaper);
        BrokerConfig c = fastConfig();
        c.childSubreaper = subreaper;
        Recorder r;
        Broker broker(c);
        TaskDescriptor task = helperTask(args);
        if (ending == QLatin1String("timeout"))
            task.setTimeoutSeconds(0.2);
        const TaskId id = broker.enqueue(task, r.handler());
        QTRY_COMPARE_WITH_TIMEOUT(r.lines(id).size(), 1, Wait);
        const int grandchild = r.lines(id).first().split(' ').last().toInt();
        QVERIFY(grandchild > 0);
        if (ending == QLatin1String("cancel"))
            QVERIFY(broker.cancel(id));
        QTRY_VERIFY_WITH_TIMEOUT(r.ended(id), Wait);
        QVERIFY(r.exactlyOnce(id));
        // The sweep ran before the terminal event: SIGKILL is sent, at most the kernel's
        // exit path is left, so a short wait suffices.
        QTRY_VERIFY_WITH_TIMEOUT(!processAlive(grandchild), 1000);
        if (subreaper) // re-parented to us and reaped by the broker, not by init
            QVERIFY(!QFile::exists(QStringLiteral("/proc/%1").arg(grandchild)));
    }

    // The per-task sweep of a short task reads only the processes numbered after it; a pid
    // counter that wrapped around since must send it back to reading them all.
    void sweepReadsOnlyLaterPidsUnlessTheCounterWrapped()
    {
        // One descriptor read again and again, as a session does: read before the child too.
        const int loadavg = ProcessMarker::openLastPidSource();
        QVERIFY(loadavg >= 0);
        const auto closeLoadavg = qScopeGuard([loadavg] { ::close(loadavg); });
        QVERIFY(ProcessMarker::lastPid(loadavg) > 0);
        const ProcessMarker marker = ProcessMarker::forTask(987654321, 1);
        QProcess child;
        QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
        environment.insert(QString::fromLatin1(ProcessMarker::variableName()), marker.value());
        child.setProcessEnvironment(environment);
        // Threads: /proc/<tid> reads as the process, but only the process may be found.
        child.start(helper(), { "threads", "3" });
        QVERIFY(child.waitForReadyRead(10000)); // "ready": its threads and environment are there
        const qint64 pid = child.processId();
        QCOMPARE(QDir(QStringLiteral("/proc/%1/task").arg(pid))
                         .entryList(QDir::Dirs | QDir::NoDotAndDotDot)
                         .size(),
                 4);
        QVERIFY(ProcessMarker::lastPid() >= pid);
        QVERIFY(ProcessMarker::lastPid(loadavg) >= pid);
        QCOMPARE(marker.find(0, pid - 1, loadavg), QList<qint64> { pid });
        QCOMPARE(marker.find(), QList<qint64> { pid });
        QCOMPARE(marker.find(0, pid - 1), QList<qint64> { pid });
        QCOMPARE(marker.find(0, pid), QList<qint64>()); // numbered before: not read
        // A bound above the last pid given out means the numbers wrapped: everything is read.
        QCOMPARE(marker.find(0, ProcessMarker::lastPid() + 1), QList<qint64> { pid });
        // Another task's running main process is skipped by the quick sweep, never by a full one.
        ProcessMarker::setTaskProcessRunning(pid, true);
        QCOMPARE(marker.find(0, pid - 1), QList<qint64>());
        QCOMPARE(marker.find(), QList<qint64> { pid });
        ProcessMarker::setTaskProcessRunning(pid, false);
        QCOMPARE(marker.killAll(0, {}, pid - 1), 1);
        QVERIFY(child.waitForFinished(10000));
        QCOMPARE(child.exitStatus(), QProcess::CrashExit);
    }

    // The pid is asked once per process: a fork() child of the host must not see its parent's.
    void hostPidIsAskedAgainInAForkChild()
    {
        QCOMPARE(ProcessMarker::hostPid(), qint64(::getpid()));
        const pid_t child = ::fork();
        QVERIFY(child >= 0);
        if (child == 0)
            ::_exit(ProcessMarker::hostPid() == qint64(::getpid()) ? 0 : 1);
        int status = -1;
        QCOMPARE(::waitpid(child, &status, 0), child);
        QVERIFY(WIFEXITED(status));
        QCOMPARE(WEXITSTATUS(status), 0);
        QCOMPARE(ProcessMarker::hostPid(), qint64(::getpid()));
    }

    void destroyingTheBrokerWith64TasksRunning()
    {
        BrokerConfig c = fastConfig();
        c.killGraceSeconds = 0.3;
        Recorder r;
        auto broker = std::make_unique<Broker>(c);
        QList<TaskId> ids;
        const QList<QStringList> modes {
            { "hang" }, { "ignore-term" }, { "grandchild", "hang" }, { "setsid-grandchild", "hang" }
        };
        for (int i = 0; i < 64; ++i)
            ids << broker->enqueue(helperTask(modes.at(i % modes.size())), r.handler());
        auto allReady = [&] {
            for (TaskId id : ids)
                if (r.lines(id).isEmpty())
                    return false;
            return true;
        };
        QTRY_VERIFY_WITH_TIMEOUT(allReady(), Wait);
        QElapsedTimer clock;
        clock.start();
        broker.reset();
        const qint64 took = clock.elapsed();
        QVERIFY2(took <= 300 + 500, qPrintable(QStringLiteral("destruction took %1 ms").arg(took)));
        for (TaskId id : ids) {
            QVERIFY(r.exactlyOnce(id));
            QCOMPARE(r.terminal(id).kind(), EventKind::Canceled);
        }
        // No wait: destruction has stopped and reaped everything before returning.
        QCOMPARE(processesOfOurBrokers(), QList<int>());
        QCOMPARE(ourZombies(), QList<int>());
        qInfo("destroying the broker with 64 tasks running took %lld ms", took);
    }

    // ---- Start failures ------------------------------------------------------------------

    // Qt 6.4 leaks one pipe per exec() that fails in its hands, so a host that keeps starting
    // tasks whose arguments or environment are too large would run out of descriptors. They
    // are refused before forking, or by the child's own exec, which then exits: a burst of
    // them leaves the fd count where it was.
    void argumentListTooLongLeaksNoDescriptor()
    {
        const int before = openFdCount();
        {
            Recorder r;
            Broker broker(fastConfig());
            QList<TaskId> ids;
            const QString tooLong(200 * 1024, QLatin1Char('a')); // over 32 pages with any page
            for (int i = 0; i < 50; ++i) {
                TaskDescriptor task = helperTask({ "exit", "0" });
                if (i % 2 == 0)
                    task = helperTask({ "args", tooLong });
                else
                    task.setEnvironmentVariable(QStringLiteral("TC_TOO_LONG"), tooLong);
                ids << broker.enqueue(task, r.handler());
            }
            QTRY_VERIFY_WITH_TIMEOUT(broker.isIdle(), Wait);
            for (TaskId id : std::as_const(ids)) {
                QCOMPARE(r.kinds(id), QList<EventKind> { EventKind::Failed });
                // As QProcess words it, with the environment the Broker always passes.
                QVERIFY2(r.terminal(id).message().contains(
                                 QLatin1String("execve: Argument list too long")),
                         qPrintable(r.terminal(id).message()));
            }
        }
        QTRY_COMPARE_WITH_TIMEOUT(openFdCount(), before, 5000);
    }

    // The child execs the task itself: a failure only the exec sees (an executable file in no
    // format the kernel knows) is reported with the exec's own error, and leaks nothing.
    void failureOnlyTheExecSeesKeepsItsError()
    {
        QTemporaryDir dir;
        QFile file(dir.filePath(QStringLiteral("not-a-program")));
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write("\x01\x02 no format\n");
        file.close();
        QVERIFY(file.setPermissions(QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner));
        const int before = openFdCount();
        {
            Recorder r;
            Broker broker(fastConfig());
            const TaskId id = broker.enqueue(TaskDescriptor({ file.fileName() }), r.handler());
            const TaskId after = broker.enqueue(helperTask({ "exit", "0" }), r.handler());
            QTRY_VERIFY_WITH_TIMEOUT(r.ended(id) && r.ended(after), Wait);
            QCOMPARE(r.kinds(id), QList<EventKind> { EventKind::Failed });
            const QString message = r.terminal(id).message();
            QVERIFY2(message.endsWith(QStringLiteral(": execvp: ")
                                      + QString::fromLocal8Bit(::strerror(ENOEXEC))),
                     qPrintable(message));
            QCOMPARE(r.terminal(after).kind(), EventKind::Finished);
        }
        // Qt 6.4 leaks one descriptor per exec that fails in its hands (QPROCESS-NOTES); the
        // child that failed its own exec exits instead, and QProcess sees a process that ran.
        QTRY_COMPARE_WITH_TIMEOUT(openFdCount(), before, 5000);
    }

    // The environment a task gets, byte for byte: a value that is not UTF-8 (which
    // QProcessEnvironment can only give back as U+FFFD, so QProcess passes that environment)
    // and one that is (encoded by the session for the child's own exec).
    void environmentReachesTheTaskByteForByte()
    {
        const QByteArray notUtf8("caf\xe9 \xff");
        const QByteArray utf8("caf\xc3\xa9 \xe2\x9c\x93 =x");
        qputenv("TC_BYTES", notUtf8);
        Recorder r; // task ids are per Broker: one Recorder each
        Recorder utf8Recorder;
        Broker brokerWithBytes(fastConfig()); // takes the host's environment now
        qputenv("TC_BYTES", utf8);
        Broker broker(fastConfig());
        qunsetenv("TC_BYTES");
        const TaskId bytes =
                brokerWithBytes.enqueue(helperTask({ "environ-hex", "TC_BYTES" }), r.handler());
        const TaskId text =
                broker.enqueue(helperTask({ "environ-hex", "TC_BYTES" }), utf8Recorder.handler());
        QTRY_VERIFY_WITH_TIMEOUT(r.ended(bytes) && utf8Recorder.ended(text), Wait);
        QCOMPARE(r.lines(bytes), QStringList { QString::fromLatin1(notUtf8.toHex()) });
        QCOMPARE(utf8Recorder.lines(text), QStringList { QString::fromLatin1(utf8.toHex()) });
    }

    // The E2BIG prediction, against limits given to it: exactly at a limit still execs.
    void execLimitsPrediction_data()
    {
        QTest::addColumn<QStringList>("argv");
        QTest::addColumn<QStringList>("environment"); // NAME=value
        QTest::addColumn<bool>("exceeds");
        // Limits: 16 bytes per string with its NUL, 100 bytes of strings and pointers.
        QTest::newRow("small") << QStringList { "/bin/x", "a" } << QStringList { "A=1" } << false;
        QTest::newRow("argument of 15 bytes (16 with NUL)")
                << QStringList { "/bin/x", QString(15, 'a') } << QStringList() << false;
        QTest::newRow("argument of 16 bytes")
                << QStringList { "/bin/x", QString(16, 'a') } << QStringList() << true;
        QTest::newRow("variable of 16 bytes")
                << QStringList { "/bin/x" } << QStringList { "A=" + QString(14, 'v') } << true;
        QTest::newRow("UTF-8 counts in bytes") // 8 characters, 16 bytes
                << QStringList { "/bin/x", QString(8, QChar(0xe9)) } << QStringList() << true;
        // Five times "abcde" takes 5 × (6 + 8) = 70; "A=bcdef" 16, "B=cde" 14, "B=cdef" 15.
        QTest::newRow("total 100 exactly")
                << QStringList(5, "abcde") << QStringList { "A=bcdef", "B=cde" } << false;
        QTest::newRow("total 101")
                << QStringList(5, "abcde") << QStringList { "A=bcdef", "B=cdef" } << true;
        // A byte that is not UTF-8 comes back from QProcessEnvironment as U+FFFD (3 bytes):
        // counted as the one byte the child gets.
        QTest::newRow("replacement character counts as one byte")
                << QStringList { "/bin/x" } << QStringList { "A=" + QString(12, QChar(0xfffd)) }
                << false;
    }
    void execLimitsPrediction()
    {
        QFETCH(QStringList, argv);
        QFETCH(QStringList, environment);
        QFETCH(bool, exceeds);
        QProcessEnvironment env;
        for (const QString &variable : environment)
            env.insert(variable.section('=', 0, 0), variable.section('=', 1));
        ExecLimits limits;
        limits.maxStringBytes = 16;
        limits.maxTotalBytes = 100;
        QCOMPARE(exceedsExecLimits(argv, env, limits), exceeds);
        // The same with the last variable given apart (as the marker is), and asked twice: the
        // environment's remembered size gives the same answer as counting it.
        if (!environment.isEmpty()) {
            QProcessEnvironment rest;
            for (const QString &variable : environment.first(environment.size() - 1))
                rest.insert(variable.section('=', 0, 0), variable.section('=', 1));
            QCOMPARE(exceedsExecLimits(argv, rest, limits, environment.last()), exceeds);
            QCOMPARE(exceedsExecLimits(argv, rest, limits, environment.last()), exceeds);
        }
    }

    // A command within the guaranteed limits is not checked against the current ones (which
    // cost a system call): that is only right if no host allows less.
    void guaranteedExecLimitsAreNeverAboveTheCurrentOnes()
    {
        const ExecLimits guaranteed = ExecLimits::guaranteed();
        const ExecLimits current = ExecLimits::current();
        QCOMPARE(guaranteed.maxStringBytes, current.maxStringBytes);
        QVERIFY(guaranteed.maxTotalBytes >= 128 * 1024);
        QVERIFY(guaranteed.maxTotalBytes <= current.maxTotalBytes);
    }

    // The environment's size is remembered only while the same environment comes back: one
    // that changed (or another one) is counted again.
    void execLimitsFollowAChangedEnvironment()
    {
        ExecLimits limits;
        limits.maxStringBytes = 16;
        limits.maxTotalBytes = 100;
        QProcessEnvironment env;
        env.insert(QStringLiteral("A"), QStringLiteral("1"));
        const QStringList argv { QStringLiteral("/bin/x") };
        QVERIFY(!exceedsExecLimits(argv, env, limits));
        const QProcessEnvironment kept = env; // shares the data the prediction remembered
        env.insert(QStringLiteral("B"), QString(14, u'v')); // 16 bytes: too long
        QVERIFY(exceedsExecLimits(argv, env, limits));
        QVERIFY(!exceedsExecLimits(argv, kept, limits));
        QVERIFY(exceedsExecLimits(argv, kept, limits, QStringLiteral("M=") + QString(14, u'x')));
        limits.maxStringBytes = 4; // "A=1" has 4 with its NUL; "/bin/x" is too long now
        QVERIFY(exceedsExecLimits(argv, kept, limits));
    }

    // The prediction refuses nothing the kernel accepts: the longest argument it lets through
    // runs, the next byte is refused before forking.
    void longestArgumentTheKernelAcceptsRuns()
    {
        const qint64 longest = ExecLimits::current().maxStringBytes - 1; // plus its NUL
        Recorder r;
        Broker broker(fastConfig());
        const TaskId fits =
                broker.enqueue(helperTask({ "exit", "0", QString(longest, 'a') }), r.handler());
        const TaskId over =
                broker.enqueue(helperTask({ "exit", "0", QString(longest + 1, 'a') }), r.handler());
        QTRY_VERIFY_WITH_TIMEOUT(r.ended(fits) && r.ended(over), Wait);
        QCOMPARE(r.terminal(fits).kind(), EventKind::Finished);
        QCOMPARE(r.kinds(over), QList<EventKind> { EventKind::Failed });
        QVERIFY2(r.terminal(over).message().contains("Argument list too long"),
                 qPrintable(r.terminal(over).message()));
    }

    // ---- Kill latency --------------------------------------------------------------------

    void killLatency_data()
    {
        QTest::addColumn<QString>("how");
        QTest::addColumn<double>("grace");
        QTest::newRow("cancel, grace 0.2 s") << "cancel" << 0.2;
        QTest::newRow("cancel, grace 0.5 s") << "cancel" << 0.5;
        QTest::newRow("timeout, grace 0.2 s") << "timeout" << 0.2;
        QTest::newRow("timeout, grace 0.5 s") << "timeout" << 0.5;
    }

    void killLatency()
    {
        QFETCH(QString, how);
        QFETCH(double, grace);
        BrokerConfig c = fastConfig();
        c.killGraceSeconds = grace;
        Recorder r;
        QElapsedTimer clock;
        qint64 endedAt = -1;
        Broker broker(c);
        constexpr int TimeoutMs = 300;
        TaskDescriptor task = helperTask({ "ignore-term" });
        if (how == QLatin1String("timeout"))
            task.setTimeoutSeconds(TimeoutMs / 1000.0);
        const TaskId id = broker.enqueue(task, [&](const TaskEvent &e) {
            if (e.kind() == EventKind::Started)
                clock.start(); // the timeout counts from the launch, too
            if (e.isTerminal())
                endedAt = clock.elapsed();
            r.events.append(e);
        });
        QTRY_COMPARE_WITH_TIMEOUT(r.lines(id).size(), 1, Wait); // SIGTERM is ignored by now
        qint64 stopAt = TimeoutMs;
        if (how == QLatin1String("cancel")) {
            stopAt = clock.elapsed();
            QVERIFY(broker.cancel(id));
        }
        QTRY_VERIFY_WITH_TIMEOUT(r.ended(id), Wait);
        const qint64 latency = endedAt - stopAt;
        QVERIFY2(latency <= qint64(grace * 1000) + 250,
                 qPrintable(QStringLiteral("ended %1 ms after the stop").arg(latency)));
        QVERIFY2(latency >= qint64(grace * 1000) - 50, "SIGKILL came before the grace ended");
        QCOMPARE(r.terminal(id).kind(),
                 how == QLatin1String("cancel") ? EventKind::Canceled : EventKind::Timeout);
    }

    // ---- Bounded memory ------------------------------------------------------------------

    void oneGibWithoutNewlineKeepsRssBounded()
    {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
        QSKIP("the sanitizer's allocator keeps freed memory in quarantine; measured in the "
              "plain build");
#endif
        Broker broker(fastConfig());
        qint64 pieces = 0;
        qint64 bytes = 0;
        bool ended = false;
        const qint64 before = residentBytes();
        qint64 peak = before;
        const TaskId id = broker.enqueue(helperTask({ "huge-line", QString::number(1LL << 30) }),
                                         [&](const TaskEvent &e) {
                                             if (e.kind() == EventKind::Stdout) {
                                                 ++pieces;
                                                 bytes += e.line().size();
                                                 if (pieces % 16 == 0)
                                                     peak = std::max(peak, residentBytes());
                                             }
                                             ended = ended || e.isTerminal();
                                         });
        Q_UNUSED(id);
        QTRY_VERIFY_WITH_TIMEOUT(ended, 120000);
        peak = std::max(peak, residentBytes());
        QCOMPARE(bytes, 1LL << 30);
        const qint64 growth = peak - before;
        qInfo("1 GiB without a newline: %lld pieces, RSS grew by %lld KiB", pieces, growth / 1024);
        QVERIFY2(growth <= 64LL * 1024 * 1024,
                 qPrintable(QStringLiteral("RSS grew by %1 MiB").arg(growth >> 20)));
    }

    // ---- Callbacks -----------------------------------------------------------------------

    void callbacks_data()
    {
        QTest::addColumn<QString>("action");
        QTest::addColumn<int>("onKind"); // EventKind on which the handler acts
        const int started = int(EventKind::Started);
        const int stdoutLine = int(EventKind::Stdout);
        const int finished = int(EventKind::Finished);
        QTest::newRow("throw on started") << "throw" << started;
        QTest::newRow("throw on output") << "throw" << stdoutLine;
        QTest::newRow("throw on terminal") << "throw" << finished;
        QTest::newRow("enqueue on output") << "enqueue" << stdoutLine;
        QTest::newRow("enqueue on terminal") << "enqueue" << finished;
        QTest::newRow("cancel itself on started") << "cancel-self" << started;
        QTest::newRow("cancel another on output") << "cancel-other" << stdoutLine;
        QTest::newRow("cancel all on output") << "cancel-all" << stdoutLine;
        QTest::newRow("delete the broker on started") << "delete" << started;
        QTest::newRow("delete the broker on output") << "delete" << stdoutLine;
        QTest::newRow("delete the broker on terminal") << "delete" << finished;
    }

    void callbacks()
    {
        QFETCH(QString, action);
        QFETCH(int, onKind);
        QLoggingCategory::setFilterRules(QStringLiteral("taskconductor.broker.warning=false"));
        auto restoreLogging = qScopeGuard([] { QLoggingCategory::setFilterRules(QString()); });
        Recorder r;
        auto *broker = new Broker(fastConfig());
        QList<TaskId> ids;
        ids << broker->enqueue(helperTask({ "hang" }), r.handler());
        bool acted = false;
        ids << broker->enqueue(helperTask({ "lines", "3" }), [&](const TaskEvent &e) {
            r.events.append(e);
            if (acted || int(e.kind()) != onKind || !broker)
                return;
            acted = true;
            if (action == QLatin1String("throw")) {
                throw std::runtime_error("handler failure");
            } else if (action == QLatin1String("enqueue")) {
                ids << broker->enqueue(helperTask({ "exit", "0" }), r.handler());
            } else if (action == QLatin1String("cancel-self")) {
                broker->cancel(e.taskId());
            } else if (action == QLatin1String("cancel-other")) {
                broker->cancel(ids.first());
            } else if (action == QLatin1String("cancel-all")) {
                broker->cancelAll();
            } else if (action == QLatin1String("delete")) {
                delete std::exchange(broker, nullptr);
            }
        });
        QTRY_VERIFY_WITH_TIMEOUT(acted, Wait);
        if (broker) {
            broker->cancel(ids.first()); // the hanging one, unless already stopping
            QTRY_VERIFY_WITH_TIMEOUT(broker->isIdle(), Wait);
        }
        for (TaskId id : std::as_const(ids))
            QTRY_VERIFY2_WITH_TIMEOUT(r.exactlyOnce(id), qPrintable(QString::number(id)), Wait);
        delete broker;
        for (TaskId id : std::as_const(ids))
            QVERIFY(r.exactlyOnce(id)); // and nothing more after the broker is gone
    }

    // ---- Time ----------------------------------------------------------------------------

    void clocksAreMonotonic()
    {
        // Timeouts, grace periods and retry delays are QTimers and durations QElapsedTimers:
        // both run on the monotonic clock, so moving the wall clock changes nothing.
        // (tests/check_monotonic.cmake keeps wall-clock calls out of src/.)
        QCOMPARE(QElapsedTimer::clockType(), QElapsedTimer::MonotonicClock);
    }

    // ---- Logs ----------------------------------------------------------------------------

    // 8 tasks write numbered lines at a steady pace while the global log rotates about every
    // second. Every backup is kept (the limit is far above what the run needs, and checked), so
    // what the files hold together is everything that was logged: each event exactly once, in
    // order, each physical line one whole event, no line cut at a file boundary.
    void rotationEverySecondUnderEightWriters_data()
    {
        QTest::addColumn<LogFormat>("format");
        // 32000 lines a second of about 50 (text) or 100 (JSON) bytes: a rotation a second.
        QTest::addColumn<qint64>("rotationBytes");
        QTest::newRow("text") << LogFormat::Text << qint64(1600 * 1000);
        QTest::newRow("json lines") << LogFormat::JsonLines << qint64(3200 * 1000);
    }

    void rotationEverySecondUnderEightWriters()
    {
        QFETCH(LogFormat, format);
        QFETCH(qint64, rotationBytes);
        constexpr int Writers = 8;
        constexpr int LinesPerWriter = 12000; // 3 s at 4000 lines per second each
        constexpr int Backups = 1000;
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString path = dir.filePath(QStringLiteral("global.log"));
        BrokerConfig c = fastConfig();
        c.globalLogPath = path;
        c.logFormat = format;
        c.logRotationBytes = rotationBytes;
        c.logRotationBackups = Backups;
        QStringList handed; // exactly the lines of the global log, in order
        c.logLineHandler = [&](const QString &line) { handed.append(line); };
        Recorder r;
        QList<TaskId> ids;
        QElapsedTimer clock;
        {
            Broker broker(c);
            QSignalSpy internalErrors(&broker, &Broker::internalError);
            clock.start();
            for (int i = 0; i < Writers; ++i)
                ids << broker.enqueue(helperTask({ "paced-lines", QString::number(LinesPerWriter),
                                                   QStringLiteral("4000") }),
                                      r.handler());
            QTRY_VERIFY_WITH_TIMEOUT(broker.isIdle(), Wait * 3);
            QCOMPARE(internalErrors.count(), 0);
        } // destroyed: every sink flushed
        const qint64 ran = clock.elapsed();
        for (TaskId id : std::as_const(ids)) {
            QVERIFY(r.exactlyOnce(id));
            QCOMPARE(r.terminal(id).kind(), EventKind::Finished);
            QCOMPARE(r.lines(id).size(), LinesPerWriter);
        }

        // The files, oldest first; none was dropped.
        int rotations = 0;
        while (QFile::exists(rotatedLogName(path, rotations + 1)))
            ++rotations;
        QVERIFY2(rotations < Backups, "a backup may have been dropped");
        QVERIFY(!QFile::exists(rotatedLogName(path, rotations + 2)));
        qInfo("%d writers, %lld ms: %d rotations", Writers, ran, rotations);
        QVERIFY2(rotations >= 2, qPrintable(QStringLiteral("only %1 rotations").arg(rotations)));
        QByteArray all;
        for (int i = rotations; i >= 0; --i) {
            const QString name = i == 0 ? path : rotatedLogName(path, i);
            QFile file(name);
            QVERIFY(file.open(QIODevice::ReadOnly));
            const QByteArray content = file.readAll();
            // Whole lines only, and within the limit: no line was split across two files.
            QVERIFY2(content.endsWith('\n'), qPrintable(name));
            QVERIFY2(content.size() <= rotationBytes, qPrintable(name));
            all += content;
        }

        // Nothing lost, nothing duplicated, nothing reordered: byte for byte what was logged.
        QCOMPARE(handed.size(), r.events.size());
        QVERIFY(all == (handed.join(QLatin1Char('\n')) + QLatin1Char('\n')).toUtf8());

        // Every physical line is one complete event; each task's numbered lines appear once
        // each, in order.
        const QRegularExpression text(QStringLiteral(
                R"(^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d (\d+) (\w+) (.*)$)"));
        QHash<TaskId, int> next;
        const QList<QByteArray> lines = all.chopped(1).split('\n');
        QCOMPARE(lines.size(), r.events.size());
        for (const QByteArray &raw : lines) {
            const QString line = QString::fromUtf8(raw);
            TaskId id = 0;
            QString kind;
            QString output;
            if (format == LogFormat::JsonLines) {
                const QJsonObject o = QJsonDocument::fromJson(raw).object();
                QVERIFY2(!o.isEmpty(), raw.constData());
                id = TaskId(o.value(QLatin1String("id")).toInteger());
                kind = o.value(QLatin1String("event")).toString();
                output = o.value(QLatin1String("line")).toString();
            } else {
                const QRegularExpressionMatch m = text.match(line);
                QVERIFY2(m.hasMatch(), raw.constData());
                id = m.captured(1).toULongLong();
                kind = m.captured(2);
                output = m.captured(3);
            }
            if (kind != QLatin1String("stdout"))
                continue;
            const int expected = next.value(id) + 1;
            QCOMPARE(output, QStringLiteral("paced %1").arg(expected));
            next[id] = expected;
        }
        QCOMPARE(next.size(), Writers);
        for (TaskId id : std::as_const(ids))
            QCOMPARE(next.value(id), LinesPerWriter);
    }

    // ---- Security ------------------------------------------------------------------------

    void argumentsReachTheChildByteForByte_data()
    {
        QTest::addColumn<QStringList>("arguments");
        QTest::newRow("shell metacharacters")
                << QStringList { "$(touch pwned)", "`id`", "; rm -rf ~", "a|b&c>d<e", "*", "~",
                                 "$HOME",          "!!",   "#comment" };
        QTest::newRow("quotes") << QStringList { "\"double\"", "'single'", "mixed \"' quotes",
                                                 "back\\slash\\" };
        QTest::newRow("empty strings") << QStringList { "", "x", "", "" };
        QTest::newRow("spaces and tabs") << QStringList { " leading", "trailing ", "in\tside" };
        QTest::newRow("newlines") << QStringList { "two\nlines", "\n", "cr\r\nlf" };
        QTest::newRow("unicode") << QStringList { "caf\u00e9", "\u6f22\u5b57", "\U0001F600" };
        QTest::newRow("looks like options") << QStringList { "--help", "-rf", "--", "-" };
    }

    void argumentsReachTheChildByteForByte()
    {
        QFETCH(QStringList, arguments);
        Recorder r;
        Broker broker(fastConfig());
        const TaskId id =
                broker.enqueue(helperTask(QStringList { "args" } + arguments), r.handler());
        QTRY_VERIFY_WITH_TIMEOUT(r.ended(id), Wait);
        QCOMPARE(r.terminal(id).kind(), EventKind::Finished);
        // "args" prints each argument between '<' and '>' followed by '\n'.
        QString expected;
        for (const QString &argument : arguments)
            expected += QLatin1Char('<') + argument + QLatin1String(">\n");
        QString seen;
        for (const QString &line : r.lines(id))
            seen += line + QLatin1Char('\n');
        expected.replace(QLatin1String("\r\n"), QLatin1String("\n")); // "\r\n" is a line break
        QCOMPARE(seen, expected);
    }

    void taskCannotForgeTheBrokerMarker()
    {
        Recorder r;
        Broker broker(fastConfig());
        TaskDescriptor task = helperTask({ "env", "TASKCONDUCTOR_BROKER" });
        task.setEnvironmentVariable(QStringLiteral("TASKCONDUCTOR_BROKER"),
                                    QStringLiteral("1:1:1"));
        const TaskId id = broker.enqueue(task, r.handler());
        QTRY_VERIFY_WITH_TIMEOUT(r.ended(id), Wait);
        const QString expected =
                QStringLiteral("TASKCONDUCTOR_BROKER=%1:").arg(QCoreApplication::applicationPid());
        QVERIFY2(r.lines(id).value(0).startsWith(expected), qPrintable(r.lines(id).value(0)));
        QVERIFY(r.lines(id).value(0).endsWith(QLatin1Char(':') + QString::number(id)));
        // Only one: a second entry would still be in /proc/<pid>/environ for the sweep.
        task.setCommand({ helper(), "environ-hex", "TASKCONDUCTOR_BROKER" });
        const TaskId entries = broker.enqueue(task, r.handler());
        QTRY_VERIFY_WITH_TIMEOUT(r.ended(entries), Wait);
        QCOMPARE(r.lines(entries).size(), 1);
    }
};

QTEST_GUILESS_MAIN(tst_FaultMatrix)
#include "tst_faultmatrix.moc"
