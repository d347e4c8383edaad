// SPDX-License-Identifier: MIT
// Per-task controls (issue 15) with the local executor: exit-code rules, the stop signal, merged
// output, the idle timeout, standard input (data, file, live writes with back-pressure), the
// metrics of every terminal event checked against what the child did, and Broker::statistics().
// Tests the private StatisticsCollector too, so it links TaskConductor::PrivateHeaders.
#include "testsupport.h"

#include "brokerstatistics.h"

#include <taskconductor/broker.h>
#include <taskconductor/jsonobjectwriter.h>

#include <QtCore/qelapsedtimer.h>
#include <QtCore/qjsondocument.h>
#include <QtCore/qjsonobject.h>
#include <QtCore/qtemporarydir.h>
#include <QtTest/qtest.h>

#include <csignal>
#include <unistd.h>

using namespace TaskConductor;
using namespace TestSupport;

namespace {
constexpr int Wait = 15000; // an upper bound; QTRY returns as soon as the condition holds
}

class tst_TaskControls : public QObject
{
    Q_OBJECT

private:
    BrokerFixture m_fixture { "tst_taskcontrols" };

    // Runs \a task on a fresh Broker to its terminal event; every event in \a recorder.
    TaskEvent run(const TaskDescriptor &task, Recorder &recorder, const BrokerConfig &config = {},
                  bool useDefaults = true)
    {
        Broker broker(useDefaults ? m_fixture.config() : config);
        const TaskId id = broker.enqueue(task, recorder.handler());
        [&] { QTRY_VERIFY_WITH_TIMEOUT(recorder.ended(id), Wait); }();
        [&] { QVERIFY(recorder.exactlyOnce(id)); }();
        return recorder.terminal(id);
    }

private Q_SLOTS:
    void initTestCase() { QVERIFY(QFile::exists(helper())); }
    void cleanup() { m_fixture.expectNothingLeft(Wait); }

    // --- exit-code rules ---------------------------------------------------------------------

    void successExitCodes_data()
    {
        QTest::addColumn<QList<int>>("success");
        QTest::addColumn<int>("exitCode");
        QTest::addColumn<EventKind>("kind");
        QTest::newRow("default, 0") << QList<int>() << 0 << EventKind::Finished;
        QTest::newRow("default, 3") << QList<int>() << 3 << EventKind::Failed;
        QTest::newRow("{0,3}, 3") << QList<int> { 0, 3 } << 3 << EventKind::Finished;
        QTest::newRow("{0,3}, 4") << QList<int> { 0, 3 } << 4 << EventKind::Failed;
        QTest::newRow("{3}, 0") << QList<int> { 3 } << 0 << EventKind::Failed;
    }
    void successExitCodes()
    {
        QFETCH(QList<int>, success);
        QFETCH(int, exitCode);
        QFETCH(EventKind, kind);
        TaskDescriptor task = helperTask({ "exit", QString::number(exitCode) });
        task.setSuccessExitCodes(success);
        Recorder recorder;
        const TaskEvent end = run(task, recorder);
        QCOMPARE(end.kind(), kind);
        QCOMPARE(end.exitCode(), exitCode); // a success keeps its code
    }

    void retryExitCodesAndSignals_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<QList<int>>("retryCodes");
        QTest::addColumn<bool>("retryOnSignal");
        QTest::addColumn<int>("attempts");
        QTest::newRow("any code retried")
                << QStringList { "exit", "3" } << QList<int>() << true << 3;
        QTest::newRow("listed code retried")
                << QStringList { "exit", "3" } << QList<int> { 3, 4 } << true << 3;
        QTest::newRow("other code final")
                << QStringList { "exit", "3" } << QList<int> { 4 } << true << 1;
        QTest::newRow("crash retried") << QStringList { "crash" } << QList<int> { 4 } << true << 3;
        QTest::newRow("crash final") << QStringList { "crash" } << QList<int>() << false << 1;
    }
    void retryExitCodesAndSignals()
    {
        QFETCH(QStringList, args);
        QFETCH(QList<int>, retryCodes);
        QFETCH(bool, retryOnSignal);
        QFETCH(int, attempts);
        RetryPolicy policy;
        policy.count = 2;
        policy.delaySeconds = 0.01;
        policy.retryExitCodes = retryCodes;
        policy.retryOnSignal = retryOnSignal;
        TaskDescriptor task = helperTask(args);
        task.setRetryPolicy(policy);
        Recorder recorder;
        const TaskEvent end = run(task, recorder);
        QCOMPARE(end.kind(), EventKind::Failed);
        QCOMPARE(end.attempt(), attempts);
        QCOMPARE(recorder.kinds(end.taskId()).count(EventKind::Retrying), attempts - 1);
    }

    // --- stop signal -------------------------------------------------------------------------

    void stopSignalReachesTheChild_data()
    {
        QTest::addColumn<int>("taskSignal");
        QTest::addColumn<int>("brokerSignal");
        QTest::addColumn<int>("expected");
        QTest::newRow("default TERM") << 0 << 15 << int(SIGTERM);
        QTest::newRow("task INT") << int(SIGINT) << 15 << int(SIGINT);
        QTest::newRow("broker USR1") << 0 << int(SIGUSR1) << int(SIGUSR1);
        QTest::newRow("task wins") << int(SIGHUP) << int(SIGUSR1) << int(SIGHUP);
    }
    void stopSignalReachesTheChild()
    {
        QFETCH(int, taskSignal);
        QFETCH(int, brokerSignal);
        QFETCH(int, expected);
        BrokerConfig config = m_fixture.config();
        config.defaultStopSignal = brokerSignal;
        Recorder recorder;
        Broker broker(config);
        TaskDescriptor task = helperTask({ "report-signal" });
        if (taskSignal)
            task.setStopSignal(taskSignal);
        const TaskId id = broker.enqueue(task, recorder.handler());
        QTRY_VERIFY_WITH_TIMEOUT(recorder.lines(id).contains("ready"), Wait);
        QVERIFY(broker.cancel(id));
        QTRY_VERIFY_WITH_TIMEOUT(recorder.ended(id), Wait);
        QCOMPARE(recorder.terminal(id).kind(), EventKind::Canceled);
        QCOMPARE(recorder.lines(id),
                 QStringList({ "ready", QStringLiteral("signal %1").arg(expected) }));
    }

    // --- merged output -----------------------------------------------------------------------

    void mergedOutputKeepsTheOrder()
    {
        TaskDescriptor task = helperTask({ "mixed" });
        task.setOutputMode(OutputMode::Merged);
        Recorder recorder;
        const TaskEvent end = run(task, recorder);
        QCOMPARE(end.kind(), EventKind::Finished);
        QCOMPARE(recorder.lines(end.taskId()), QStringList({ "out 1", "err 1", "out 2", "err 2" }));
        QVERIFY(recorder.lines(end.taskId(), EventKind::Stderr).isEmpty());
        QCOMPARE(end.metrics().stdoutLines, 4);
        QCOMPARE(end.metrics().stderrLines, 0);

        Recorder separate;
        const TaskEvent apart = run(helperTask({ "mixed" }), separate);
        QCOMPARE(separate.lines(apart.taskId()), QStringList({ "out 1", "out 2" }));
        QCOMPARE(separate.lines(apart.taskId(), EventKind::Stderr),
                 QStringList({ "err 1", "err 2" }));
    }

    // --- idle timeout ------------------------------------------------------------------------

    void idleTimeoutStopsASilentTask()
    {
        TaskDescriptor task = helperTask({ "hang" }); // prints "ready", then nothing
        task.setIdleTimeoutSeconds(0.3);
        Recorder recorder;
        const TaskEvent end = run(task, recorder);
        QCOMPARE(end.kind(), EventKind::Timeout);
        QCOMPARE(end.timeoutReason(), TimeoutReason::Idle);
        QVERIFY2(end.durationMs() >= 300, qPrintable(QString::number(end.durationMs())));
        QCOMPARE(end.toJson().value("reason").toString(), QStringLiteral("idle"));
        QVERIFY(end.description().contains("idle"));
    }

    void idleTimeoutSparesATaskThatKeepsWriting()
    {
        // Ticks every 50 ms for longer than the idle limit, then the deadline stops it.
        TaskDescriptor task = helperTask({ "tick", "50" });
        task.setIdleTimeoutSeconds(0.3);
        task.setTimeoutSeconds(1.0);
        Recorder recorder;
        const TaskEvent end = run(task, recorder);
        QCOMPARE(end.kind(), EventKind::Timeout);
        QCOMPARE(end.timeoutReason(), TimeoutReason::Deadline);
        QCOMPARE(end.toJson().value("reason").toString(), QStringLiteral("deadline"));
        QVERIFY(recorder.lines(end.taskId()).size() >= 10); // well past 0.3 s of output
    }

    void idleTimeoutFromTheBrokerAndRetried()
    {
        BrokerConfig config = m_fixture.config();
        config.defaultIdleTimeoutSeconds = 0.2;
        config.retry.count = 1;
        config.retry.delaySeconds = 0.01;
        config.retry.retryOnTimeout = true;
        Recorder recorder;
        const TaskEvent end = run(helperTask({ "hang" }), recorder, config, false);
        QCOMPARE(end.kind(), EventKind::Timeout);
        QCOMPARE(end.timeoutReason(), TimeoutReason::Idle);
        QCOMPARE(end.attempt(), 2); // retried as a timeout is
    }

    // --- standard input ----------------------------------------------------------------------

    void stdinData()
    {
        TaskDescriptor task = helperTask({ "cat" });
        task.setStdinData("one\ntwo\nno newline");
        Recorder recorder;
        const TaskEvent end = run(task, recorder);
        QCOMPARE(end.kind(), EventKind::Finished);
        QCOMPARE(recorder.lines(end.taskId()), QStringList({ "one", "two", "no newline" }));
        QCOMPARE(end.metrics().stdoutBytes, 18);
    }

    void stdinDefaultIsEmpty()
    {
        Recorder recorder;
        const TaskEvent end = run(helperTask({ "cat" }), recorder);
        QCOMPARE(end.kind(), EventKind::Finished); // end of input at once, not a hang
        QVERIFY(recorder.lines(end.taskId()).isEmpty());
    }

    void stdinDefaultIsNotTheHosts()
    {
        // The host's own standard input holds a line: a task must not read it. Each child gets
        // /dev/null from one descriptor the session keeps; this fails if it inherits fd 0.
        int input[2];
        QVERIFY(::pipe(input) == 0);
        QVERIFY(::write(input[1], "the host's line\n", 16) == 16);
        ::close(input[1]);
        const int savedStdin = ::dup(STDIN_FILENO);
        QVERIFY(savedStdin >= 0);
        QVERIFY(::dup2(input[0], STDIN_FILENO) == STDIN_FILENO);
        ::close(input[0]);
        Recorder recorder;
        const TaskEvent first = run(helperTask({ "cat" }), recorder);
        const TaskEvent second = run(helperTask({ "cat" }), recorder);
        ::dup2(savedStdin, STDIN_FILENO);
        ::close(savedStdin);
        for (const TaskEvent &end : { first, second }) {
            QCOMPARE(end.kind(), EventKind::Finished);
            QVERIFY2(recorder.lines(end.taskId()).isEmpty(),
                     qPrintable(recorder.lines(end.taskId()).join(u'|')));
        }
    }

    void stdinFile()
    {
        QTemporaryDir dir;
        QFile file(dir.filePath("input.txt"));
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write("from a file\nsecond\n");
        file.close();
        TaskDescriptor task = helperTask({ "cat" });
        task.setStdinFile(file.fileName());
        Recorder recorder;
        const TaskEvent end = run(task, recorder);
        QCOMPARE(end.kind(), EventKind::Finished);
        QCOMPARE(recorder.lines(end.taskId()), QStringList({ "from a file", "second" }));

        TaskDescriptor missing = helperTask({ "cat" });
        missing.setStdinFile(dir.filePath("missing.txt"));
        Recorder failed;
        const TaskEvent noFile = run(missing, failed);
        QCOMPARE(noFile.kind(), EventKind::Failed);
        QVERIFY2(noFile.message().contains("standard input file")
                         && noFile.message().contains("No such file"),
                 qPrintable(noFile.message()));
        QVERIFY(!failed.kinds(noFile.taskId()).contains(EventKind::Started));
    }

    void stdinLiveWrites()
    {
        Recorder recorder;
        Broker broker(m_fixture.config());
        TaskDescriptor task = helperTask({ "cat" });
        task.setStdinMode(StdinMode::Open);
        const TaskId id = broker.enqueue(task, recorder.handler());
        QTRY_VERIFY_WITH_TIMEOUT(recorder.kinds(id).contains(EventKind::Started), Wait);
        QCOMPARE(broker.writeStdin(id, "hello\n"), StdinWriteResult::Written);
        QTRY_COMPARE_WITH_TIMEOUT(recorder.lines(id), QStringList({ "hello" }), Wait);
        QCOMPARE(broker.writeStdin(id, "world\n"), StdinWriteResult::Written);
        QVERIFY(broker.closeStdin(id));
        QTRY_VERIFY_WITH_TIMEOUT(recorder.ended(id), Wait);
        QCOMPARE(recorder.terminal(id).kind(), EventKind::Finished); // cat saw the end of input
        QCOMPARE(recorder.lines(id), QStringList({ "hello", "world" }));
        QCOMPARE(broker.writeStdin(id, "late\n"), StdinWriteResult::NotOpen);
        QVERIFY(!broker.closeStdin(id));

        // Neither a task without an open stdin nor an unknown one takes bytes.
        const TaskId plain = broker.enqueue(helperTask({ "hang" }), recorder.handler());
        QTRY_VERIFY_WITH_TIMEOUT(recorder.lines(plain).contains("ready"), Wait);
        QCOMPARE(broker.writeStdin(plain, "x"), StdinWriteResult::NotOpen);
        QCOMPARE(broker.writeStdin(9999, "x"), StdinWriteResult::NotOpen);
        broker.cancel(plain);
        QTRY_VERIFY_WITH_TIMEOUT(recorder.ended(plain), Wait);
    }

    void stdinBackPressure()
    {
        // A child that never reads: the pipe fills (64 KiB), then what QProcess holds grows
        // until the bound refuses more; nothing refused is queued.
        BrokerConfig config = m_fixture.config();
        config.maxStdinBufferBytes = 100 * 1024;
        Recorder recorder;
        Broker broker(config);
        TaskDescriptor task = helperTask({ "hang" });
        task.setStdinMode(StdinMode::Open);
        const TaskId id = broker.enqueue(task, recorder.handler());
        QTRY_VERIFY_WITH_TIMEOUT(recorder.lines(id).contains("ready"), Wait);
        const QByteArray chunk(16 * 1024, 'x');
        qint64 accepted = 0;
        StdinWriteResult result = StdinWriteResult::Written;
        for (int i = 0; i < 1000 && result == StdinWriteResult::Written; ++i) {
            result = broker.writeStdin(id, chunk);
            if (result == StdinWriteResult::Written)
                accepted += chunk.size();
            QCoreApplication::processEvents(); // lets QProcess move bytes into the pipe
        }
        QCOMPARE(result, StdinWriteResult::BufferFull);
        // The pipe took some; what waits in the host never passed the bound.
        QVERIFY2(accepted <= config.maxStdinBufferBytes + 1024 * 1024,
                 qPrintable(QString::number(accepted)));
        QVERIFY(accepted >= config.maxStdinBufferBytes - chunk.size());
        // One write larger than the bound is refused whole.
        QCOMPARE(broker.writeStdin(id, QByteArray(config.maxStdinBufferBytes + 1, 'y')),
                 StdinWriteResult::BufferFull);
        QVERIFY(broker.cancel(id));
        QTRY_VERIFY_WITH_TIMEOUT(recorder.ended(id), Wait);
    }

    // --- metrics -----------------------------------------------------------------------------

    void metricsCountWhatTheChildWrote_data()
    {
        QTest::addColumn<bool>("batched");
        QTest::newRow("line by line") << false;
        QTest::newRow("batched") << true; // BrokerConfig::outputBatching: a read's lines at once
    }
    void metricsCountWhatTheChildWrote()
    {
        QFETCH(bool, batched);
        BrokerConfig config = m_fixture.config();
        config.outputBatching = batched;
        TaskDescriptor task = helperTask({ "lines", "100", "abc" }); // "abc 1\n" ... "abc 100\n"
        Recorder recorder;
        const TaskEvent end = run(task, recorder, config, false);
        QCOMPARE(end.kind(), EventKind::Finished);
        qint64 bytes = 0;
        for (int i = 1; i <= 100; ++i)
            bytes += QByteArray("abc ").size() + QByteArray::number(i).size() + 1;
        const TaskMetrics m = end.metrics();
        QCOMPARE(m.stdoutBytes, bytes);
        QCOMPARE(m.stdoutLines, 100);
        QCOMPARE(m.stderrBytes, 0);
        QCOMPARE(m.stderrLines, 0);
        QVERIFY(m.queueMs >= 0);
        QVERIFY(m.runMs >= 0);
        QVERIFY(m.runMs <= end.durationMs() + 1);

        Recorder errors;
        const TaskEvent errEnd = run(helperTask({ "err-lines", "3", "e" }), errors);
        QCOMPARE(errEnd.metrics().stderrLines, 3);
        QCOMPARE(errEnd.metrics().stderrBytes, 12); // "e 1\n" x 3
        QCOMPARE(errEnd.metrics().stdoutBytes, 0);
    }

    void metricsCountEveryAttempt()
    {
        RetryPolicy policy;
        policy.count = 2;
        policy.delaySeconds = 0.01;
        TaskDescriptor task = helperTask({ "err-lines", "2", "x" }); // exits 0: no retry
        Recorder once;
        QCOMPARE(run(task, once).metrics().stderrLines, 2);

        QTemporaryDir dir;
        // Fails twice, then succeeds: three attempts, each printing its own lines.
        TaskDescriptor retried = helperTask({ "succeed-on", "3", dir.filePath("count") });
        retried.setRetryPolicy(policy);
        Recorder recorder;
        const TaskEvent end = run(retried, recorder);
        QCOMPARE(end.kind(), EventKind::Finished);
        QCOMPARE(end.attempt(), 3);
        QCOMPARE(end.metrics().stdoutLines, qint64(recorder.lines(end.taskId()).size()));
        QVERIFY(end.metrics().cpuMs >= 0); // summed over the attempts
    }

    void metricsCpuTimeOfABurn()
    {
        Recorder recorder;
        const TaskEvent end = run(helperTask({ "burn-cpu", "300" }), recorder);
        QCOMPARE(end.kind(), EventKind::Finished);
        const TaskMetrics m = end.metrics();
        QVERIFY2(m.cpuMs >= 300, qPrintable(QString::number(m.cpuMs)));
        QVERIFY2(m.cpuMs <= m.runMs + 50,
                 qPrintable(QStringLiteral("cpu %1 run %2").arg(m.cpuMs).arg(m.runMs)));
        QVERIFY(m.maxRssKb > 0);
        // The JSON forms carry them.
        QCOMPARE(end.toJson().value("cpuMs").toInteger(), m.cpuMs);
        const QJsonObject text = QJsonDocument::fromJson(end.toJsonText().toUtf8()).object();
        QCOMPARE(text, end.toJson());
    }

    void metricsPeakMemoryOfAnAllocation()
    {
        // ru_maxrss also counts what the child shared with the host between fork and exec (the
        // host's RSS at the start, README), so the check is on the difference the child makes.
        Recorder small, large;
        const TaskEvent a = run(helperTask({ "allocate", "1" }), small);
        // More than the host's RSS can be (an ASan host has over 160 MiB), so the child's own peak
        // is what ru_maxrss reports for it.
        const TaskEvent b = run(helperTask({ "allocate", "320" }), large);
        QCOMPARE(a.kind(), EventKind::Finished);
        QCOMPARE(b.kind(), EventKind::Finished);
        const QString both =
                QStringLiteral("%1 vs %2").arg(a.metrics().maxRssKb).arg(b.metrics().maxRssKb);
        QVERIFY2(b.metrics().maxRssKb >= 320 * 1024, qPrintable(both));
        QVERIFY2(a.metrics().maxRssKb > 0, qPrintable(both));
        QVERIFY2(b.metrics().maxRssKb - a.metrics().maxRssKb >= 64 * 1024, qPrintable(both));
    }

    void metricsOnEveryTerminalEvent()
    {
        BrokerConfig config = m_fixture.config();
        config.maxConcurrentTasks = 1;
        Recorder recorder;
        Broker broker(config);
        const TaskId running = broker.enqueue(helperTask({ "hang" }), recorder.handler());
        const TaskId waiting = broker.enqueue(helperTask({ "exit", "0" }), recorder.handler());
        QTRY_VERIFY_WITH_TIMEOUT(recorder.lines(running).contains("ready"), Wait);
        const TaskId rejected = broker.enqueue(TaskDescriptor(), recorder.handler());
        QVERIFY(broker.cancel(running));
        QTRY_VERIFY_WITH_TIMEOUT(recorder.ended(waiting), Wait);
        for (const TaskId id : { running, waiting, rejected }) {
            const QJsonObject json = recorder.terminal(id).toJson();
            for (const char *key :
                 { "queueMs", "runMs", "stdoutBytes", "stderrBytes", "stdoutLines", "stderrLines" })
                QVERIFY2(json.contains(QLatin1String(key)), key);
        }
        QCOMPARE(recorder.terminal(running).metrics().stdoutBytes, 6); // "ready\n"
        QVERIFY(recorder.terminal(running).metrics().runMs
                <= recorder.terminal(running).durationMs() + 1);
        // The second waited in the queue for the first one's slot.
        QVERIFY(recorder.terminal(waiting).metrics().queueMs
                >= recorder.terminal(running).metrics().runMs - 5);
        QCOMPARE(recorder.terminal(rejected).metrics().runMs, 0);
    }

    // A task canceled before it left the queue reports the time it waited there: by cancel(),
    // because its dependency did not finish, and when the Broker is destroyed.
    void canceledInTheQueueReportsItsWait()
    {
        BrokerConfig config = m_fixture.config();
        config.maxConcurrentTasks = 1;
        Recorder recorder; // outlives the Broker, which still delivers events as it goes
        QElapsedTimer sinceEnqueue;
        qint64 waitedAtLeast = 0;
        TaskId pending = 0, blocked = 0, leftAtDestruction = 0;
        {
            Broker broker(config);
            const TaskId running = broker.enqueue(helperTask({ "hang" }), recorder.handler());
            pending = broker.enqueue(helperTask({ "exit", "0" }), recorder.handler());
            TaskDescriptor dependent = helperTask({ "exit", "0" });
            dependent.addDependency(running);
            blocked = broker.enqueue(dependent, recorder.handler());
            leftAtDestruction = broker.enqueue(helperTask({ "exit", "0" }), recorder.handler());
            sinceEnqueue.start();
            QTRY_VERIFY_WITH_TIMEOUT(recorder.lines(running).contains("ready"), Wait);
            QTRY_VERIFY_WITH_TIMEOUT(sinceEnqueue.elapsed() >= 20, Wait); // a wait worth measuring
            waitedAtLeast = sinceEnqueue.elapsed();
            broker.pause(); // the last one stays in the queue until the Broker goes
            QVERIFY(broker.cancel(pending));
            QVERIFY(broker.cancel(running)); // its dependent ends canceled when it has stopped
            QTRY_VERIFY_WITH_TIMEOUT(recorder.ended(blocked), Wait);
        }
        for (const TaskId id : { pending, blocked, leftAtDestruction }) {
            const TaskEvent end = recorder.terminal(id);
            QCOMPARE(end.kind(), EventKind::Canceled);
            // Both clocks count whole milliseconds: one may lag the other by one.
            QVERIFY2(end.metrics().queueMs >= waitedAtLeast - 1,
                     qPrintable(QStringLiteral("task %1: queueMs %2, waited at least %3 ms")
                                        .arg(id)
                                        .arg(end.metrics().queueMs)
                                        .arg(waitedAtLeast)));
            QCOMPARE(end.metrics().runMs, 0);
        }
    }

    // --- statistics --------------------------------------------------------------------------

    void statisticsOfABroker()
    {
        Recorder recorder;
        Broker broker(m_fixture.config());
        QList<TaskId> ids;
        for (int i = 0; i < 4; ++i)
            ids.append(broker.enqueue(helperTask({ "lines", "2" }), recorder.handler()));
        ids.append(broker.enqueue(helperTask({ "exit", "1" }), recorder.handler()));
        ids.append(broker.enqueue(helperTask({ "burn-cpu", "100" }), recorder.handler()));
        QTRY_VERIFY_WITH_TIMEOUT(broker.isIdle() && recorder.ended(ids.last()), Wait);
        const BrokerStatistics s = broker.statistics();
        QCOMPARE(s.ended, 6);
        QCOMPARE(s.finished, 5);
        QCOMPARE(s.failed, 1);
        QCOMPARE(s.sampleCount, 6);
        QVERIFY(s.totalCpuMs >= 100);
        QCOMPARE(s.totalStdoutBytes, 4 * 14); // "line 1\nline 2\n" each
        QVERIFY(s.runMsP99 >= s.runMsP50);
        // Of six samples the nearest-rank p99 is the longest run. Compared with the tasks' own
        // figures, not with the burn's 100 ms: the child's CPU clock starts before `started`.
        qint64 longestRun = 0;
        for (TaskId id : ids)
            longestRun = qMax(longestRun, recorder.terminal(id).metrics().runMs);
        QCOMPARE(s.runMsP99, longestRun);
        QVERIFY(longestRun > 0);
    }

    void statisticsPercentilesAndWindow()
    {
        StatisticsCollector collector;
        auto ended = [](TaskId id, qint64 queueMs, qint64 runMs) {
            TaskMetrics m;
            m.queueMs = queueMs;
            m.runMs = runMs;
            m.cpuMs = 1;
            return TaskEvent::finished(id, 1, runMs).withMetrics(m);
        };
        QCOMPARE(collector.snapshot().runMsP50, 0); // none yet
        for (int i = 1; i <= 100; ++i)
            collector.record(ended(TaskId(i), i, 1000 + i));
        collector.record(TaskEvent::internalError(101, 0, "queue full", true));
        collector.record(TaskEvent::output(102, 1, OutputChannel::Stdout, "not terminal"));
        BrokerStatistics s = collector.snapshot();
        QCOMPARE(s.ended, 101);
        QCOMPARE(s.rejected, 1);
        QCOMPARE(s.sampleCount, 100); // the rejection never ran
        QCOMPARE(s.queueMsP50, 50);
        QCOMPARE(s.queueMsP90, 90);
        QCOMPARE(s.queueMsP99, 99);
        QCOMPARE(s.runMsP50, 1050);
        QCOMPARE(s.totalCpuMs, 100);
        // Only the last SampleWindow tasks count for the percentiles; totals keep everything.
        for (int i = 0; i < BrokerStatistics::SampleWindow; ++i)
            collector.record(ended(TaskId(1000 + i), 7, 7));
        s = collector.snapshot();
        QCOMPARE(s.sampleCount, BrokerStatistics::SampleWindow);
        QCOMPARE(s.queueMsP99, 7);
        QCOMPARE(s.finished, 100 + BrokerStatistics::SampleWindow);
    }

    // --- the one codec -----------------------------------------------------------------------

    void codecRoundTrip()
    {
        TaskDescriptor task({ "cat" });
        task.setIdleTimeoutSeconds(2.5);
        task.setSuccessExitCodes({ 0, 3 });
        task.setStopSignal(SIGINT);
        task.setOutputMode(OutputMode::Merged);
        task.setStdinData("text\n");
        RetryPolicy policy;
        policy.count = 2;
        policy.retryExitCodes = { 75 };
        policy.retryOnSignal = false;
        task.setRetryPolicy(policy);
        const QJsonObject json = task.toJson();
        QCOMPARE(json.value("stopSignal").toString(), QStringLiteral("INT"));
        QCOMPARE(json.value("mergeOutput").toBool(), true);
        QCOMPARE(json.value("stdin").toString(), QStringLiteral("text\n"));
        QCOMPARE(TaskDescriptor::fromJson(json), task);

        TaskDescriptor binary({ "cat" });
        binary.setStdinData(QByteArray("\xff\x00\x01", 3));
        QVERIFY(binary.toJson().contains("stdinBase64"));
        QCOMPARE(TaskDescriptor::fromJson(binary.toJson()), binary);
        TaskDescriptor file({ "cat" });
        file.setStdinFile("in.txt");
        QCOMPARE(TaskDescriptor::fromJson(file.toJson()), file);
        TaskDescriptor open({ "cat" });
        open.setStdinMode(StdinMode::Open);
        QCOMPARE(TaskDescriptor::fromJson(open.toJson()), open);
        TaskDescriptor other({ "cat" });
        other.setStopSignal(SIGWINCH); // no name in the vocabulary: written as its number
        QCOMPARE(TaskDescriptor::fromJson(other.toJson()), other);
    }

    void codecRefuses_data()
    {
        QTest::addColumn<QByteArray>("json");
        QTest::addColumn<QString>("error");
        QTest::newRow("idle type") << QByteArray(R"({"command":["a"],"idleTimeout":"x"})")
                                   << "\"idleTimeout\" must be a number of seconds";
        QTest::newRow("codes type") << QByteArray(R"({"command":["a"],"successExitCodes":3})")
                                    << "\"successExitCodes\" must be an array of exit codes";
        QTest::newRow("code range") << QByteArray(R"({"command":["a"],"retryExitCodes":[256]})")
                                    << "\"retryExitCodes\" must be an array of exit codes";
        QTest::newRow("signal name") << QByteArray(R"({"command":["a"],"stopSignal":"STOP"})")
                                     << "\"stopSignal\" must be one of";
        QTest::newRow("merge type") << QByteArray(R"({"command":["a"],"mergeOutput":1})")
                                    << "\"mergeOutput\" must be a boolean";
        QTest::newRow("two stdins")
                << QByteArray(R"({"command":["a"],"stdin":"x","stdinFile":"f"})")
                << "\"stdin\" and \"stdinFile\" both set the standard input";
        QTest::newRow("codes twice") << QByteArray(
                R"({"command":["a"],"retryExitCodes":[1],"retry":{"retryExitCodes":[2]}})")
                                     << "are the same field";
    }
    void codecRefuses()
    {
        QFETCH(QByteArray, json);
        QFETCH(QString, error);
        QString message;
        QVERIFY(!TaskDescriptor::fromJson(QJsonDocument::fromJson(json).object(), &message));
        QVERIFY2(message.contains(error), qPrintable(message));
    }

    void retryExitCodesOverRetries()
    {
        const auto task = TaskDescriptor::fromJson(
                QJsonDocument::fromJson(R"({"command":["a"],"retries":2,"retryExitCodes":[75]})")
                        .object());
        QVERIFY(task);
        QCOMPARE(task->retryPolicy()->count, 2);
        QCOMPARE(task->retryPolicy()->retryExitCodes, QList<int>({ 75 }));
    }
};

QTEST_GUILESS_MAIN(tst_TaskControls)
#include "tst_taskcontrols.moc"
