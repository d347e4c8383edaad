// SPDX-License-Identifier: MIT
// Scheduling: priorities, lanes, pause/resume/drain and dependencies, through the public API.
#include "lanequeues.h"
#include "testsupport.h"

#include <taskconductor/broker.h>

#include <QtCore/qtemporarydir.h>
#include <QtTest/qsignalspy.h>
#include <QtTest/qtest.h>

using namespace TaskConductor;
using namespace TestSupport;

namespace {
constexpr int Wait = 10000; // generous upper bound; QTRY returns as soon as the condition holds

TaskDescriptor exitTask(int code = 0)
{
    return helperTask({ "exit", QString::number(code) });
}

TaskDescriptor withPriority(TaskDescriptor task, int priority)
{
    task.setPriority(priority);
    return task;
}

TaskDescriptor inLane(TaskDescriptor task, const QString &lane)
{
    task.setLane(lane);
    return task;
}

TaskDescriptor after(TaskDescriptor task, const QList<TaskId> &dependencies)
{
    task.setDependencies(dependencies);
    return task;
}

// The ids in the order their first `started` arrived.
QList<TaskId> startOrder(const Recorder &r)
{
    QList<TaskId> ids;
    for (const TaskEvent &e : r.events)
        if (e.kind() == EventKind::Started && !ids.contains(e.taskId()))
            ids.append(e.taskId());
    return ids;
}

// Position of task id's first event of kind in r (-1: none).
qsizetype positionOf(const Recorder &r, TaskId id, EventKind kind)
{
    for (qsizetype i = 0; i < r.events.size(); ++i)
        if (r.events.at(i).taskId() == id && r.events.at(i).kind() == kind)
            return i;
    return -1;
}
} // namespace

class tst_Scheduling : public QObject
{
    Q_OBJECT

private:
    QByteArray m_marker;

    BrokerConfig config(int maxRunning = 4) const
    {
        BrokerConfig c = testConfig(m_marker);
        c.maxConcurrentTasks = maxRunning;
        return c;
    }

private Q_SLOTS:
    void initTestCase()
    {
        m_marker = childMarker("tst_scheduling");
        QVERIFY(QFile::exists(helper()));
    }

    void cleanup() { QTRY_COMPARE_WITH_TIMEOUT(processesWithMarker(m_marker), QList<int>(), Wait); }

    // The pure queue: priority first, then id; full and paused lanes skipped; dead ids dropped.
    void laneQueuesOrder()
    {
        LaneQueues q;
        const int net = q.laneIndex("net");
        QCOMPARE(q.laneIndex("net"), net);
        QCOMPARE(q.findLane("cpu"), -1);
        q.setLimit(net, 1);
        q.push(0, 0, 1);
        q.push(net, 5, 2);
        q.push(0, 5, 3);
        q.push(net, 5, 4);
        q.push(0, -1, 5);
        const auto all = [](TaskId) { return true; };
        QCOMPARE(q.takeNext(all), std::optional<TaskId>(2));
        q.slotChanged(net, 1); // net is full now: 4 waits although it has priority 5
        QCOMPARE(q.takeNext(all), std::optional<TaskId>(3));
        QCOMPARE(q.takeNext(all), std::optional<TaskId>(1));
        q.setPaused(0, true);
        QCOMPARE(q.takeNext(all), std::nullopt);
        q.slotChanged(net, -1);
        QCOMPARE(q.takeNext([](TaskId id) { return id != 4; }), std::nullopt); // 4 was canceled
        q.setPaused(0, false);
        QCOMPARE(q.takeNext(all), std::optional<TaskId>(5));
        QCOMPARE(q.takeNext(all), std::nullopt);
    }

    // Within one lane and priority the order is by id, not by push: a resumed stored task (a
    // lower id) or a dependent released late goes ahead of the tasks enqueued after it.
    void laneQueuesKeepIdOrder()
    {
        LaneQueues q;
        for (TaskId id : { 5, 6, 9 })
            q.push(0, 0, id);
        q.push(0, 0, 2);
        q.push(0, 0, 7);
        q.push(0, 0, 10);
        const auto all = [](TaskId) { return true; };
        QList<TaskId> order;
        while (const std::optional<TaskId> id = q.takeNext(all))
            order.append(*id);
        QCOMPARE(order, (QList<TaskId> { 2, 5, 6, 7, 9, 10 }));
    }

    // laneIndex() compares names up to 16 lanes and hashes beyond: both find the same lane.
    void laneQueuesManyLanes()
    {
        LaneQueues q;
        QList<int> indices;
        for (int i = 0; i < 40; ++i)
            indices.append(q.laneIndex(QStringLiteral("lane%1").arg(i)));
        for (int i = 0; i < 40; ++i) {
            const QString name = QStringLiteral("lane%1").arg(i); // its own string
            QCOMPARE(q.laneIndex(name), indices.at(i));
            QCOMPARE(q.findLane(name), indices.at(i));
        }
        QCOMPARE(QSet<int>(indices.cbegin(), indices.cend()).size(), 40);
        QVERIFY(!indices.contains(0)); // 0 is the default lane
        QCOMPARE(q.laneIndex(QString()), 0);
    }

    void priorityOrderAtCapOne()
    {
        Recorder r; // declared first: it outlives the Broker
        Broker broker(config(1));
        broker.pause();
        const TaskId a = broker.enqueue(exitTask(), r.handler());
        const TaskId b = broker.enqueue(withPriority(exitTask(), 5), r.handler());
        const TaskId c = broker.enqueue(withPriority(exitTask(), 1), r.handler());
        const TaskId d = broker.enqueue(withPriority(exitTask(), 5), r.handler());
        const TaskId e = broker.enqueue(withPriority(exitTask(), -1), r.handler());
        QCOMPARE(broker.pendingCount(), 5);
        broker.resume();
        QTRY_VERIFY_WITH_TIMEOUT(broker.isIdle(), Wait);
        QCOMPARE(startOrder(r), (QList<TaskId> { b, d, c, a, e }));
        for (TaskId id : { a, b, c, d, e })
            QVERIFY(r.exactlyOnce(id));
        const TaskEvent started = r.of(b).first();
        QCOMPARE(started.priority(), 5);
        QVERIFY(started.toJsonText().contains(QLatin1String("\"priority\":5,\"lane\":\"\"")));
    }

    // Priority never preempts: a high-priority task waits for the running one.
    void priorityDoesNotPreempt()
    {
        Recorder r; // declared first: it outlives the Broker
        Broker broker(config(1));
        const TaskId low = broker.enqueue(helperTask({ "hang" }), r.handler());
        QTRY_COMPARE_WITH_TIMEOUT(r.lines(low), QStringList { "ready" }, Wait);
        const TaskId high = broker.enqueue(withPriority(exitTask(), 100), r.handler());
        QCOMPARE(broker.state(high), TaskState::Pending);
        QCOMPARE(broker.state(low), TaskState::Running);
        QVERIFY(broker.cancel(low));
        QTRY_VERIFY_WITH_TIMEOUT(r.ended(high), Wait);
        QCOMPARE(r.terminal(high).kind(), EventKind::Finished);
    }

    void fullLaneDoesNotBlockAnotherLane()
    {
        BrokerConfig c = config(4);
        c.laneLimits.insert("net", 1);
        Recorder r; // declared first: it outlives the Broker
        Broker broker(c);
        const TaskId net1 = broker.enqueue(inLane(helperTask({ "hang" }), "net"), r.handler());
        const TaskId net2 = broker.enqueue(inLane(exitTask(), "net"), r.handler());
        const TaskId cpu = broker.enqueue(inLane(exitTask(), "cpu"), r.handler());
        const TaskId plain = broker.enqueue(exitTask(), r.handler());
        QTRY_VERIFY_WITH_TIMEOUT(r.ended(cpu) && r.ended(plain), Wait);
        QCOMPARE(r.terminal(cpu).kind(), EventKind::Finished);
        QCOMPARE(r.of(cpu).first().lane(), QStringLiteral("cpu"));
        QCOMPARE(broker.state(net2), TaskState::Pending);
        QCOMPARE(broker.runningCount(), 1);
        QVERIFY(broker.cancel(net1));
        QTRY_VERIFY_WITH_TIMEOUT(r.ended(net2), Wait);
        QCOMPARE(r.terminal(net2).kind(), EventKind::Finished);
        QVERIFY(r.of(net2).first().toJsonText().contains(QLatin1String("\"lane\":\"net\"")));
    }

    void pauseResumeAndCancelWhilePaused()
    {
        Recorder r;
        Broker broker(config(2));
        QSignalSpy pausedChanged(&broker, &Broker::pausedChanged);
        const TaskId running = broker.enqueue(helperTask({ "hang" }), r.handler());
        QTRY_COMPARE_WITH_TIMEOUT(r.lines(running), QStringList { "ready" }, Wait);
        broker.pause();
        QVERIFY(broker.isPaused());
        QCOMPARE(pausedChanged.count(), 1);
        broker.pause(); // no change, no signal
        QCOMPARE(pausedChanged.count(), 1);
        const TaskId waits = broker.enqueue(exitTask(), r.handler());
        const TaskId canceled = broker.enqueue(exitTask(), r.handler());
        QCOMPARE(broker.state(waits), TaskState::Pending);
        QVERIFY(broker.cancel(canceled));
        QCOMPARE(r.kinds(canceled), QList<EventKind> { EventKind::Canceled });
        QCOMPARE(broker.state(running), TaskState::Running); // running ones go on
        QVERIFY(!broker.isIdle());
        broker.resume();
        QVERIFY(!broker.isPaused());
        QCOMPARE(pausedChanged.count(), 2);
        QCOMPARE(pausedChanged.last().at(0).toBool(), false);
        QTRY_VERIFY_WITH_TIMEOUT(r.ended(waits), Wait);
        QCOMPARE(r.terminal(waits).kind(), EventKind::Finished);
        QVERIFY(broker.cancel(running));
        QTRY_VERIFY_WITH_TIMEOUT(broker.isIdle(), Wait);
    }

    void pauseOneLane()
    {
        Recorder r; // declared first: it outlives the Broker
        Broker broker(config(4));
        broker.pauseLane("net");
        QVERIFY(broker.isLanePaused("net"));
        QVERIFY(!broker.isLanePaused("cpu"));
        const TaskId net = broker.enqueue(inLane(exitTask(), "net"), r.handler());
        const TaskId cpu = broker.enqueue(inLane(exitTask(), "cpu"), r.handler());
        QTRY_VERIFY_WITH_TIMEOUT(r.ended(cpu), Wait);
        QCOMPARE(broker.state(net), TaskState::Pending);
        broker.resumeLane("net");
        QTRY_VERIFY_WITH_TIMEOUT(r.ended(net), Wait);
        QCOMPARE(r.terminal(net).kind(), EventKind::Finished);
    }

    // A retry whose delay elapses while paused waits for resume().
    void pauseWithRetryDue()
    {
        QTemporaryDir dir;
        BrokerConfig c = config(2);
        c.retry.count = 2;
        c.retry.delaySeconds = 0.02;
        Recorder r; // declared first: it outlives the Broker
        Broker broker(c);
        TaskId id = 0;
        id = broker.enqueue(helperTask({ "succeed-on", "2", dir.filePath("runs") }),
                            [&](const TaskEvent &e) {
                                r.events.append(e);
                                if (e.kind() == EventKind::Retrying)
                                    broker.pause();
                            });
        QTRY_VERIFY_WITH_TIMEOUT(r.kinds(id).contains(EventKind::Retrying), Wait);
        // Ten times the delay: the retry is due, and must not start while paused.
        QTest::qWait(200);
        QCOMPARE(r.kinds(id).count(EventKind::Started), 1);
        QCOMPARE(broker.state(id), TaskState::RetryWait);
        broker.resume();
        QTRY_VERIFY_WITH_TIMEOUT(r.ended(id), Wait);
        QCOMPARE(r.terminal(id).kind(), EventKind::Finished);
        QCOMPARE(r.kinds(id).count(EventKind::Started), 2);
    }

    void drain()
    {
        Recorder r;
        Broker broker(config(2));
        QSignalSpy drained(&broker, &Broker::drained);
        const TaskId one = broker.enqueue(helperTask({ "hang" }), r.handler());
        const TaskId two = broker.enqueue(helperTask({ "hang" }), r.handler());
        const TaskId queued = broker.enqueue(exitTask(), r.handler());
        QTRY_VERIFY_WITH_TIMEOUT(r.lines(one).size() == 1 && r.lines(two).size() == 1, Wait);
        broker.drain();
        QVERIFY(broker.isPaused());
        QCOMPARE(drained.count(), 0);
        QVERIFY(broker.cancel(one));
        QTRY_VERIFY_WITH_TIMEOUT(r.ended(one), Wait);
        QCOMPARE(drained.count(), 0); // two still runs; queued does not take one's slot
        QCOMPARE(broker.state(queued), TaskState::Pending);
        QVERIFY(broker.cancel(two));
        QTRY_COMPARE_WITH_TIMEOUT(drained.count(), 1, Wait);
        QCOMPARE(broker.state(queued), TaskState::Pending);
        broker.drain(); // nothing runs: drained at once
        QCOMPARE(drained.count(), 2);
        broker.resume();
        QTRY_VERIFY_WITH_TIMEOUT(r.ended(queued), Wait);
        QCOMPARE(r.terminal(queued).kind(), EventKind::Finished);
        QCOMPARE(drained.count(), 2);
    }

    void chainOfHundred()
    {
        Recorder r; // declared first: it outlives the Broker
        Broker broker(config(4));
        QList<TaskId> ids;
        ids.append(broker.enqueue(exitTask(), r.handler()));
        for (int i = 1; i < 100; ++i)
            ids.append(broker.enqueue(after(exitTask(), { ids.last() }), r.handler()));
        QCOMPARE(broker.blockedCount(), 99);
        QCOMPARE(broker.state(ids.last()), TaskState::Blocked);
        QTRY_VERIFY_WITH_TIMEOUT(broker.isIdle(), 4 * Wait);
        QCOMPARE(startOrder(r), ids);
        for (qsizetype i = 0; i < ids.size(); ++i) {
            QVERIFY(r.exactlyOnce(ids.at(i)));
            QCOMPARE(r.terminal(ids.at(i)).kind(), EventKind::Finished);
            if (i > 0)
                QVERIFY(positionOf(r, ids.at(i - 1), EventKind::Finished)
                        < positionOf(r, ids.at(i), EventKind::Started));
        }
        QCOMPARE(broker.blockedCount(), 0);
    }

    void diamond()
    {
        Recorder r; // declared first: it outlives the Broker
        Broker broker(config(4));
        const TaskId a = broker.enqueue(exitTask(), r.handler());
        const TaskId b = broker.enqueue(after(exitTask(), { a }), r.handler());
        const TaskId c = broker.enqueue(after(helperTask({ "lines", "2" }), { a }), r.handler());
        const TaskId d = broker.enqueue(after(exitTask(), { b, c, b }), r.handler());
        QCOMPARE(broker.blockedCount(), 3);
        QTRY_VERIFY_WITH_TIMEOUT(broker.isIdle(), Wait);
        for (TaskId id : { a, b, c, d }) {
            QVERIFY(r.exactlyOnce(id));
            QCOMPARE(r.terminal(id).kind(), EventKind::Finished);
        }
        const qsizetype dStarted = positionOf(r, d, EventKind::Started);
        QVERIFY(positionOf(r, b, EventKind::Finished) < dStarted);
        QVERIFY(positionOf(r, c, EventKind::Finished) < dStarted);
        QVERIFY(positionOf(r, a, EventKind::Finished) < positionOf(r, b, EventKind::Started));
    }

    void failedDependencyCancelsDownstream()
    {
        Recorder r; // declared first: it outlives the Broker
        Broker broker(config(4));
        QSignalSpy idle(&broker, &Broker::idle);
        const TaskId a = broker.enqueue(exitTask(3), r.handler());
        const TaskId other = broker.enqueue(helperTask({ "lines", "1" }), r.handler());
        const TaskId b = broker.enqueue(after(exitTask(), { a }), r.handler());
        const TaskId c = broker.enqueue(after(exitTask(), { b }), r.handler());
        const TaskId d = broker.enqueue(after(exitTask(), { other, a }), r.handler());
        const TaskId e = broker.enqueue(after(exitTask(), { c, d }), r.handler());
        QTRY_VERIFY_WITH_TIMEOUT(broker.isIdle(), Wait);
        QCOMPARE(r.terminal(a).kind(), EventKind::Failed);
        QCOMPARE(r.terminal(other).kind(), EventKind::Finished);
        for (TaskId id : { b, c, d, e }) {
            QCOMPARE(r.kinds(id), QList<EventKind> { EventKind::Canceled }); // one event each
            QCOMPARE(broker.state(id), TaskState::Done);
        }
        QCOMPARE(r.terminal(b).message(),
                 QStringLiteral("dependency %1 did not finish: it ended failed").arg(a));
        QCOMPARE(r.terminal(c).message(),
                 QStringLiteral("dependency %1 did not finish: it ended canceled").arg(b));
        QCOMPARE(r.terminal(d).message(),
                 QStringLiteral("dependency %1 did not finish: it ended failed").arg(a));
        QVERIFY(r.terminal(e).message().startsWith("dependency "));
        QVERIFY(r.terminal(b).toJsonText().contains(QLatin1String("\"message\":\"dependency")));
        // The dependent's event follows its dependency's terminal event.
        QVERIFY(positionOf(r, a, EventKind::Failed) < positionOf(r, b, EventKind::Canceled));
        QCOMPARE(broker.blockedCount(), 0);
        QTRY_VERIFY_WITH_TIMEOUT(idle.count() >= 1, Wait);
    }

    void dependencyDecidedAtEnqueue_data()
    {
        QTest::addColumn<QString>("dependency"); // "first", "zero" or "self"
        QTest::addColumn<int>("firstExit");
        QTest::addColumn<EventKind>("expected");
        QTest::addColumn<QString>("message");
        QTest::newRow("finished: satisfied") << "first" << 0 << EventKind::Finished << QString();
        QTest::newRow("failed") << "first" << 1 << EventKind::Canceled
                                << QString("dependency %1 did not finish: it ended failed");
        QTest::newRow("id 0") << "zero" << 0 << EventKind::Canceled
                              << QString("dependency %1 was not enqueued before task");
        QTest::newRow("itself") << "self" << 0 << EventKind::Canceled
                                << QString("dependency %1 was not enqueued before task");
    }
    void dependencyDecidedAtEnqueue()
    {
        QFETCH(QString, dependency);
        QFETCH(int, firstExit);
        QFETCH(EventKind, expected);
        QFETCH(QString, message);
        Recorder r; // declared first: it outlives the Broker
        Broker broker(config(2));
        const TaskId first = broker.enqueue(exitTask(firstExit), r.handler());
        QTRY_VERIFY_WITH_TIMEOUT(r.ended(first), Wait);
        const TaskId on = dependency == "first" ? first : dependency == "self" ? first + 1 : 0;
        const TaskId id = broker.enqueue(after(exitTask(), { on }), r.handler());
        if (expected == EventKind::Canceled) { // decided before enqueue() returned
            QCOMPARE(r.kinds(id), QList<EventKind> { EventKind::Canceled });
            QVERIFY2(r.terminal(id).message().startsWith(message.arg(on)),
                     qPrintable(r.terminal(id).message()));
        } else {
            QTRY_VERIFY_WITH_TIMEOUT(r.ended(id), Wait);
            QCOMPARE(r.terminal(id).kind(), expected);
        }
        QVERIFY(r.exactlyOnce(id));
    }

    void cancelBlockedTask()
    {
        Recorder r; // declared first: it outlives the Broker
        Broker broker(config(2));
        const TaskId a = broker.enqueue(helperTask({ "hang" }), r.handler());
        const TaskId b = broker.enqueue(after(exitTask(), { a }), r.handler());
        const TaskId c = broker.enqueue(after(exitTask(), { b }), r.handler());
        QCOMPARE(broker.state(b), TaskState::Blocked);
        QVERIFY(broker.cancel(b));
        QCOMPARE(r.kinds(b), QList<EventKind> { EventKind::Canceled });
        QCOMPARE(r.terminal(b).message(), QString()); // canceled by cancel(), not a dependency
        // c depended on b: it ends too, naming b.
        QCOMPARE(r.kinds(c), QList<EventKind> { EventKind::Canceled });
        QVERIFY(r.terminal(c).message().contains(QString::number(b)));
        QCOMPARE(broker.blockedCount(), 0);
        QTRY_COMPARE_WITH_TIMEOUT(r.lines(a), QStringList { "ready" }, Wait);
        QVERIFY(broker.cancel(a));
        QTRY_VERIFY_WITH_TIMEOUT(broker.isIdle(), Wait);
        for (TaskId id : { a, b, c })
            QVERIFY(r.exactlyOnce(id));
    }

    // Dependencies meet cancel and retry: every task ends exactly once, as the rule says.
    void dependencyCancelRetryInterleavings_data()
    {
        QTest::addColumn<QString>("scenario");
        QTest::addColumn<EventKind>("dependencyEnd");
        QTest::addColumn<EventKind>("dependentEnd");
        QTest::newRow("dependency retries, then finishes")
                << "retry-finish" << EventKind::Finished << EventKind::Finished;
        QTest::newRow("dependency canceled while waiting to retry")
                << "cancel-in-retry" << EventKind::Canceled << EventKind::Canceled;
        QTest::newRow("dependency canceled while pending (paused)")
                << "cancel-pending" << EventKind::Canceled << EventKind::Canceled;
        QTest::newRow("dependent canceled, then the dependency fails")
                << "cancel-dependent" << EventKind::Failed << EventKind::Canceled;
        QTest::newRow("dependency times out after retries")
                << "timeout" << EventKind::Timeout << EventKind::Canceled;
    }
    void dependencyCancelRetryInterleavings()
    {
        QFETCH(QString, scenario);
        QFETCH(EventKind, dependencyEnd);
        QFETCH(EventKind, dependentEnd);
        QTemporaryDir dir;
        BrokerConfig c = config(2);
        c.retry.count = 1;
        c.retry.delaySeconds = scenario == "cancel-in-retry" ? 60 : 0.01;
        Recorder r; // declared first: it outlives the Broker
        Broker broker(c);
        TaskDescriptor dependency = helperTask({ "succeed-on", "2", dir.filePath("runs") });
        if (scenario == "cancel-dependent")
            dependency = exitTask(4);
        if (scenario == "timeout") {
            dependency = helperTask({ "hang" });
            dependency.setTimeoutSeconds(0.05);
            RetryPolicy retry = c.retry;
            retry.retryOnTimeout = true;
            dependency.setRetryPolicy(retry);
        }
        if (scenario == "cancel-pending")
            broker.pause();
        const TaskId dep = broker.enqueue(dependency, r.handler());
        const TaskId mid = broker.enqueue(after(exitTask(), { dep }), r.handler());
        const TaskId last = broker.enqueue(after(exitTask(), { mid, dep }), r.handler());
        if (scenario == "cancel-in-retry") {
            QTRY_COMPARE_WITH_TIMEOUT(broker.state(dep), TaskState::RetryWait, Wait);
            QVERIFY(broker.cancel(dep));
        } else if (scenario == "cancel-pending") {
            QVERIFY(broker.cancel(dep));
            broker.resume();
        } else if (scenario == "cancel-dependent") {
            QVERIFY(broker.cancel(mid));
        }
        QTRY_VERIFY_WITH_TIMEOUT(broker.isIdle(), Wait);
        for (TaskId id : { dep, mid, last })
            QVERIFY2(r.exactlyOnce(id), qPrintable(QString::number(id)));
        QCOMPARE(r.terminal(dep).kind(), dependencyEnd);
        QCOMPARE(r.terminal(mid).kind(), dependentEnd);
        QCOMPARE(r.terminal(last).kind(), dependentEnd);
        if (dependentEnd == EventKind::Canceled)
            QCOMPARE(r.kinds(last), QList<EventKind> { EventKind::Canceled });
    }

    // A handler that enqueues "then run" from its task's terminal event sees it as ended.
    void thenRunFromTheHandler()
    {
        Recorder r; // declared first: it outlives the Broker
        TaskId next = 0;
        Broker broker(config(2));
        const TaskId first = broker.enqueue(exitTask(), [&](const TaskEvent &e) {
            r.events.append(e);
            if (e.isTerminal())
                next = broker.enqueue(after(exitTask(), { e.taskId() }), r.handler());
        });
        QTRY_VERIFY_WITH_TIMEOUT(next != 0 && r.ended(next), Wait);
        QCOMPARE(r.terminal(first).kind(), EventKind::Finished);
        QCOMPARE(r.terminal(next).kind(), EventKind::Finished);
    }

    // Destroying the Broker ends blocked tasks too, once each.
    void destructionEndsBlockedTasks()
    {
        Recorder r;
        TaskId a = 0, b = 0, c = 0;
        {
            Broker broker(config(1));
            a = broker.enqueue(helperTask({ "hang" }), r.handler());
            b = broker.enqueue(after(exitTask(), { a }), r.handler());
            c = broker.enqueue(after(exitTask(), { b }), r.handler());
            QTRY_COMPARE_WITH_TIMEOUT(r.lines(a), QStringList { "ready" }, Wait);
        }
        for (TaskId id : { a, b, c }) {
            QVERIFY(r.exactlyOnce(id));
            QCOMPARE(r.terminal(id).kind(), EventKind::Canceled);
        }
    }

    void blockedTasksCountTowardsQueueDepth()
    {
        BrokerConfig c = config(1);
        c.maxQueueDepth = 2;
        Recorder r; // declared first: it outlives the Broker
        Broker broker(c);
        const TaskId a = broker.enqueue(helperTask({ "hang" }), r.handler());
        broker.enqueue(after(exitTask(), { a }), r.handler());
        broker.enqueue(exitTask(), r.handler());
        const TaskId rejected = broker.enqueue(after(exitTask(), { a }), r.handler());
        QCOMPARE(r.kinds(rejected), QList<EventKind> { EventKind::InternalError });
        QVERIFY(r.terminal(rejected).message().startsWith("queue full"));
        broker.cancelAll();
        QTRY_VERIFY_WITH_TIMEOUT(broker.isIdle(), Wait);
    }
};

QTEST_GUILESS_MAIN(tst_Scheduling)
#include "tst_scheduling.moc"
