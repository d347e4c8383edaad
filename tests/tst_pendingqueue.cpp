// SPDX-License-Identifier: MIT
// The Broker's pending queue on its own. Tests a private piece (src/core/pendingqueue.h), so it
// links TaskConductor::PrivateHeaders.
#include "pendingqueue.h"

#include <QtTest/qtest.h>

using namespace TaskConductor;

class tst_PendingQueue : public QObject
{
    Q_OBJECT

private:
    static TaskDescriptor task(int n)
    {
        return TaskDescriptor(QStringList { QStringLiteral("task"), QString::number(n) });
    }

    static QList<TaskId> drain(PendingQueue &queue)
    {
        QList<TaskId> ids;
        while (!queue.isEmpty())
            ids.append(queue.takeFirst().id);
        return ids;
    }

private Q_SLOTS:
    void firstInFirstOut()
    {
        PendingQueue queue;
        QVERIFY(queue.isEmpty());
        QCOMPARE(queue.firstId(), std::nullopt);
        int called = 0;
        for (TaskId id = 1; id <= 3; ++id)
            queue.push(id, task(int(id)), [&called](const TaskEvent &) { ++called; });
        QCOMPARE(queue.size(), 3);
        QCOMPARE(queue.firstId(), std::optional<TaskId>(1));
        PendingQueue::Entry first = queue.takeFirst();
        QCOMPARE(first.id, TaskId(1));
        QCOMPARE(first.task.command(), (QStringList { "task", "1" }));
        first.handler(TaskEvent());
        QCOMPARE(called, 1);
        QCOMPARE(drain(queue), (QList<TaskId> { 2, 3 }));
    }

    void lateIdsGoWhereTheyBelong()
    {
        // An enqueue handed over from another thread arrives after a later one.
        PendingQueue queue;
        queue.push(1, task(1), {});
        queue.push(4, task(4), {});
        queue.push(2, task(2), {});
        queue.push(3, task(3), {});
        QVERIFY(queue.contains(3));
        QCOMPARE(drain(queue), (QList<TaskId> { 1, 2, 3, 4 }));
    }

    void takeByIdLeavesTheRestInOrder()
    {
        PendingQueue queue;
        bool handlerKept = false;
        for (TaskId id = 10; id < 20; ++id)
            queue.push(id, task(int(id)), {});
        queue.push(20, task(20), [&](const TaskEvent &) { handlerKept = true; });
        const auto handler = queue.take(20);
        QVERIFY(handler.has_value());
        (*handler)(TaskEvent());
        QVERIFY(handlerKept);
        QVERIFY(queue.take(10).has_value()); // the front
        QVERIFY(queue.take(15).has_value()); // the middle
        QCOMPARE(queue.take(15), std::nullopt); // not twice
        QCOMPARE(queue.take(99), std::nullopt); // unknown
        QCOMPARE(queue.take(0), std::nullopt);
        QVERIFY(!queue.contains(15));
        QVERIFY(queue.contains(16));
        QCOMPARE(queue.size(), 8);
        QCOMPARE(queue.firstId(), std::optional<TaskId>(11));
        QCOMPARE(drain(queue), (QList<TaskId> { 11, 12, 13, 14, 16, 17, 18, 19 }));
    }

    void takeFindsIdsAfterGapsAndCompaction()
    {
        // Dead entries keep their place until they dominate; then they are dropped in bulk, and
        // ids are no longer one apart: the direct probe must fall back to a search.
        PendingQueue queue;
        const TaskId n = 5000;
        for (TaskId id = 1; id <= n; ++id)
            queue.push(id, task(int(id)), {});
        for (TaskId id = 1; id <= n; id += 2)
            QVERIFY(queue.take(id).has_value());
        QCOMPARE(queue.size(), qsizetype(n / 2));
        for (TaskId id = 2; id <= n; id += 2)
            QVERIFY2(queue.contains(id), qPrintable(QString::number(id)));
        for (TaskId id = 1; id <= n; id += 2)
            QVERIFY(!queue.contains(id));
        QVERIFY(queue.take(n).has_value());
        QVERIFY(queue.take(2).has_value());
        QCOMPARE(queue.firstId(), std::optional<TaskId>(4));
        QCOMPARE(queue.size(), qsizetype(n / 2 - 2));
    }
};

QTEST_GUILESS_MAIN(tst_PendingQueue)
#include "tst_pendingqueue.moc"
