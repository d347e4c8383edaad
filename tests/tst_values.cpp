// SPDX-License-Identifier: MIT
// The value types: RetryPolicy's delay arithmetic, TaskDescriptor, TaskEvent's text and JSON.
#include <taskconductor/retrypolicy.h>
#include <taskconductor/taskdescriptor.h>
#include <taskconductor/taskevent.h>

#include <QtCore/qjsonarray.h>
#include <QtCore/qjsondocument.h>
#include <QtCore/qjsonobject.h>
#include <QtCore/qmetaobject.h>
#include <QtTest/qtest.h>

using namespace TaskConductor;
using namespace std::chrono_literals;

class tst_Values : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void retryDelay_data()
    {
        QTest::addColumn<double>("delay");
        QTest::addColumn<double>("multiplier");
        QTest::addColumn<double>("maxDelay");
        QTest::addColumn<double>("jitter");
        QTest::addColumn<int>("attempt");
        QTest::addColumn<double>("random");
        QTest::addColumn<qint64>("expectedMs");
        QTest::newRow("first") << 1.0 << 2.0 << 0.0 << 0.0 << 1 << 0.5 << qint64(1000);
        QTest::newRow("backoff") << 1.0 << 2.0 << 0.0 << 0.0 << 3 << 0.5 << qint64(4000);
        QTest::newRow("capped") << 1.0 << 2.0 << 3.0 << 0.0 << 3 << 0.5 << qint64(3000);
        QTest::newRow("jitter low edge") << 1.0 << 1.0 << 0.0 << 0.3 << 1 << 0.0 << qint64(700);
        QTest::newRow("jitter high edge") << 1.0 << 1.0 << 0.0 << 0.3 << 1 << 1.0 << qint64(1300);
        QTest::newRow("jitter middle") << 1.0 << 1.0 << 0.0 << 0.3 << 1 << 0.5 << qint64(1000);
        QTest::newRow("never negative") << 0.1 << 1.0 << 0.0 << 1.0 << 1 << 0.0 << qint64(0);
        QTest::newRow("jitter after cap") << 1.0 << 10.0 << 2.0 << 0.5 << 4 << 1.0 << qint64(2500);
        QTest::newRow("overflow is capped")
                << 1.0 << 10.0 << 60.0 << 0.0 << 5000 << 0.5 << qint64(60000);
        QTest::newRow("zero delay") << 0.0 << 10.0 << 0.0 << 0.0 << 5000 << 0.5 << qint64(0);
    }

    void retryDelay()
    {
        QFETCH(double, delay);
        QFETCH(double, multiplier);
        QFETCH(double, maxDelay);
        QFETCH(double, jitter);
        QFETCH(int, attempt);
        QFETCH(double, random);
        QFETCH(qint64, expectedMs);
        RetryPolicy p;
        p.delaySeconds = delay;
        p.backoffMultiplier = multiplier;
        p.maxDelaySeconds = maxDelay;
        p.jitterSeconds = jitter;
        QCOMPARE(p.delayAfter(attempt, random).count(), expectedMs);
    }

    void jitterIsUniformAroundTheDelay()
    {
        RetryPolicy p;
        p.delaySeconds = 1.0;
        p.jitterSeconds = 0.5;
        qint64 low = 1 << 30, high = 0;
        for (int i = 0; i <= 100; ++i) {
            const qint64 ms = p.delayAfter(1, i / 100.0).count();
            low = std::min(low, ms);
            high = std::max(high, ms);
        }
        QCOMPARE(low, 500);
        QCOMPARE(high, 1500);
    }

    void descriptorIsAValue()
    {
        TaskDescriptor a({ "/bin/echo", "hi" });
        TaskDescriptor b = a;
        QCOMPARE(a, b);
        b.setEnvironmentVariable("X", "1");
        QVERIFY(a != b);
        QVERIFY(a.environment().isEmpty());
        QCOMPARE(a.timeoutSeconds(), -1.0);
        a.setTimeoutSeconds(0);
        QCOMPARE(a.timeoutSeconds(), 0.0);
        a.resetTimeoutSeconds();
        QCOMPARE(a.timeoutSeconds(), -1.0);
        b.unsetEnvironmentVariable("X");
        QVERIFY(b.environment().isEmpty());
        QCOMPARE(b.unsetEnvironment(), QStringList { "X" });
        b.setEnvironmentVariable("X", "2");
        QVERIFY(b.unsetEnvironment().isEmpty());
        QVERIFY(!a.retryPolicy());
        RetryPolicy p;
        p.count = 2;
        a.setRetryPolicy(p);
        QCOMPARE(a.retryPolicy()->count, 2);
    }

    // The rarely set fields live apart from the command; a copy must still own its own.
    void descriptorCopiesOwnTheirExtras()
    {
        TaskDescriptor a({ "/bin/true" });
        a.setName("first");
        a.setWorkingDirectory("/a");
        RetryPolicy p;
        p.count = 3;
        a.setRetryPolicy(p);
        TaskDescriptor b = a;
        b.setName("second");
        b.setEnvironmentVariable("Y", "1");
        p.count = 1;
        b.setRetryPolicy(p);
        QCOMPARE(a.name(), "first");
        QVERIFY(a.environment().isEmpty());
        QCOMPARE(a.retryPolicy()->count, 3);
        QCOMPARE(b.name(), "second");
        QCOMPARE(b.workingDirectory(), "/a");
        QCOMPARE(b.retryPolicy()->count, 1);
        QVERIFY(a != b);
        b.setName("first");
        b.setEnvironment({});
        b.setRetryPolicy(a.retryPolicy());
        QCOMPARE(a, b);
        const TaskDescriptor plain({ "/bin/true" });
        QVERIFY(plain.name().isEmpty());
        QVERIFY(!plain.retryPolicy());
        QVERIFY(plain != a);
        QCOMPARE(plain, TaskDescriptor({ "/bin/true" }));
    }

    void eventDescriptions_data()
    {
        QTest::addColumn<TaskEvent>("event");
        QTest::addColumn<QString>("description");
        QTest::newRow("started") << TaskEvent::started(1, 1, { "/bin/echo", "hi" }, "/tmp")
                                 << "started /bin/echo hi in /tmp (attempt 1)";
        QTest::newRow("stdout") << TaskEvent::output(1, 1, OutputChannel::Stdout, "hello")
                                << "hello";
        QTest::newRow("finished") << TaskEvent::finished(1, 1, 12) << "finished (exit 0) in 12 ms";
        QTest::newRow("failed") << TaskEvent::failed(1, 2, 3, 40) << "failed (exit 3) in 40 ms";
        QTest::newRow("failed with message")
                << TaskEvent::failed(1, 1, -1, 0, "failed to start 'x': nope")
                << "failed (exit -1) in 0 ms: failed to start 'x': nope";
        QTest::newRow("canceled") << TaskEvent::canceled(1, 1, 5) << "canceled after 5 ms";
        QTest::newRow("timeout") << TaskEvent::timeout(1, 1, 300) << "timeout after 300 ms";
        QTest::newRow("retrying") << TaskEvent::retrying(1, 1, 3, 250)
                                  << "retrying in 250 ms: attempt 1 failed (exit 3)";
        QTest::newRow("internal error")
                << TaskEvent::internalError(1, 0, "queue full", true) << "internalError queue full";
        // description() is not escaped; the text formatter is (tst_logging).
        QTest::newRow("raw output") << TaskEvent::output(1, 1, OutputChannel::Stdout,
                                                         "a\x1b"
                                                         "b")
                                    << "a\x1b"
                                       "b";
    }

    void eventDescriptions()
    {
        QFETCH(TaskEvent, event);
        QFETCH(QString, description);
        QCOMPARE(event.description(), description);
    }

    void terminalKinds()
    {
        QVERIFY(TaskEvent::finished(1, 1, 0).isTerminal());
        QVERIFY(TaskEvent::failed(1, 1, 1, 0).isTerminal());
        QVERIFY(TaskEvent::canceled(1, 1, 0).isTerminal());
        QVERIFY(TaskEvent::timeout(1, 1, 0).isTerminal());
        QVERIFY(TaskEvent::internalError(1, 0, "x", true).isTerminal());
        QVERIFY(!TaskEvent::internalError(1, 0, "x", false).isTerminal());
        QVERIFY(!TaskEvent::started(1, 1, {}, {}).isTerminal());
        QVERIFY(!TaskEvent::retrying(1, 1, 1, 0).isTerminal());
        QVERIFY(!TaskEvent::output(1, 1, OutputChannel::Stderr, "x").isTerminal());
    }

    void eventJson()
    {
        const QJsonObject started = TaskEvent::started(7, 1, { "a", "b c" }, "/w").toJson();
        QCOMPARE(started.value("event").toString(), "started");
        QCOMPARE(started.value("id").toInteger(), 7);
        QCOMPARE(started.value("command").toArray(), QJsonArray({ "a", "b c" }));
        QCOMPARE(started.value("workdir").toString(), "/w");
        const QJsonObject line = TaskEvent::output(7, 2, OutputChannel::Stderr, "x\ty").toJson();
        QCOMPARE(line.value("event").toString(), "stderr");
        QCOMPARE(line.value("line").toString(), "x\ty");
        QCOMPARE(line.value("attempt").toInt(), 2);
        const QJsonObject retry = TaskEvent::retrying(7, 1, 3, 250).toJson();
        QCOMPARE(retry.value("delayMs").toInteger(), 250);
        QCOMPARE(retry.value("exitCode").toInt(), 3);
        const QJsonObject failed = TaskEvent::failed(7, 1, -11, 9, "crashed").toJson();
        QCOMPARE(failed.value("durationMs").toInteger(), 9);
        QCOMPARE(failed.value("message").toString(), "crashed");
        QVERIFY(!TaskEvent::finished(7, 1, 1).toJson().contains("message"));
    }

    // The one task codec: canonical names out, the same descriptor back.
    void taskJsonRoundTrip()
    {
        TaskDescriptor task({ "/bin/echo", "a b", "" });
        task.setName("n");
        task.setWorkingDirectory("/w");
        task.setEnvironmentVariable("A", "1");
        task.unsetEnvironmentVariable("Z");
        task.unsetEnvironmentVariable("B");
        task.setTimeoutSeconds(2.5);
        task.setPerTaskLogPath("t.log");
        RetryPolicy retry;
        retry.count = 3;
        retry.delaySeconds = 0.5;
        retry.retryOnTimeout = true;
        task.setRetryPolicy(retry);
        const QJsonObject json = task.toJson();
        QCOMPARE(QStringList(json.keys()),
                 (QStringList { "command", "cwd", "env", "log", "name", "retry", "timeout" }));
        QCOMPARE(json.value("env").toObject(),
                 (QJsonObject {
                         { "A", "1" }, { "B", QJsonValue::Null }, { "Z", QJsonValue::Null } }));
        QString error;
        const std::optional<TaskDescriptor> back = TaskDescriptor::fromJson(json, &error);
        QVERIFY2(back, qPrintable(error));
        QCOMPARE(*back, task);
        const TaskDescriptor plain({ "x" });
        QCOMPARE(plain.toJson(), (QJsonObject { { "command", QJsonArray { "x" } } }));
        QCOMPARE(*TaskDescriptor::fromJson(plain.toJson()), plain);
    }

    // Scheduling fields go through the one codec too: the store keeps dependencies as ids.
    void taskJsonSchedulingFields()
    {
        TaskDescriptor task({ "x" });
        task.setPriority(-3);
        task.setLane("net");
        task.setDependencies({ 4, 9 });
        const QJsonObject json = task.toJson();
        QCOMPARE(json.value("priority").toInt(), -3);
        QCOMPARE(json.value("lane").toString(), QStringLiteral("net"));
        QCOMPARE(json.value("after").toArray(), (QJsonArray { 4, 9 }));
        QString error;
        const std::optional<TaskDescriptor> back = TaskDescriptor::fromJson(json, &error);
        QVERIFY2(back, qPrintable(error));
        QCOMPARE(*back, task);
        QCOMPARE(back->dependencies(), (QList<TaskId> { 4, 9 }));
        QVERIFY(TaskDescriptor::knownFieldNames().contains("priority, lane, after"));

        const QJsonObject command { { "command", QJsonArray { "x" } } };
        auto refused = [&](const char *field, const QJsonValue &value, const char *expected) {
            QJsonObject o = command;
            o.insert(QLatin1String(field), value);
            QString why;
            if (TaskDescriptor::fromJson(o, &why))
                return false;
            if (!why.contains(QLatin1String(expected)))
                qWarning("%s", qPrintable(why));
            return why.contains(QLatin1String(expected));
        };
        QVERIFY(refused("priority", 1.5, "\"priority\" must be a whole number"));
        QVERIFY(refused("priority", 3e9, "\"priority\" must be a whole number"));
        QVERIFY(refused("priority", "1", "\"priority\" must be a whole number"));
        QVERIFY(refused("lane", 2, "\"lane\" must be a string"));
        QVERIFY(refused("after", "a", "\"after\" must be an array of task ids"));
        QVERIFY(refused("after", QJsonArray { 0 }, "\"after\"[0] must be a task id"));
        QVERIFY(refused("after", QJsonArray { 1, "b" }, "\"after\"[1] must be a task id"));
    }

    // What stores and QML code wrote before the one vocabulary still reads.
    void taskJsonReadsOlderNames()
    {
        const QJsonObject older { { "command", QJsonArray { "x" } },
                                  { "workdir", "/w" },
                                  { "env", QJsonObject { { "A", "1" } } },
                                  { "unsetEnv", QJsonArray { "B" } },
                                  { "timeoutSeconds", 4 },
                                  { "logPath", "l" } };
        const std::optional<TaskDescriptor> task = TaskDescriptor::fromJson(older);
        QVERIFY(task);
        QCOMPARE(task->workingDirectory(), QStringLiteral("/w"));
        QCOMPARE(task->environment().value("A"), QStringLiteral("1"));
        QCOMPARE(task->unsetEnvironment(), QStringList { "B" });
        QCOMPARE(task->timeoutSeconds(), 4.0);
        QCOMPARE(task->perTaskLogPath(), QStringLiteral("l"));
        const QJsonObject qml { { "command", QJsonArray { "x" } },
                                { "workingDirectory", "/q" },
                                { "environment", QJsonObject { { "C", "3" } } },
                                { "unsetEnvironment", QJsonArray { "D" } },
                                { "perTaskLogPath", "p" } };
        const std::optional<TaskDescriptor> fromQml = TaskDescriptor::fromJson(qml);
        QVERIFY(fromQml);
        QCOMPARE(fromQml->workingDirectory(), QStringLiteral("/q"));
        QCOMPARE(fromQml->environment().value("C"), QStringLiteral("3"));
        QCOMPARE(fromQml->unsetEnvironment(), QStringList { "D" });
        QCOMPARE(fromQml->perTaskLogPath(), QStringLiteral("p"));
        QString error;
        QVERIFY(!TaskDescriptor::fromJson(QJsonObject { { "command", QJsonArray { "x" } },
                                                        { "cwd", "a" },
                                                        { "workdir", "b" } },
                                          &error));
        QVERIFY2(error.contains("\"cwd\" and \"workdir\" are the same field"), qPrintable(error));
        QVERIFY(!TaskDescriptor::fromJson(QJsonObject { { "command", QJsonArray { "x" } },
                                                        { "env", QJsonObject { { "A", "a" } } },
                                                        { "environment", QJsonObject {} } },
                                          &error));
        QVERIFY2(error.contains("same field"), qPrintable(error));
    }

    void outcomeClassifiesTerminalEventsOnce_data()
    {
        QTest::addColumn<TaskEvent>("event");
        QTest::addColumn<int>("outcome"); // -1: none
        QTest::addColumn<QString>("name");
        QTest::newRow("finished") << TaskEvent::finished(1, 1, 3) << int(Outcome::Finished)
                                  << "finished";
        QTest::newRow("failed") << TaskEvent::failed(1, 1, 2, 3) << int(Outcome::Failed)
                                << "failed";
        QTest::newRow("timeout") << TaskEvent::timeout(1, 1, 3) << int(Outcome::TimedOut)
                                 << "timeout";
        QTest::newRow("canceled") << TaskEvent::canceled(1, 1, 3) << int(Outcome::Canceled)
                                  << "canceled";
        QTest::newRow("rejected") << TaskEvent::internalError(1, 0, "queue full", true)
                                  << int(Outcome::Rejected) << "rejected";
        QTest::newRow("notice") << TaskEvent::internalError(1, 0, "x", false) << -1 << QString();
        QTest::newRow("started") << TaskEvent::started(1, 1, { "x" }, "/") << -1 << QString();
        QTest::newRow("stdout") << TaskEvent::output(1, 1, OutputChannel::Stdout, "x") << -1
                                << QString();
        QTest::newRow("retrying") << TaskEvent::retrying(1, 1, 1, 5) << -1 << QString();
    }
    void outcomeClassifiesTerminalEventsOnce()
    {
        QFETCH(TaskEvent, event);
        QFETCH(int, outcome);
        QFETCH(QString, name);
        QCOMPARE(event.outcome().has_value(), outcome >= 0);
        QCOMPARE(event.outcome().has_value(), event.isTerminal());
        if (outcome < 0)
            return;
        QCOMPARE(int(*event.outcome()), outcome);
        QCOMPARE(TaskEvent::outcomeName(*event.outcome()), name);
        QCOMPARE(TaskEvent::outcomeFromName(name), event.outcome());
    }
    void outcomeNamesOfOlderStores()
    {
        QCOMPARE(TaskEvent::outcomeFromName(u"internalError"), Outcome::Rejected);
        QVERIFY(!TaskEvent::outcomeFromName(u"started"));
        QCOMPARE(QMetaEnum::fromType<Outcome>().valueToKey(int(Outcome::TimedOut)), "TimedOut");
    }

    void finishedCarriesItsExitCode()
    {
        const TaskEvent event = TaskEvent::finished(1, 1, 3, 0);
        QCOMPARE(event.exitCode(), 0);
        QCOMPARE(event.toJson().value("exitCode").toInt(), 0);
    }

    void enumsPrintByName()
    {
        const QMetaEnum kinds = QMetaEnum::fromType<EventKind>();
        QCOMPARE(kinds.valueToKey(int(EventKind::Retrying)), "Retrying");
        QCOMPARE(QMetaEnum::fromType<TaskState>().valueToKey(int(TaskState::RetryWait)),
                 "RetryWait");
    }
};

QTEST_APPLESS_MAIN(tst_Values)
#include "tst_values.moc"
