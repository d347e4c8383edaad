// SPDX-License-Identifier: MIT
#include "../testsupport.h"

#include <taskconductor/broker.h>
#include <taskconductor/tasklistmodel.h>
#include <taskconductor/taskoutputmodel.h>

#include <QtCore/qdatetime.h>
#include <QtTest/qabstractitemmodeltester.h>
#include <QtTest/qsignalspy.h>
#include <QtTest/qtest.h>

using namespace TaskConductor;
using namespace TestSupport;

namespace {
constexpr int Wait = 10000;

TaskEvent line(TaskId id, int i)
{
    return TaskEvent::output(id, 1, OutputChannel::Stdout, QStringLiteral("line %1").arg(i));
}

QVariant role(const QAbstractItemModel &model, int row, int role)
{
    return model.data(model.index(row, 0), role);
}
} // namespace

class tst_TaskListModel : public QObject
{
    Q_OBJECT

private:
    QByteArray m_marker;

    BrokerConfig config() const
    {
        BrokerConfig c;
        c.killGraceSeconds = 0.3;
        addChildMarker(c.defaultEnvironment, m_marker);
        return c;
    }

    // Every model of every test runs under QAbstractItemModelTester.
    static void watch(QAbstractItemModel *model)
    {
        new QAbstractItemModelTester(model, QAbstractItemModelTester::FailureReportingMode::QtTest,
                                     model);
    }

private Q_SLOTS:
    void initTestCase() { m_marker = childMarker("tst_tasklistmodel"); }

    void cleanup() { QTRY_COMPARE_WITH_TIMEOUT(processesWithMarker(m_marker), QList<int>(), Wait); }

    void followsALiveBroker()
    {
        Broker broker(config());
        TaskListModel model;
        watch(&model);
        model.setBroker(&broker);
        TaskOutputModel output;
        watch(&output);
        output.setSource(&model);

        TaskDescriptor named = helperTask({ "lines", "3" });
        named.setName(QStringLiteral("three"));
        const TaskId ok = broker.enqueue(named);
        model.addTask(ok, named);
        output.setTaskId(ok);
        const TaskId crash = broker.enqueue(helperTask({ "crash" }));
        model.addTask(crash, helperTask({ "crash" }));
        const TaskId hang = broker.enqueue(helperTask({ "hang" }));
        model.addTask(hang, helperTask({ "hang" }));
        QCOMPARE(model.rowCount(), 3);
        QCOMPARE(role(model, 0, TaskListModel::NameRole).toString(), QStringLiteral("three"));
        QCOMPARE(role(model, 1, TaskListModel::NameRole).toString(), QStringLiteral("tc_helper"));

        QTRY_COMPARE_WITH_TIMEOUT(role(model, 0, TaskListModel::StateRole).toString(),
                                  QStringLiteral("finished"), Wait);
        QCOMPARE(role(model, 0, TaskListModel::TaskIdRole).value<quint64>(), ok);
        QCOMPARE(role(model, 0, TaskListModel::AttemptRole).toInt(), 1);
        QCOMPARE(role(model, 0, TaskListModel::LastLineRole).toString(), QStringLiteral("line 3"));
        QCOMPARE(role(model, 0, TaskListModel::LineCountRole).toLongLong(), 3);
        QVERIFY(role(model, 0, TaskListModel::DurationMsRole).toLongLong() >= 0);
        QVERIFY(role(model, 0, TaskListModel::DoneRole).toBool());
        const qint64 startedAt = role(model, 0, TaskListModel::StartedAtRole).toLongLong();
        QVERIFY(startedAt > 0 && startedAt <= QDateTime::currentMSecsSinceEpoch());
        QTRY_COMPARE_WITH_TIMEOUT(output.rowCount(), 3, Wait);
        QCOMPARE(role(output, 2, TaskOutputModel::LineRole).toString(), QStringLiteral("line 3"));
        QCOMPARE(role(output, 2, TaskOutputModel::ChannelRole).toString(),
                 QStringLiteral("stdout"));
        QCOMPARE(role(output, 2, TaskOutputModel::LineNumberRole).toLongLong(), 3);

        QTRY_COMPARE_WITH_TIMEOUT(role(model, 1, TaskListModel::StateRole).toString(),
                                  QStringLiteral("failed"), Wait);
        QCOMPARE(role(model, 1, TaskListModel::ExitCodeRole).toInt(), -SIGSEGV);
        QVERIFY(!role(model, 1, TaskListModel::ErrorStringRole).toString().isEmpty());

        QTRY_COMPARE_WITH_TIMEOUT(role(model, 2, TaskListModel::StateRole).toString(),
                                  QStringLiteral("running"), Wait);
        QVERIFY(!role(model, 2, TaskListModel::DoneRole).toBool());
        broker.cancel(hang);
        QTRY_COMPARE_WITH_TIMEOUT(role(model, 2, TaskListModel::StateRole).toString(),
                                  QStringLiteral("canceled"), Wait);
    }

    // Issue 14: priority, lane, and the blocked state with what it waits for, by id and name.
    void showsSchedulingAndBlockedTasks()
    {
        Broker broker(config());
        TaskListModel model;
        watch(&model);
        model.setUpdateIntervalMs(0);
        model.setBroker(&broker);
        broker.pause();
        auto add = [&](TaskDescriptor task) {
            const TaskId id = broker.enqueue(task);
            model.addTask(id, task);
            return id;
        };
        TaskDescriptor fetch = helperTask({ "lines", "1" });
        fetch.setName(QStringLiteral("fetch"));
        fetch.setPriority(3);
        fetch.setLane(QStringLiteral("net"));
        const TaskId a = add(fetch);
        TaskDescriptor unpack = helperTask({ "lines", "1" });
        unpack.setName(QStringLiteral("unpack"));
        unpack.addDependency(a);
        const TaskId b = add(unpack);
        const TaskId f = add(helperTask({ "exit", "3" }));
        TaskDescriptor afterFailure = helperTask({ "lines", "1" });
        afterFailure.setDependencies({ a, f });
        add(afterFailure);

        QCOMPARE(role(model, 0, TaskListModel::PriorityRole).toInt(), 3);
        QCOMPARE(role(model, 0, TaskListModel::LaneRole).toString(), QStringLiteral("net"));
        QCOMPARE(role(model, 0, TaskListModel::StateRole).toString(), QStringLiteral("pending"));
        QVERIFY(!role(model, 0, TaskListModel::BlockedRole).toBool());
        QCOMPARE(role(model, 1, TaskListModel::StateRole).toString(), QStringLiteral("blocked"));
        QVERIFY(role(model, 1, TaskListModel::BlockedRole).toBool());
        QCOMPARE(role(model, 1, TaskListModel::WaitingForRole).toList(),
                 (QVariantList { QVariant::fromValue<quint64>(a) }));
        QCOMPARE(role(model, 1, TaskListModel::WaitingForNamesRole).toStringList(),
                 QStringList { QStringLiteral("fetch") });
        QCOMPARE(role(model, 3, TaskListModel::WaitingForNamesRole).toStringList(),
                 (QStringList { QStringLiteral("fetch"), QStringLiteral("tc_helper") }));
        QCOMPARE(model.roleNames().value(TaskListModel::WaitingForNamesRole),
                 QByteArray("waitingForNames"));

        QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
        broker.resume();
        QTRY_COMPARE_WITH_TIMEOUT(role(model, 1, TaskListModel::StateRole).toString(),
                                  QStringLiteral("finished"), Wait);
        QVERIFY(!role(model, 1, TaskListModel::BlockedRole).toBool());
        // Unblocked as "fetch" finished, before it started: the row said so on its own.
        bool unblockedAnnounced = false;
        for (const QList<QVariant> &args : changed) {
            const QModelIndex first = args.at(0).value<QModelIndex>();
            const QModelIndex last = args.at(1).value<QModelIndex>();
            const auto roles = args.at(2).value<QList<int>>();
            if (first.row() <= 1 && last.row() >= 1 && roles.contains(TaskListModel::BlockedRole))
                unblockedAnnounced = true;
        }
        QVERIFY(unblockedAnnounced);
        QTRY_COMPARE_WITH_TIMEOUT(role(model, 3, TaskListModel::StateRole).toString(),
                                  QStringLiteral("canceled"), Wait);
        QVERIFY(!role(model, 3, TaskListModel::BlockedRole).toBool());
        QVERIFY2(role(model, 3, TaskListModel::ErrorStringRole)
                         .toString()
                         .contains(QStringLiteral("dependency %1 did not finish").arg(f)),
                 qPrintable(role(model, 3, TaskListModel::ErrorStringRole).toString()));

        // A dependency that finished already, with or without a row here, blocks nothing.
        TaskDescriptor later = helperTask({ "hang" });
        later.addDependency(b);
        broker.pause();
        add(later);
        QCOMPARE(role(model, 4, TaskListModel::StateRole).toString(), QStringLiteral("pending"));
        model.removeDone();
        QCOMPARE(model.rowCount(), 1);
        TaskDescriptor last = helperTask({ "hang" });
        last.addDependency(a);
        add(last);
        QCOMPARE(role(model, 1, TaskListModel::StateRole).toString(), QStringLiteral("pending"));
        broker.cancelAll();
        QTRY_VERIFY_WITH_TIMEOUT(broker.isIdle(), Wait);
    }

    void coalescesUpdates()
    {
        TaskListModel model;
        watch(&model);
        model.setUpdateIntervalMs(20);
        QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
        QSignalSpy appended(&model, &TaskListModel::outputAppended);
        model.applyEvent(TaskEvent::started(7, 1, { QStringLiteral("x") }, QStringLiteral("/")));
        for (int i = 1; i <= 10000; ++i)
            model.applyEvent(line(7, i));
        QCOMPARE(changed.count(), 0); // nothing before the batch
        QCOMPARE(role(model, 0, TaskListModel::LastLineRole).toString(),
                 QStringLiteral("line 10000")); // but the data is current
        QTRY_COMPARE(changed.count(), 1);
        QCOMPARE(appended.count(), 1);
        QCOMPARE(appended.first().first().value<QList<TaskId>>(), QList<TaskId> { 7 });
        const auto roles = changed.first().at(2).value<QList<int>>();
        QVERIFY(roles.contains(TaskListModel::LastLineRole));
        QVERIFY(roles.contains(TaskListModel::StateRole));
        QVERIFY(!roles.contains(TaskListModel::ExitCodeRole));
    }

    void uncoalescedWhenIntervalIsZero()
    {
        TaskListModel model;
        watch(&model);
        model.setUpdateIntervalMs(0);
        QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
        for (int i = 1; i <= 100; ++i)
            model.applyEvent(line(1, i));
        QCOMPARE(changed.count(), 100);
    }

    void adjacentRowsShareOneSignal()
    {
        TaskListModel model;
        watch(&model);
        for (TaskId id = 1; id <= 5; ++id)
            model.addTask(id, TaskDescriptor({ QStringLiteral("x") }));
        model.flush();
        QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
        for (TaskId id : { 1, 2, 3, 5 })
            model.applyEvent(line(id, 1));
        model.flush();
        QCOMPARE(changed.count(), 2); // rows 0-2 and row 4
        QCOMPARE(changed.at(0).at(0).toModelIndex().row(), 0);
        QCOMPARE(changed.at(0).at(1).toModelIndex().row(), 2);
        QCOMPARE(changed.at(1).at(0).toModelIndex().row(), 4);
    }

    void rowCreatedByAnEventGetsTheDescriptorLater()
    {
        // A refusal arrives before enqueue() returns, so before the host can call addTask().
        TaskListModel model;
        watch(&model);
        model.applyEvent(TaskEvent::internalError(4, 0, QStringLiteral("queue full: 1"), true));
        TaskDescriptor task({ QStringLiteral("/bin/true") });
        task.setName(QStringLiteral("late"));
        model.addTask(4, task);
        QCOMPARE(model.rowCount(), 1);
        QCOMPARE(role(model, 0, TaskListModel::NameRole).toString(), QStringLiteral("late"));
        QCOMPARE(role(model, 0, TaskListModel::StateRole).toString(), QStringLiteral("rejected"));
        QCOMPARE(role(model, 0, TaskListModel::ErrorStringRole).toString(),
                 QStringLiteral("queue full: 1"));
        // Nothing reopens a row that ended; non-terminal notices change nothing.
        model.applyEvent(TaskEvent::internalError(4, 0, QStringLiteral("cancel: no task"), false));
        model.applyEvent(TaskEvent::started(4, 1, {}, {}));
        QCOMPARE(role(model, 0, TaskListModel::StateRole).toString(), QStringLiteral("rejected"));
    }

    // A batched output event (BrokerConfig::outputBatching) is one insert of all its lines,
    // even when the model updates at once, and its lines read as one event per line would.
    void batchIsOneInsert()
    {
        TaskListModel model;
        watch(&model);
        model.setUpdateIntervalMs(0);
        TaskOutputModel output;
        watch(&output);
        output.setSource(&model);
        output.setTaskId(1);
        QSignalSpy inserted(&output, &QAbstractItemModel::rowsInserted);

        model.applyEvent(line(1, 1));
        QCOMPARE(inserted.count(), 1);
        QList<QByteArray> lines;
        for (int i = 2; i <= 500; ++i)
            lines.append("line " + QByteArray::number(i));
        model.applyEvent(TaskEvent::outputBatch(1, 1, OutputChannel::Stderr, lines));
        QCOMPARE(inserted.count(), 2);
        QCOMPARE(inserted.at(1).at(1).toInt(), 1);
        QCOMPARE(inserted.at(1).at(2).toInt(), 499);
        QCOMPARE(output.rowCount(), 500);
        QCOMPARE(role(output, 499, TaskOutputModel::LineRole).toString(),
                 QStringLiteral("line 500"));
        QCOMPARE(role(output, 499, TaskOutputModel::ChannelRole).toString(),
                 QStringLiteral("stderr"));
        QCOMPARE(role(output, 499, TaskOutputModel::LineNumberRole).toLongLong(), 500);
        QCOMPARE(role(model, 0, TaskListModel::LineCountRole).toLongLong(), 500);
        QCOMPARE(role(model, 0, TaskListModel::LastLineRole).toString(),
                 QStringLiteral("line 500"));
    }

    void outputTailIsBounded()
    {
        TaskListModel model;
        watch(&model);
        model.setOutputLineLimit(10);
        TaskOutputModel output;
        watch(&output);
        output.setSource(&model);
        output.setTaskId(1);
        QSignalSpy inserted(&output, &QAbstractItemModel::rowsInserted);
        QSignalSpy reset(&output, &QAbstractItemModel::modelReset);

        for (int i = 1; i <= 4; ++i)
            model.applyEvent(line(1, i));
        model.flush();
        QCOMPARE(inserted.count(), 1); // one insert for the whole batch
        QCOMPARE(output.rowCount(), 4);

        for (int i = 5; i <= 12; ++i)
            model.applyEvent(line(1, i));
        model.flush(); // 4 + 8 > 10: the two oldest leave, eight arrive
        QCOMPARE(inserted.count(), 2);
        QCOMPARE(output.rowCount(), 10);
        QCOMPARE(role(output, 0, TaskOutputModel::LineNumberRole).toLongLong(), 3);

        for (int i = 13; i <= 1000; ++i)
            model.applyEvent(line(1, i));
        model.flush(); // the batch alone overflows: one reset
        QCOMPARE(reset.count(), 1);
        QCOMPARE(output.rowCount(), 10);
        QCOMPARE(model.outputTail(1).size(), 10);
        QCOMPARE(model.outputLineCount(1), 1000);
        QCOMPARE(role(output, 0, TaskOutputModel::LineRole).toString(), QStringLiteral("line 991"));
        QCOMPARE(role(output, 9, TaskOutputModel::LineNumberRole).toLongLong(), 1000);

        // A second view attached later starts from the tail.
        TaskOutputModel late;
        watch(&late);
        late.setSource(&model);
        late.setTaskId(1);
        QCOMPARE(late.rowCount(), 10);

        model.setOutputLineLimit(5);
        QCOMPARE(output.rowCount(), 5);
        QCOMPARE(role(output, 4, TaskOutputModel::LineRole).toString(),
                 QStringLiteral("line 1000"));
    }

    void finishedRowLimitDropsTheOldestDoneRows()
    {
        TaskListModel model;
        watch(&model);
        model.setFinishedRowLimit(2);
        model.addTask(1, TaskDescriptor({ QStringLiteral("running") }));
        model.applyEvent(TaskEvent::started(1, 1, {}, {}));
        for (TaskId id = 2; id <= 6; ++id) {
            model.addTask(id, TaskDescriptor({ QStringLiteral("done") }));
            model.applyEvent(TaskEvent::finished(id, 1, 5));
        }
        model.flush();
        QCOMPARE(model.rowCount(), 3);
        QCOMPARE(model.taskIdAt(0), 1u); // not done: kept
        QCOMPARE(model.taskIdAt(1), 5u);
        QCOMPARE(model.taskIdAt(2), 6u);
        QCOMPARE(model.rowOf(6), 2);
        QCOMPARE(model.rowOf(2), -1);
    }

    void removeDoneAndClear()
    {
        TaskListModel model;
        watch(&model);
        TaskOutputModel output;
        watch(&output);
        output.setSource(&model);
        for (TaskId id = 1; id <= 4; ++id) {
            model.addTask(id, TaskDescriptor({ QStringLiteral("x") }));
            model.applyEvent(line(id, 1));
            if (id % 2 == 0)
                model.applyEvent(TaskEvent::finished(id, 1, 5));
        }
        output.setTaskId(2);
        QCOMPARE(output.rowCount(), 1);
        model.removeDone();
        QCOMPARE(model.rowCount(), 2);
        QCOMPARE(model.taskIdAt(1), 3u);
        QCOMPARE(output.rowCount(), 0); // its task is gone
        output.setTaskId(3);
        QCOMPARE(output.rowCount(), 1);
        model.clear();
        QCOMPARE(model.rowCount(), 0);
        QCOMPARE(output.rowCount(), 0);
    }
};

QTEST_GUILESS_MAIN(tst_TaskListModel)
#include "tst_tasklistmodel.moc"
