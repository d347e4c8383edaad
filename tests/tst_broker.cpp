// SPDX-License-Identifier: MIT
#include "testsupport.h"

#include <taskconductor/broker.h>

#include <QtCore/qelapsedtimer.h>
#include <QtCore/qtemporarydir.h>
#include <QtCore/qthread.h>
#include <QtTest/qsignalspy.h>
#include <QtTest/qtest.h>

#include <memory>

using namespace TaskConductor;
using namespace TestSupport;

namespace {
constexpr int Wait = 10000; // generous upper bound; QTRY returns as soon as the condition holds
}

class tst_Broker : public QObject
{
    Q_OBJECT

private:
    BrokerFixture m_fixture { "tst_broker" };

    BrokerConfig config() const { return m_fixture.config(); }

private Q_SLOTS:
    void initTestCase() { QVERIFY(QFile::exists(helper())); }

    // After every test: nothing the test started is left running.
    void cleanup() { m_fixture.expectNothingLeft(Wait); }

    // Signals are emitted only once something is connected; one connected later still gets
    // every event from then on.
    void signalsConnectedLaterStillArrive()
    {
        Recorder r;
        Broker broker(config());
        const TaskId first = broker.enqueue(helperTask({ "lines", "2" }), r.handler());
        QTRY_VERIFY_WITH_TIMEOUT(r.ended(first), Wait);
        QSignalSpy all(&broker, &Broker::eventOccurred);
        QSignalSpy out(&broker, &Broker::stdoutLine);
        QSignalSpy done(&broker, &Broker::finished);
        const TaskId second = broker.enqueue(helperTask({ "lines", "3" }), r.handler());
        QTRY_VERIFY_WITH_TIMEOUT(r.ended(second), Wait);
        QCOMPARE(all.count(), r.of(second).count());
        QCOMPARE(out.count(), 3);
        QCOMPARE(out.at(2).at(1).toString(), QStringLiteral("line 3"));
        QCOMPARE(done.count(), 1);
        QCOMPARE(done.at(0).at(0).value<TaskId>(), second);
    }

    void signalsMirrorHandlerEvents()
    {
        Recorder r;
        Broker broker(config());
        QSignalSpy all(&broker, &Broker::eventOccurred);
        QSignalSpy out(&broker, &Broker::stdoutLine);
        QSignalSpy err(&broker, &Broker::stderrLine);
        QSignalSpy done(&broker, &Broker::finished);
        QSignalSpy started(&broker, &Broker::started);
        const TaskId id = broker.enqueue(helperTask({ "mixed" }), r.handler());
        QTRY_VERIFY_WITH_TIMEOUT(r.ended(id), Wait);
        QCOMPARE(all.count(), r.events.count());
        QCOMPARE(started.count(), 1);
        QCOMPARE(out.count(), 2);
        QCOMPARE(err.count(), 2);
        QCOMPARE(done.count(), 1);
        QCOMPARE(done.first().at(0).value<TaskId>(), id);
        // finished(id, exitCode, durationMs) carries the terminal event's own values.
        QCOMPARE(done.first().at(1).toInt(), r.terminal(id).exitCode());
        QCOMPARE(done.first().at(2).value<qint64>(), r.terminal(id).durationMs());
        QCOMPARE(r.lines(id, EventKind::Stderr), (QStringList { "err 1", "err 2" }));
    }

    void environmentMerge()
    {
        qputenv("TC_HOST_ONLY", "host");
        qputenv("TC_HOST_DEFAULT", "host");
        qputenv("TC_HOST_UNSET", "host");
        BrokerConfig c = config();
        c.defaultEnvironment.insert("TC_HOST_DEFAULT", "default");
        c.defaultEnvironment.insert("TC_DEFAULT_TASK", "default");
        Recorder r;
        Broker broker(c);
        TaskDescriptor task = helperTask({ "env", "TC_HOST_ONLY", "TC_HOST_DEFAULT",
                                           "TC_DEFAULT_TASK", "TC_TASK", "TC_HOST_UNSET" });
        task.setEnvironmentVariable("TC_DEFAULT_TASK", "task");
        task.setEnvironmentVariable("TC_TASK", "task");
        task.unsetEnvironmentVariable("TC_HOST_UNSET");
        const TaskId id = broker.enqueue(task, r.handler());
        QTRY_VERIFY_WITH_TIMEOUT(r.ended(id), Wait);
        QCOMPARE(r.lines(id),
                 (QStringList { "TC_HOST_ONLY=host", "TC_HOST_DEFAULT=default",
                                "TC_DEFAULT_TASK=task", "TC_TASK=task", "TC_HOST_UNSET unset" }));
    }

    void workingDirectory()
    {
        QTemporaryDir defaultDir, taskDir;
        BrokerConfig c = config();
        c.defaultWorkingDirectory = defaultDir.path();
        Recorder r;
        Broker broker(c);
        const TaskId a = broker.enqueue(helperTask({ "cwd" }), r.handler());
        TaskDescriptor own = helperTask({ "cwd" });
        own.setWorkingDirectory(taskDir.path());
        const TaskId b = broker.enqueue(own, r.handler());
        QTRY_VERIFY_WITH_TIMEOUT(r.ended(a) && r.ended(b), Wait);
        QCOMPARE(r.lines(a), QStringList { QDir(defaultDir.path()).canonicalPath() });
        QCOMPARE(r.lines(b), QStringList { QDir(taskDir.path()).canonicalPath() });
        QCOMPARE(r.of(b).first().workingDirectory(), taskDir.path());
    }

    void invalidTaskIsRejected()
    {
        Recorder r;
        Broker broker(config());
        const TaskId id = broker.enqueue(TaskDescriptor(), r.handler());
        QCOMPARE(r.kinds(id), QList<EventKind> { EventKind::InternalError });
        QVERIFY(r.terminal(id).isTerminal());
        QVERIFY(r.terminal(id).message().contains("empty command"));
    }

    void concurrencyCapAndFifo()
    {
        BrokerConfig c = config();
        c.maxConcurrentTasks = 2;
        Recorder r;
        Broker broker(c);
        QList<TaskId> ids;
        int live = 0, peak = 0;
        bool fifo = true;
        connect(&broker, &Broker::eventOccurred, this, [&](const TaskEvent &e) {
            if (e.kind() == EventKind::Started)
                peak = std::max(peak, ++live);
            else if (e.isTerminal())
                --live;
            // FIFO: the tasks that have left the queue are always a prefix of the enqueues.
            bool seenPending = false;
            for (TaskId id : ids) {
                const bool isPending = broker.state(id) == TaskState::Pending;
                fifo &= !(seenPending && !isPending);
                seenPending |= isPending;
            }
            QVERIFY(broker.runningCount() <= 2);
        });
        for (int i = 0; i < 8; ++i)
            ids.append(broker.enqueue(helperTask({ "slow-lines", "2", "20" }), r.handler()));
        QCOMPARE(broker.runningCount(), 2);
        QCOMPARE(broker.pendingCount(), 6);
        QTRY_VERIFY_WITH_TIMEOUT(broker.isIdle(), Wait);
        QCOMPARE(peak, 2);
        QVERIFY(fifo);
        for (TaskId id : ids)
            QVERIFY(r.exactlyOnce(id));
    }

    void queueFullRejectsAtOnce()
    {
        BrokerConfig c = config();
        c.maxConcurrentTasks = 1;
        c.maxQueueDepth = 2;
        Recorder running, pending, rejected;
        Broker broker(c);
        const TaskId a = broker.enqueue(helperTask({ "hang" }), running.handler());
        const TaskId b = broker.enqueue(helperTask({ "exit", "0" }), pending.handler());
        const TaskId p2 = broker.enqueue(helperTask({ "exit", "0" }), pending.handler());
        QSignalSpy errors(&broker, &Broker::internalError);
        const TaskId x = broker.enqueue(helperTask({ "exit", "0" }), rejected.handler());
        // Delivered before enqueue() returned, to that enqueue's handler only.
        QCOMPARE(rejected.kinds(x), QList<EventKind> { EventKind::InternalError });
        QVERIFY(rejected.terminal(x).message().contains("queue full"));
        QCOMPARE(errors.count(), 1);
        QCOMPARE(broker.pendingCount(), 2);
        QVERIFY(pending.events.isEmpty());
        QVERIFY(broker.cancel(a));
        QTRY_VERIFY_WITH_TIMEOUT(broker.isIdle(), Wait);
        QCOMPARE(rejected.events.count(), 1); // and nothing else, ever
        QVERIFY(pending.exactlyOnce(b) && pending.exactlyOnce(p2));
        QCOMPARE(running.terminal(a).kind(), EventKind::Canceled);
    }

    void lineSplitting_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<QStringList>("lines");
        QTest::newRow("crlf") << QStringList { "bytes", "610d0a620d0a" }
                              << QStringList { "a", "b" };
        QTest::newRow("empty lines")
                << QStringList { "bytes", "0a0a630a" } << QStringList { "", "", "c" };
        QTest::newRow("invalid utf-8") << QStringList { "bytes", "41ff42c30a" }
                                       << QStringList { QString::fromUtf8("A\xff"
                                                                          "B\xc3") };
        QTest::newRow("utf-8") << QStringList { "bytes", "c3a9e282ac0a" }
                               << QStringList { QString::fromUtf8("\xc3\xa9\xe2\x82\xac") };
    }

    void lineSplitting()
    {
        QFETCH(QStringList, args);
        QFETCH(QStringList, lines);
        Recorder r;
        Broker broker(config());
        const TaskId id = broker.enqueue(helperTask(args), r.handler());
        QTRY_VERIFY_WITH_TIMEOUT(r.ended(id), Wait);
        QCOMPARE(r.terminal(id).kind(), EventKind::Finished);
        QCOMPARE(r.lines(id), lines);
        QVERIFY(r.exactlyOnce(id));
    }

    // Long lines are decoded into a reused buffer: a line a handler keeps must never change,
    // and every line must read as QString::fromUtf8() reads it (invalid bytes, BOM, accents).
    void longLinesKeptByHandlerStayIntact()
    {
        const QList<QByteArray> raw {
            QByteArray(5000, 'a') + "\xff" + "b",
            "\xef\xbb\xbf" + QByteArray(6000, 'c'),
            QByteArray("\xc3\xa9").repeated(4096),
            "x",
            QByteArray(5000, 'd') + "\xc3",
            QByteArray(7000, 'e'),
            QByteArray(4500, 'f'),
        };
        QByteArray hex;
        for (const QByteArray &line : raw)
            hex += (line + '\n').toHex();
        Broker broker(config());
        QStringList kept; // even lines: shared with the event; odd lines: deep copies
        int count = 0;
        TaskEvent terminal;
        const TaskId id = broker.enqueue(
                helperTask({ "bytes", QString::fromLatin1(hex) }), [&](const TaskEvent &e) {
                    if (e.kind() == EventKind::Stdout) {
                        const QString line = e.line();
                        kept.append(count++ % 2 == 0 ? line
                                                     : QString(line.constData(), line.size()));
                    } else if (e.isTerminal()) {
                        terminal = e;
                    }
                });
        QTRY_VERIFY_WITH_TIMEOUT(terminal.isTerminal(), Wait);
        QCOMPARE(terminal.kind(), EventKind::Finished);
        QCOMPARE(terminal.taskId(), id);
        QCOMPARE(kept.size(), raw.size());
        for (int i = 0; i < raw.size(); ++i)
            QCOMPARE(kept.at(i), QString::fromUtf8(raw.at(i)));
    }

    void hugeLineIsDeliveredInBoundedPieces()
    {
        BrokerConfig c = config();
        c.maxLineBytes = 64 * 1024;
        Broker broker(c);
        qsizetype total = 0, longest = 0;
        int pieces = 0;
        const TaskId id = broker.enqueue(helperTask({ "huge-line", QString::number(20 << 20) }),
                                         [&](const TaskEvent &e) {
                                             if (e.kind() == EventKind::Stdout) {
                                                 total += e.line().size();
                                                 longest = std::max(longest, e.line().size());
                                                 ++pieces;
                                             }
                                         });
        QTRY_VERIFY_WITH_TIMEOUT(broker.state(id) == TaskState::Done, Wait);
        QCOMPARE(total, qsizetype(20 << 20));
        QCOMPARE(longest, qsizetype(64 * 1024));
        QCOMPARE(pieces, 320);
    }

    void cancelPendingIsImmediate()
    {
        BrokerConfig c = config();
        c.maxConcurrentTasks = 1;
        Recorder r;
        Broker broker(c);
        const TaskId a = broker.enqueue(helperTask({ "hang" }), r.handler());
        const TaskId b = broker.enqueue(helperTask({ "exit", "0" }), r.handler());
        QCOMPARE(broker.state(b), TaskState::Pending);
        QVERIFY(broker.cancel(b));
        QCOMPARE(r.kinds(b), QList<EventKind> { EventKind::Canceled }); // before cancel() returned
        QCOMPARE(broker.pendingCount(), 0);
        broker.cancel(a);
        QTRY_VERIFY_WITH_TIMEOUT(broker.isIdle(), Wait);
        QCOMPARE(r.kinds(b), QList<EventKind> { EventKind::Canceled });
        QVERIFY(r.exactlyOnce(a));
    }

    void cancelUnknownOrFinished()
    {
        Recorder r, errors;
        Broker broker(config());
        QSignalSpy terminal(&broker, &Broker::canceled);
        QVERIFY(!broker.cancel(424242, errors.handler()));
        QCOMPARE(errors.kinds(424242), QList<EventKind> { EventKind::InternalError });
        QVERIFY(!errors.events.last().isTerminal());
        const TaskId id = broker.enqueue(helperTask({ "exit", "0" }), r.handler());
        QTRY_VERIFY_WITH_TIMEOUT(r.ended(id), Wait);
        QVERIFY(!broker.cancel(id, errors.handler()));
        QCOMPARE(errors.kinds(id), QList<EventKind> { EventKind::InternalError });
        QVERIFY(r.exactlyOnce(id));
        QCOMPARE(terminal.count(), 0);
    }

    void defaultTimeoutAndOptOut()
    {
        BrokerConfig c = config();
        c.defaultTimeoutSeconds = 0.2;
        Recorder r;
        Broker broker(c);
        const TaskId byDefault = broker.enqueue(helperTask({ "hang" }), r.handler());
        TaskDescriptor none = helperTask({ "slow-lines", "2", "400" });
        none.setTimeoutSeconds(0);
        const TaskId optedOut = broker.enqueue(none, r.handler());
        QTRY_VERIFY_WITH_TIMEOUT(r.ended(byDefault) && r.ended(optedOut), Wait);
        QCOMPARE(r.terminal(byDefault).kind(), EventKind::Timeout);
        QCOMPARE(r.terminal(optedOut).kind(), EventKind::Finished);
    }

    // The Broker emits only the signals someone connected; each one alone must still arrive.
    void eachSignalArrivesWhenConnectedAlone_data()
    {
        QTest::addColumn<int>("signal");
        const char *names[] = { "eventOccurred", "started",      "stdoutLine", "stderrLine",
                                "finished",      "failed",       "canceled",   "timedOut",
                                "retrying",      "internalError" };
        for (int i = 0; i < int(std::size(names)); ++i)
            QTest::newRow(names[i]) << i;
    }
    void eachSignalArrivesWhenConnectedAlone()
    {
        QFETCH(int, signal);
        BrokerConfig c = config();
        c.maxConcurrentTasks = 8;
        c.maxQueueDepth = 0;
        Recorder r;
        Broker broker(c);
        std::unique_ptr<QSignalSpy> spy;
        switch (signal) {
        case 0:
            spy = std::make_unique<QSignalSpy>(&broker, &Broker::eventOccurred);
            break;
        case 1:
            spy = std::make_unique<QSignalSpy>(&broker, &Broker::started);
            break;
        case 2:
            spy = std::make_unique<QSignalSpy>(&broker, &Broker::stdoutLine);
            break;
        case 3:
            spy = std::make_unique<QSignalSpy>(&broker, &Broker::stderrLine);
            break;
        case 4:
            spy = std::make_unique<QSignalSpy>(&broker, &Broker::finished);
            break;
        case 5:
            spy = std::make_unique<QSignalSpy>(&broker, &Broker::failed);
            break;
        case 6:
            spy = std::make_unique<QSignalSpy>(&broker, &Broker::canceled);
            break;
        case 7:
            spy = std::make_unique<QSignalSpy>(&broker, &Broker::timedOut);
            break;
        case 8:
            spy = std::make_unique<QSignalSpy>(&broker, &Broker::retrying);
            break;
        default:
            spy = std::make_unique<QSignalSpy>(&broker, &Broker::internalError);
            break;
        }
        QList<TaskId> ids;
        ids << broker.enqueue(helperTask({ "mixed" }), r.handler()); // started, out, err, finished
        TaskDescriptor failing = helperTask({ "exit", "3" });
        RetryPolicy once;
        once.count = 1;
        once.delaySeconds = 0.01;
        failing.setRetryPolicy(once);
        ids << broker.enqueue(failing, r.handler()); // retrying, failed
        TaskDescriptor slow = helperTask({ "hang" });
        slow.setTimeoutSeconds(0.1);
        ids << broker.enqueue(slow, r.handler()); // timeout
        const TaskId canceled = broker.enqueue(helperTask({ "hang" }), r.handler());
        ids << canceled;
        QTRY_COMPARE_WITH_TIMEOUT(r.lines(canceled), QStringList { "ready" }, Wait);
        QVERIFY(broker.cancel(canceled));
        QTRY_VERIFY_WITH_TIMEOUT(
                std::all_of(ids.cbegin(), ids.cend(), [&](TaskId id) { return r.ended(id); }),
                Wait);
        c.maxConcurrentTasks = 1; // queue full: an internalError
        Broker full(c);
        if (signal == 9) {
            spy = std::make_unique<QSignalSpy>(&full, &Broker::internalError);
            full.enqueue(helperTask({ "hang" }), r.handler());
            full.enqueue(helperTask({ "hang" }), r.handler());
        }
        QVERIFY2(!spy->isEmpty(), "the only connected signal was never emitted");
    }

    void grandchildHoldingStdoutIsKilled()
    {
        Recorder r;
        Broker broker(config());
        const TaskId id = broker.enqueue(helperTask({ "grandchild", "exit" }), r.handler());
        QTRY_VERIFY_WITH_TIMEOUT(r.ended(id), Wait);
        QCOMPARE(r.terminal(id).kind(), EventKind::Finished);
        const int grandchild = r.lines(id).first().split(' ').last().toInt();
        QTRY_VERIFY_WITH_TIMEOUT(!processAlive(grandchild), Wait);
    }

    void retriesWithBackoff()
    {
        BrokerConfig c = config();
        c.retry.count = 3;
        c.retry.delaySeconds = 0.02;
        c.retry.backoffMultiplier = 2;
        c.retry.maxDelaySeconds = 0.05;
        c.retry.jitterSeconds = 0.01;
        c.randomSource = [] { return 1.0; }; // always the upper edge: +jitter
        Recorder r;
        Broker broker(c);
        const TaskId id = broker.enqueue(helperTask({ "exit", "3" }), r.handler());
        QTRY_VERIFY_WITH_TIMEOUT(r.ended(id), Wait);
        QList<qint64> delays;
        QList<int> attempts;
        for (const TaskEvent &e : r.of(id)) {
            if (e.kind() == EventKind::Retrying) {
                delays.append(e.delayMs());
                attempts.append(e.attempt());
                QCOMPARE(e.exitCode(), 3);
            }
        }
        QCOMPARE(attempts, (QList<int> { 1, 2, 3 }));
        QCOMPARE(delays, (QList<qint64> { 30, 50, 60 })); // 20, 40, capped 50; +10 jitter
        QCOMPARE(r.terminal(id).kind(), EventKind::Failed);
        QCOMPARE(r.terminal(id).attempt(), 4);
        QCOMPARE(r.terminal(id).exitCode(), 3);
    }

    void retryWaitHoldsNoSlot()
    {
        BrokerConfig c = config();
        c.maxConcurrentTasks = 1;
        c.retry.count = 1;
        c.retry.delaySeconds = 0.5;
        Recorder r;
        Broker broker(c);
        QList<TaskId> starts;
        connect(&broker, &Broker::started, this, [&](TaskId id) { starts.append(id); });
        const TaskId failing = broker.enqueue(helperTask({ "exit", "1" }), r.handler());
        const TaskId other = broker.enqueue(helperTask({ "exit", "0" }), r.handler());
        QTRY_VERIFY_WITH_TIMEOUT(r.ended(failing) && r.ended(other), Wait);
        QCOMPARE(starts, (QList<TaskId> { failing, other, failing }));
    }

    void cancelDuringRetryWait()
    {
        BrokerConfig c = config();
        c.retry.count = 1;
        c.retry.delaySeconds = 30;
        Recorder r;
        Broker broker(c);
        const TaskId id = broker.enqueue(helperTask({ "exit", "1" }), r.handler());
        QTRY_COMPARE_WITH_TIMEOUT(broker.state(id), TaskState::RetryWait, Wait);
        QCOMPARE(broker.retryWaitingCount(), 1);
        QCOMPARE(broker.runningCount(), 0);
        QVERIFY(broker.cancel(id));
        QCOMPARE(r.kinds(id),
                 (QList<EventKind> { EventKind::Started, EventKind::Retrying,
                                     EventKind::Canceled }));
        QVERIFY(broker.isIdle());
    }

    void clientsAreIsolated()
    {
        BrokerConfig c = config();
        c.maxConcurrentTasks = 3;
        c.retry.count = 2;
        c.retry.delaySeconds = 0.01;
        c.retry.jitterSeconds = 0.01;
        Recorder alice, bob;
        Broker broker(c);
        QList<TaskId> aliceIds, bobIds;
        for (int i = 0; i < 6; ++i) {
            aliceIds.append(broker.enqueue(helperTask({ "lines", "2", "alice" }), alice.handler()));
            bobIds.append(broker.enqueue(
                    helperTask({ i % 2 ? "exit" : "lines", i % 2 ? "4" : "2", "bob" }),
                    bob.handler()));
        }
        QTRY_VERIFY_WITH_TIMEOUT(broker.isIdle(), Wait);
        for (const TaskEvent &e : alice.events) {
            QVERIFY(aliceIds.contains(e.taskId()));
            if (e.kind() == EventKind::Stdout)
                QVERIFY(e.line().startsWith("alice"));
        }
        for (const TaskEvent &e : bob.events) {
            QVERIFY(bobIds.contains(e.taskId()));
            if (e.kind() == EventKind::Stdout)
                QVERIFY(e.line().startsWith("bob"));
        }
        for (TaskId id : aliceIds)
            QVERIFY(alice.exactlyOnce(id));
        for (int i = 0; i < bobIds.size(); ++i) {
            QVERIFY(bob.exactlyOnce(bobIds[i]));
            QCOMPARE(bob.kinds(bobIds[i]).count(EventKind::Retrying), i % 2 ? 2 : 0);
        }
    }

    void handlerMayEnqueueAndCancel()
    {
        BrokerConfig c = config();
        c.maxConcurrentTasks = 1;
        c.maxQueueDepth = 0; // the follow-up only fits because the finished task freed its slot
        Recorder r;
        TaskId followUp = 0;
        TaskId self = 0;
        Broker broker(c);
        self = broker.enqueue(helperTask({ "hang" }), [&](const TaskEvent &e) {
            r.events.append(e);
            if (e.kind() == EventKind::Stdout)
                broker.cancel(self); // cancel myself from my own callback
            if (e.kind() == EventKind::Canceled)
                followUp = broker.enqueue(helperTask({ "lines", "1" }), r.handler());
        });
        QTRY_VERIFY_WITH_TIMEOUT(followUp != 0 && r.ended(followUp), Wait);
        QCOMPARE(r.terminal(self).kind(), EventKind::Canceled);
        QCOMPARE(r.terminal(followUp).kind(), EventKind::Finished);
        QVERIFY(r.exactlyOnce(self));
    }

    void handlerMayEnqueueOnRejection()
    {
        BrokerConfig c = config();
        c.maxConcurrentTasks = 1;
        c.maxQueueDepth = 0;
        Recorder r;
        Broker broker(c);
        const TaskId blocker = broker.enqueue(helperTask({ "hang" }), r.handler());
        int rejections = 0;
        TaskEventHandler retryLater;
        retryLater = [&](const TaskEvent &e) {
            r.events.append(e);
            if (e.kind() == EventKind::InternalError && ++rejections < 3)
                broker.enqueue(helperTask({ "exit", "0" }), retryLater); // re-entrant rejection
        };
        broker.enqueue(helperTask({ "exit", "0" }), retryLater);
        QCOMPARE(rejections, 3);
        broker.cancel(blocker);
        QTRY_VERIFY_WITH_TIMEOUT(broker.isIdle(), Wait);
    }

    void handlerThatThrowsDoesNotBreakTheBroker()
    {
        Recorder r;
        Broker broker(config());
        for (int i = 0; i < 4; ++i) // started, two lines, finished
            QTest::ignoreMessage(QtWarningMsg, "task 1: an event handler threw: handler bug");
        const TaskId id = broker.enqueue(helperTask({ "lines", "2" }), [&](const TaskEvent &e) {
            r.events.append(e);
            throw std::runtime_error("handler bug");
        });
        QTRY_VERIFY_WITH_TIMEOUT(r.ended(id), Wait);
        QVERIFY(r.exactlyOnce(id));
        QCOMPARE(r.lines(id).size(), 2);
    }

    void enqueueAndCancelFromOtherThreads()
    {
        BrokerConfig c = config();
        c.maxConcurrentTasks = 2;
        Broker broker(c);
        QList<TaskEvent> events;
        bool wrongThread = false;
        auto handler = [&](const TaskEvent &e) {
            wrongThread |= QThread::currentThread() != broker.thread();
            events.append(e);
        };
        QList<TaskId> ids;
        TaskId toCancel = 0;
        std::unique_ptr<QThread> worker(QThread::create([&] {
            for (int i = 0; i < 20; ++i)
                ids.append(broker.enqueue(helperTask({ "exit", "0" }), handler));
            toCancel = broker.enqueue(helperTask({ "hang" }), handler);
            broker.cancel(toCancel);
        }));
        worker->start();
        QVERIFY(worker->wait(Wait));
        auto terminalCount = [&] {
            int n = 0;
            for (const auto &e : events)
                n += e.isTerminal();
            return n;
        };
        QTRY_COMPARE_WITH_TIMEOUT(terminalCount(), 21, Wait);
        QVERIFY(!wrongThread);
        QTRY_VERIFY_WITH_TIMEOUT(broker.isIdle(), Wait);
        for (const auto &e : events)
            if (e.taskId() == toCancel)
                QVERIFY(e.kind() == EventKind::Canceled || e.kind() == EventKind::Started);
    }

    void contextReceiverGuardsHandler()
    {
        Broker broker(config());
        auto receiver = std::make_unique<QObject>();
        int calls = 0;
        const TaskId id = broker.enqueue(helperTask({ "slow-lines", "2", "200" }), receiver.get(),
                                         [&](const TaskEvent &) { ++calls; });
        QTRY_VERIFY_WITH_TIMEOUT(calls >= 1, Wait); // started
        receiver.reset();
        const int before = calls;
        QTRY_VERIFY_WITH_TIMEOUT(broker.state(id) == TaskState::Done, Wait);
        QCOMPARE(calls, before);
    }

    // killAll(): what cancelAll() does, with SIGKILL at once instead of after the grace period,
    // also for a task that is already stopping.
    void killAllSkipsTheGracePeriod()
    {
        BrokerConfig c = config();
        c.maxConcurrentTasks = 2;
        c.killGraceSeconds = 60;
        Recorder r;
        Broker broker(c);
        const TaskId stopping = broker.enqueue(helperTask({ "ignore-term" }), r.handler());
        const TaskId running = broker.enqueue(helperTask({ "ignore-term" }), r.handler());
        const TaskId pending = broker.enqueue(helperTask({ "exit", "0" }), r.handler());
        QTRY_VERIFY_WITH_TIMEOUT(r.lines(stopping).size() == 1 && r.lines(running).size() == 1,
                                 Wait);
        QVERIFY(broker.cancel(stopping)); // in its 60 s grace period now
        QElapsedTimer clock;
        clock.start();
        broker.killAll();
        QTRY_VERIFY_WITH_TIMEOUT(broker.isIdle(), Wait);
        QVERIFY2(clock.elapsed() < 5000, qPrintable(QString::number(clock.elapsed())));
        for (TaskId id : { stopping, running, pending }) {
            QVERIFY(r.exactlyOnce(id));
            QCOMPARE(r.terminal(id).kind(), EventKind::Canceled);
        }
    }

    void destroyingBrokerFromHandler()
    {
        Recorder r;
        auto *broker = new Broker(config());
        const TaskId other = broker->enqueue(helperTask({ "hang" }), r.handler());
        const TaskId id = broker->enqueue(helperTask({ "lines", "5" }), [&](const TaskEvent &e) {
            r.events.append(e);
            if (e.kind() == EventKind::Stdout && broker) {
                delete broker;
                broker = nullptr;
            }
        });
        QTRY_VERIFY_WITH_TIMEOUT(broker == nullptr, Wait);
        QVERIFY(r.exactlyOnce(id));
        QVERIFY(r.exactlyOnce(other));
        QCOMPARE(r.terminal(id).kind(), EventKind::Canceled);
    }
};

QTEST_GUILESS_MAIN(tst_Broker)
#include "tst_broker.moc"
