// SPDX-License-Identifier: MIT
// The TaskStore: descriptor serialisation, the SQLite store on its own, a Broker recording into
// it, recovery by policy, a store that cannot be used, and a host killed with SIGKILL mid-run.
#include "testsupport.h"

#include <taskconductor/broker.h>
#include <taskconductor/sqlitetaskstore.h>

#include <QtCore/qcoreapplication.h>
#include <QtCore/qprocess.h>
#include <QtCore/qscopeguard.h>
#include <QtCore/qtemporarydir.h>
#include <QtSql/qsqldatabase.h>
#include <QtSql/qsqlerror.h>
#include <QtSql/qsqlquery.h>
#include <QtTest/qsignalspy.h>
#include <QtTest/qtest.h>

#include <signal.h>
#include <sys/stat.h>

using namespace TaskConductor;
using namespace TestSupport;

namespace {
constexpr int Wait = 10000;

QList<TaskEvent> eventsOf(const QSignalSpy &spy, TaskId id)
{
    QList<TaskEvent> out;
    for (const auto &args : spy) {
        const auto e = args.at(0).value<TaskEvent>();
        if (e.taskId() == id)
            out.append(e);
    }
    return out;
}

QList<EventKind> kindsOf(const QSignalSpy &spy, TaskId id)
{
    QList<EventKind> out;
    for (const TaskEvent &e : eventsOf(spy, id))
        out.append(e.kind());
    return out;
}

QHash<TaskId, StoredTask> byId(const QList<StoredTask> &tasks)
{
    QHash<TaskId, StoredTask> out;
    for (const StoredTask &t : tasks)
        out.insert(t.id, t);
    return out;
}

// Records what the Broker asks of a store, and can fail on demand.
class FakeStore : public TaskStore
{
public:
    QStringList calls;
    bool failWrites = false;
    bool open() override { return true; }
    bool isOpen() const override { return true; }
    QString errorString() const override { return "disk on fire"; }
    bool recordEnqueued(TaskId id, const TaskDescriptor &, const QDateTime &) override
    {
        calls.append(QStringLiteral("enqueued %1").arg(id));
        return !failWrites;
    }
    bool recordEvent(const TaskEvent &event, const QDateTime &) override
    {
        calls.append(
                QStringLiteral("%1 %2").arg(TaskEvent::kindName(event.kind())).arg(event.taskId()));
        return !failWrites;
    }
    bool flush() override
    {
        calls.append("flush");
        return !failWrites;
    }
    QList<StoredTask> unfinishedTasks() override { return {}; }
    TaskId highestTaskId() override { return 0; }
    QList<StoredTask> history(const HistoryQuery &) override { return {}; }
};

} // namespace

class tst_TaskStore : public QObject
{
    Q_OBJECT

private:
    BrokerFixture m_fixture { "tst_taskstore" };

    BrokerConfig config() const { return m_fixture.config(); }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(QFile::exists(helper()));
        QVERIFY(QFile::exists(QStringLiteral(TC_STOREHOST_PATH)));
    }

    void cleanup() { m_fixture.expectNothingLeft(Wait); }

    void descriptorRoundTrip()
    {
        TaskDescriptor task({ "/bin/prog", "a b", "\n" });
        task.setWorkingDirectory("/w");
        task.setEnvironmentVariable("A", "1");
        task.unsetEnvironmentVariable("B");
        task.setTimeoutSeconds(2.5);
        task.setPerTaskLogPath("/logs/t.log");
        task.setName("nightly");
        RetryPolicy retry;
        retry.count = 3;
        retry.backoffMultiplier = 2;
        retry.retryOnTimeout = true;
        task.setRetryPolicy(retry);
        task.setPriority(-7);
        task.setLane("net");
        task.setDependencies({ 3, 12345678901ull });
        const auto back = TaskStore::descriptorFromJson(TaskStore::descriptorToJson(task));
        QVERIFY(back);
        QCOMPARE(*back, task);
        const TaskDescriptor plain({ "x" });
        QCOMPARE(*TaskStore::descriptorFromJson(TaskStore::descriptorToJson(plain)), plain);
        QVERIFY(!TaskStore::descriptorFromJson("{\"nocommand\":1}"));
        QVERIFY(!TaskStore::descriptorFromJson("garbage"));
    }

    void recordsSurviveReopenAndAnswerHistory()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath("tasks.db");
        const QDateTime t0 = QDateTime::fromMSecsSinceEpoch(1700000000000);
        {
            SqliteTaskStore store(path);
            QVERIFY2(store.open(), qPrintable(store.errorString()));
            for (TaskId id = 1; id <= 5; ++id) {
                TaskDescriptor task({ "/bin/true", QString::number(id) });
                QVERIFY(store.recordEnqueued(id, task, t0));
            }
            QVERIFY(store.recordEvent(TaskEvent::started(1, 1, {}, {}), t0.addMSecs(1)));
            QVERIFY(store.recordEvent(TaskEvent::finished(1, 1, 10), t0.addMSecs(11)));
            QVERIFY(store.recordEvent(TaskEvent::started(2, 1, {}, {}), t0.addMSecs(2)));
            QVERIFY(store.recordEvent(TaskEvent::retrying(2, 1, 4, 100), t0.addMSecs(3)));
            QVERIFY(store.recordEvent(TaskEvent::started(2, 2, {}, {}), t0.addMSecs(4)));
            QVERIFY(store.recordEvent(TaskEvent::failed(2, 2, 4, 20, "why"), t0.addMSecs(22)));
            QVERIFY(store.recordEvent(TaskEvent::started(3, 1, {}, {}), t0.addMSecs(5)));
            QVERIFY(store.recordEvent(TaskEvent::started(4, 1, {}, {}), t0.addMSecs(5)));
            QVERIFY(store.recordEvent(TaskEvent::retrying(4, 1, 1, 100), t0.addMSecs(6)));
            QVERIFY(store.recordEvent(TaskEvent::output(3, 1, OutputChannel::Stdout, "x"), t0));
            QVERIFY(store.flush());
        } // closed: what follows comes from the file
        SqliteTaskStore store(path);
        QVERIFY2(store.open(), qPrintable(store.errorString()));
        QCOMPARE(store.highestTaskId(), TaskId(5));
        const auto all = byId(store.history({}));
        QCOMPARE(all.size(), 5);
        QCOMPARE(all[1].state, TaskState::Done);
        QCOMPARE(all[1].outcome, Outcome::Finished);
        QCOMPARE(all[1].startedAt, t0.addMSecs(1));
        QCOMPARE(all[1].endedAt, t0.addMSecs(11));
        QCOMPARE(all[1].enqueuedAt, t0);
        QCOMPARE(all[2].outcome, Outcome::Failed);
        QCOMPARE(all[2].attempts, 2);
        QCOMPARE(all[2].exitCode, 4);
        QCOMPARE(all[2].durationMs, 20);
        QCOMPARE(all[2].message, QString("why"));
        QCOMPARE(all[2].startedAt, t0.addMSecs(2)); // the first launch
        QCOMPARE(all[3].state, TaskState::Running);
        QCOMPARE(all[4].state, TaskState::RetryWait);
        QCOMPARE(all[5].state, TaskState::Pending);
        QCOMPARE(all[5].descriptor.command(), (QStringList { "/bin/true", "5" }));
        QVERIFY(!all[5].startedAt.isValid());

        HistoryQuery recent;
        recent.limit = 2;
        const QList<StoredTask> newest = store.history(recent);
        QCOMPARE(newest.size(), 2);
        QCOMPARE(newest[0].id, TaskId(5));
        QCOMPARE(newest[1].id, TaskId(4));
        HistoryQuery done;
        done.state = TaskState::Done;
        QCOMPARE(store.history(done).size(), 2);
        done.outcome = Outcome::Failed;
        QCOMPARE(store.history(done).size(), 1);
        QCOMPARE(store.history(done).first().id, TaskId(2));
        QList<TaskId> unfinished;
        for (const StoredTask &t : store.unfinishedTasks())
            unfinished.append(t.id);
        QCOMPARE(unfinished, (QList<TaskId> { 3, 4, 5 }));
    }

    // Issue 15: a terminal event's metrics are stored and read back; a store written before
    // the metrics column gets it from a writer and is still read by a reader.
    void metricsAreStored()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath("tasks.db");
        const QDateTime t0 = QDateTime::fromMSecsSinceEpoch(1700000000000);
        TaskMetrics metrics;
        metrics.queueMs = 7;
        metrics.runMs = 120;
        metrics.stdoutBytes = 4096;
        metrics.stdoutLines = 10;
        metrics.cpuMs = 90;
        metrics.maxRssKb = 2048;
        {
            SqliteTaskStore store(path);
            QVERIFY2(store.open(), qPrintable(store.errorString()));
            QVERIFY(store.recordEnqueued(1, TaskDescriptor({ "/bin/true" }), t0));
            QVERIFY(store.recordEnqueued(2, TaskDescriptor({ "/bin/true" }), t0));
            QVERIFY(store.recordEvent(TaskEvent::finished(1, 1, 120).withMetrics(metrics), t0));
            QVERIFY(store.flush());
            QVERIFY(store.recordEvent(TaskEvent::finished(2, 1, 5), t0));
            QVERIFY(store.flush());
        }
        {
            // As an older version left it: no metrics column.
            QSqlDatabase db = QSqlDatabase::addDatabase("QSQLITE", "old-store");
            db.setDatabaseName(path);
            QVERIFY(db.open());
            QSqlQuery drop(db);
            QVERIFY2(drop.exec("ALTER TABLE tasks DROP COLUMN metrics"),
                     qPrintable(drop.lastError().text()));
            QVERIFY(drop.exec("UPDATE tasks SET ended_at = ended_at")); // still a store
        }
        QSqlDatabase::removeDatabase("old-store");
        {
            SqliteTaskStore reader(path);
            QVERIFY2(reader.openReadOnly(), qPrintable(reader.errorString()));
            const QList<StoredTask> tasks = reader.tasksFrom(1, 10);
            QCOMPARE(tasks.size(), 2);
            QCOMPARE(tasks.at(0).metrics, TaskMetrics()); // unknown in an old store
        }
        {
            SqliteTaskStore store(path);
            QVERIFY2(store.open(), qPrintable(store.errorString())); // adds the column
            QVERIFY(store.recordEvent(TaskEvent::finished(1, 1, 120).withMetrics(metrics), t0));
            QVERIFY(store.flush());
            const QList<StoredTask> tasks = store.tasksFrom(1, 10);
            QCOMPARE(tasks.size(), 2);
            QCOMPARE(tasks.at(0).metrics, metrics);
            QCOMPARE(tasks.at(1).metrics, TaskMetrics());
        }
    }

    void unusableStoreIsAClearError_data()
    {
        QTest::addColumn<QString>("kind");
        QTest::addColumn<QString>("expected");
        QTest::newRow("not a database") << "garbage"
                                        << "corrupt";
        QTest::newRow("truncated database") << "truncated"
                                            << "corrupt";
        QTest::newRow("path is a directory") << "directory"
                                             << "cannot";
        QTest::newRow("missing directory") << "missing"
                                           << "cannot open";
    }
    void unusableStoreIsAClearError()
    {
        QFETCH(QString, kind);
        QFETCH(QString, expected);
        QTemporaryDir dir;
        QString path = dir.filePath("tasks.db");
        if (kind == "garbage") {
            QFile f(path);
            QVERIFY(f.open(QIODevice::WriteOnly));
            f.write(QByteArray(8192, 'G'));
        } else if (kind == "truncated") {
            {
                SqliteTaskStore store(path);
                QVERIFY(store.open());
                for (TaskId id = 1; id <= 200; ++id)
                    store.recordEnqueued(id, TaskDescriptor({ QString(100, 'x') }), {});
                QVERIFY(store.flush());
            }
            QFile f(path);
            QVERIFY(f.open(QIODevice::ReadWrite));
            f.seek(0);
            f.write(QByteArray(100, '\x7f')); // the header goes
        } else if (kind == "directory") {
            path = dir.path();
        } else {
            path = dir.filePath("no/such/dir/tasks.db");
        }
        SqliteTaskStore store(path);
        QVERIFY(!store.open());
        QVERIFY(!store.isOpen());
        QVERIFY2(store.errorString().contains(expected), qPrintable(store.errorString()));
        QVERIFY2(store.errorString().contains(path), qPrintable(store.errorString()));
        QVERIFY(store.history({}).isEmpty());
        QVERIFY(!store.recordEnqueued(1, TaskDescriptor({ "x" }), {}));

        // A Broker on it says so once and runs tasks without persistence.
        BrokerConfig c = config();
        c.store = std::make_shared<SqliteTaskStore>(path);
        Recorder r;
        Broker broker(c);
        QSignalSpy notices(&broker, &Broker::internalError);
        const TaskId id = broker.enqueue(helperTask({ "lines", "1" }), r.handler());
        QCOMPARE(id, TaskId(1));
        QTRY_VERIFY_WITH_TIMEOUT(r.ended(id), Wait);
        QCOMPARE(r.terminal(id).kind(), EventKind::Finished);
        QTRY_COMPARE_WITH_TIMEOUT(notices.count(), 1, Wait);
        QVERIFY(notices.first().at(1).toString().contains("task store unusable"));
    }

    // One writer: the lock is per store object (also within one process), dies with it, and
    // names the holder; open() alone (a reader) takes none.
    void writerLockAndWriterRecords()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath("tasks.db");
        auto first = std::make_unique<SqliteTaskStore>(path);
        QVERIFY(first->lockForWriting());
        QVERIFY(first->open());
        SqliteTaskStore second(path);
        QVERIFY(!second.lockForWriting());
        QVERIFY2(second.errorString().contains(
                         QStringLiteral("pid %1").arg(QCoreApplication::applicationPid())),
                 qPrintable(second.errorString()));
        SqliteTaskStore reader(path);
        QVERIFY(reader.open());

        QVERIFY(first->recordEnqueued(1, TaskDescriptor({ "a" }), {}));
        QVERIFY(first->recordEnqueued(2, TaskDescriptor({ "b" }), {}));
        QVERIFY(first->recordEvent(TaskEvent::started(1, 1, { "a" }, {}), {}));
        QVERIFY(first->recordInterrupted(1, "interrupted: stopped"));
        QVERIFY(first->recordInterrupted(2, "interrupted: stopped")); // pending: stays so
        QVERIFY(first->recordSourceDigest(2, "digest-2"));
        QVERIFY(first->flush());
        const QList<StoredTask> unfinished = reader.unfinishedTasks();
        QCOMPARE(unfinished.size(), 2);
        QCOMPARE(unfinished.at(0).state, TaskState::Running);
        QCOMPARE(unfinished.at(0).message, QStringLiteral("interrupted: stopped"));
        QCOMPARE(unfinished.at(1).state, TaskState::Pending);
        QCOMPARE(first->sourceDigests(1, 3), (QList<QByteArray> { {}, "digest-2", {} }));
        QVERIFY(first->clear());
        QCOMPARE(reader.highestTaskId(), TaskId(0));
        QCOMPARE(first->sourceDigests(1, 3), (QList<QByteArray> { {}, {}, {} }));

        first.reset();
        QVERIFY2(second.lockForWriting(), qPrintable(second.errorString()));

        // Not a regular file: refused before SQLite creates anything beside it.
        SqliteTaskStore device("/dev/null");
        QVERIFY(!device.lockForWriting());
        QVERIFY(!device.open());
        QVERIFY2(device.errorString().contains("not a regular file"),
                 qPrintable(device.errorString()));
    }

    void storeFilesAreReadableByTheOwnerOnly()
    {
        // The store keeps every task's environment (secrets, tokens): under the usual umask 022
        // SQLite alone would create the file and its -wal and -shm with 0644.
        const mode_t previousUmask = ::umask(022);
        const auto restoreUmask = qScopeGuard([&] { ::umask(previousUmask); });
        QTemporaryDir dir;
        const QString path = dir.filePath("tasks.db");
        SqliteTaskStore store(path);
        QVERIFY2(store.open(), qPrintable(store.errorString()));
        TaskDescriptor task({ "deploy" });
        task.setEnvironmentVariable("API_TOKEN", "secret");
        QVERIFY(store.recordEnqueued(1, task, {}));
        QVERIFY(store.flush());
        const auto modeOf = [](const QString &file) {
            struct stat info;
            if (::stat(QFile::encodeName(file).constData(), &info) != 0)
                return QStringLiteral("missing");
            return QString::number(info.st_mode & 0777, 8);
        };
        QCOMPARE(modeOf(path), QStringLiteral("600"));
        QCOMPARE(modeOf(path + "-wal"), QStringLiteral("600"));
        QCOMPARE(modeOf(path + "-shm"), QStringLiteral("600"));

        // An existing store keeps the mode its owner gave it.
        const QString shared = dir.filePath("shared.db");
        {
            QFile f(shared);
            QVERIFY(f.open(QIODevice::WriteOnly));
        }
        QVERIFY(::chmod(QFile::encodeName(shared).constData(), 0640) == 0);
        SqliteTaskStore sharedStore(shared);
        QVERIFY2(sharedStore.open(), qPrintable(sharedStore.errorString()));
        QCOMPARE(modeOf(shared), QStringLiteral("640"));
    }

    void brokerRecordsEveryTask()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath("tasks.db");
        TaskDescriptor failing = helperTask({ "exit", "3" });
        failing.setName("fails");
        RetryPolicy once;
        once.count = 1;
        once.delaySeconds = 0.01;
        failing.setRetryPolicy(once);
        {
            BrokerConfig c = config();
            c.store = std::make_shared<SqliteTaskStore>(path);
            Recorder r;
            Broker broker(c);
            QSignalSpy idle(&broker, &Broker::idle);
            QCOMPARE(broker.enqueue(helperTask({ "lines", "2" }), r.handler()), TaskId(1));
            QCOMPARE(broker.enqueue(failing, r.handler()), TaskId(2));
            QTRY_VERIFY_WITH_TIMEOUT(idle.count() > 0 && broker.isIdle(), Wait);
            // Terminal events are committed at once: another connection sees them now.
            SqliteTaskStore reader(path);
            QVERIFY(reader.open());
            QCOMPARE(reader.history({}).size(), 2);
            QVERIFY(reader.unfinishedTasks().isEmpty());
        }
        SqliteTaskStore store(path);
        QVERIFY(store.open());
        const auto tasks = byId(store.history({}));
        QCOMPARE(tasks[1].outcome, Outcome::Finished);
        QCOMPARE(tasks[1].attempts, 1);
        QCOMPARE(tasks[1].descriptor, helperTask({ "lines", "2" }));
        QCOMPARE(tasks[2].outcome, Outcome::Failed);
        QCOMPARE(tasks[2].exitCode, 3);
        QCOMPARE(tasks[2].attempts, 2);
        QCOMPARE(tasks[2].descriptor, failing);
        QVERIFY(tasks[2].startedAt.isValid() && tasks[2].endedAt >= tasks[2].startedAt);

        // A new Broker on the store numbers on after the stored ids.
        BrokerConfig c = config();
        c.store = std::make_shared<SqliteTaskStore>(path);
        Recorder r;
        Broker broker(c);
        QSignalSpy started(&broker, &Broker::started);
        const TaskId id = broker.enqueue(helperTask({ "lines", "1" }), r.handler());
        QCOMPARE(id, TaskId(3));
        QTRY_VERIFY_WITH_TIMEOUT(r.ended(id), Wait);
        QCOMPARE(started.count(), 1); // the ended tasks did not run again
    }

    // What the Broker records, and when it commits: state changes batched, a commit after
    // every terminal event, output never; a failing store is reported once.
    void brokerBatchesAndCommitsAtTerminalEvents()
    {
        auto store = std::make_shared<FakeStore>();
        BrokerConfig c = config();
        c.maxConcurrentTasks = 1;
        c.store = store;
        Recorder r;
        Broker broker(c);
        QSignalSpy notices(&broker, &Broker::internalError);
        const TaskId a = broker.enqueue(helperTask({ "lines", "50" }), r.handler());
        const TaskId b = broker.enqueue(helperTask({ "exit", "2" }), r.handler());
        QTRY_VERIFY_WITH_TIMEOUT(r.ended(a) && r.ended(b), Wait);
        QStringList calls = store->calls;
        calls.removeAll("flush"); // timer commits may fall anywhere; the ones that count follow
        QCOMPARE(calls,
                 (QStringList { "enqueued 1", "enqueued 2", "started 1", "finished 1", "started 2",
                                "failed 2" }));
        for (const QString &terminal : { "finished 1", "failed 2" })
            QCOMPARE(store->calls.value(store->calls.indexOf(terminal) + 1), QString("flush"));
        QVERIFY(store->calls.count("flush") <= 6); // not once per event (52 of them for a)
        QCOMPARE(notices.count(), 0);

        store->failWrites = true;
        const TaskId d = broker.enqueue(helperTask({ "lines", "3" }), r.handler());
        const TaskId e = broker.enqueue(helperTask({ "lines", "3" }), r.handler());
        QTRY_VERIFY_WITH_TIMEOUT(r.ended(d) && r.ended(e), Wait);
        QCOMPARE(r.terminal(e).kind(), EventKind::Finished); // tasks go on
        QTRY_COMPARE_WITH_TIMEOUT(notices.count(), 1, Wait);
        QVERIFY(notices.first().at(1).toString().contains("disk on fire"));
    }

    void destroyedBrokerLeavesItsQueueForTheNext()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath("tasks.db");
        {
            BrokerConfig c = config();
            c.maxConcurrentTasks = 1;
            c.store = std::make_shared<SqliteTaskStore>(path);
            Recorder r;
            Broker broker(c);
            const TaskId hang = broker.enqueue(helperTask({ "hang" }), r.handler());
            broker.enqueue(helperTask({ "lines", "1" }), r.handler());
            QTRY_COMPARE_WITH_TIMEOUT(r.lines(hang), QStringList { "ready" }, Wait);
        } // destroyed: its handlers got `canceled`, the store keeps both tasks unfinished
        BrokerConfig c = config();
        c.maxConcurrentTasks = 1;
        c.store = std::make_shared<SqliteTaskStore>(path);
        Broker broker(c);
        QSignalSpy events(&broker, &Broker::eventOccurred);
        QTRY_VERIFY_WITH_TIMEOUT(kindsOf(events, 1).contains(EventKind::Stdout), Wait);
        QVERIFY(broker.cancel(1));
        QTRY_VERIFY_WITH_TIMEOUT(kindsOf(events, 2).contains(EventKind::Finished), Wait);
        QCOMPARE(kindsOf(events, 1).last(), EventKind::Canceled);
        QCOMPARE(kindsOf(events, 2),
                 (QList<EventKind> { EventKind::Started, EventKind::Stdout, EventKind::Finished }));
    }

    // Resumed in the middle of a chain: the dependency that finished before the restart stays
    // satisfied, and priorities, lanes and dependencies come back.
    void resumeInTheMiddleOfAChain()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath("tasks.db");
        TaskId a = 0, b = 0, c = 0;
        {
            BrokerConfig config = this->config();
            config.store = std::make_shared<SqliteTaskStore>(path);
            Recorder r; // outlives the Broker, whose destruction cancels b and c through it
            Broker broker(config);
            a = broker.enqueue(helperTask({ "lines", "1" }), [&](const TaskEvent &e) {
                r.events.append(e);
                if (e.isTerminal())
                    broker.pause(); // b is released, but does not start
            });
            TaskDescriptor second = helperTask({ "lines", "1" });
            second.setDependencies({ a });
            second.setPriority(4);
            second.setLane("net");
            b = broker.enqueue(second, r.handler());
            TaskDescriptor third = helperTask({ "lines", "1" });
            third.setDependencies({ b });
            c = broker.enqueue(third, r.handler());
            QTRY_VERIFY_WITH_TIMEOUT(r.ended(a), Wait);
            QCOMPARE(r.terminal(a).kind(), EventKind::Finished);
            QCOMPARE(broker.state(b), TaskState::Pending);
            QCOMPARE(broker.state(c), TaskState::Blocked);
        } // destroyed: b and c stay unfinished in the store
        BrokerConfig config = this->config();
        config.store = std::make_shared<SqliteTaskStore>(path);
        Broker broker(config);
        QSignalSpy events(&broker, &Broker::eventOccurred);
        QTRY_VERIFY_WITH_TIMEOUT(kindsOf(events, c).contains(EventKind::Finished), Wait);
        QCOMPARE(kindsOf(events, a), QList<EventKind>()); // not run again
        QCOMPARE(kindsOf(events, b).last(), EventKind::Finished);
        QList<TaskEvent> ofB;
        for (const QList<QVariant> &args : events)
            if (args.at(0).value<TaskEvent>().taskId() == b)
                ofB.append(args.at(0).value<TaskEvent>());
        QCOMPARE(ofB.first().kind(), EventKind::Started);
        QCOMPARE(ofB.first().priority(), 4);
        QCOMPARE(ofB.first().lane(), QStringLiteral("net"));
        qsizetype bFinished = -1, cStarted = -1;
        for (qsizetype i = 0; i < events.size(); ++i) {
            const TaskEvent e = events.at(i).at(0).value<TaskEvent>();
            if (e.taskId() == b && e.kind() == EventKind::Finished)
                bFinished = i;
            if (e.taskId() == c && e.kind() == EventKind::Started)
                cStarted = i;
        }
        QVERIFY(bFinished >= 0 && bFinished < cStarted);
    }

    void recoveryPolicy_data()
    {
        QTest::addColumn<RecoveryPolicy>("policy");
        QTest::newRow("rerun") << RecoveryPolicy::Rerun;
        QTest::newRow("mark failed") << RecoveryPolicy::MarkFailed;
    }
    void recoveryPolicy()
    {
        QFETCH(RecoveryPolicy, policy);
        QTemporaryDir dir;
        const QString path = dir.filePath("tasks.db");
        {
            // The store of a host that died: 1 pending, 2 running, 3 waiting to retry, 4 ended.
            SqliteTaskStore store(path);
            QVERIFY(store.open());
            for (TaskId id = 1; id <= 4; ++id)
                store.recordEnqueued(id, helperTask({ "lines", "1", QString::number(id) }), {});
            store.recordEvent(TaskEvent::started(2, 1, {}, {}), {});
            store.recordEvent(TaskEvent::started(3, 1, {}, {}), {});
            store.recordEvent(TaskEvent::retrying(3, 1, 1, 10), {});
            store.recordEvent(TaskEvent::started(4, 1, {}, {}), {});
            store.recordEvent(TaskEvent::finished(4, 1, 5), {});
            QVERIFY(store.flush());
        }
        BrokerConfig c = config();
        c.recoveryPolicy = policy;
        auto store = std::make_shared<SqliteTaskStore>(path);
        c.store = store;
        Recorder r; // outlives the Broker, whose destruction still reports
        Broker broker(c);
        QSignalSpy events(&broker, &Broker::eventOccurred);
        QSignalSpy idle(&broker, &Broker::idle);
        QTRY_VERIFY_WITH_TIMEOUT(idle.count() > 0 && broker.isIdle(), Wait);

        const QList<EventKind> ran { EventKind::Started, EventKind::Stdout, EventKind::Finished };
        QCOMPARE(kindsOf(events, 1), ran); // pending: always resumed
        if (policy == RecoveryPolicy::Rerun) {
            QCOMPARE(kindsOf(events, 2), ran);
            QCOMPARE(kindsOf(events, 3), ran);
            QCOMPARE(eventsOf(events, 3).at(1).line(), QString("3 1"));
        } else {
            for (TaskId id : { 2, 3 }) {
                QCOMPARE(kindsOf(events, id), QList<EventKind> { EventKind::Failed });
                QVERIFY(eventsOf(events, id).first().message().contains("interrupted"));
            }
        }
        QVERIFY(kindsOf(events, 4).isEmpty()); // ended: never again
        QVERIFY(store->unfinishedTasks().isEmpty());
        QCOMPARE(broker.enqueue(helperTask({ "lines", "1" }), r.handler()), TaskId(5));
        QTRY_VERIFY_WITH_TIMEOUT(r.ended(5), Wait);
    }

    // The host enqueues at start-up, filling the queue, before the Broker's first event-loop
    // turn resumes the stored tasks; its maxQueueDepth is also smaller than the stored backlog.
    // The stored tasks were accepted once: none is refused, and they run before the newer ones.
    void recoveredTasksAreNeverRejectedForQueueDepth()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath("tasks.db");
        {
            SqliteTaskStore store(path);
            QVERIFY(store.open());
            for (TaskId id = 1; id <= 5; ++id)
                store.recordEnqueued(id, helperTask({ "lines", "1", QString::number(id) }), {});
            store.recordEvent(TaskEvent::started(2, 1, {}, {}), {});
            QVERIFY(store.flush());
        }
        BrokerConfig c = config();
        c.maxConcurrentTasks = 1;
        c.maxQueueDepth = 2;
        auto store = std::make_shared<SqliteTaskStore>(path);
        c.store = store;
        Recorder r;
        Broker broker(c);
        QSignalSpy events(&broker, &Broker::eventOccurred);
        QSignalSpy idle(&broker, &Broker::idle);
        QList<TaskId> fresh;
        for (int i = 0; i < 3; ++i) // one runs at once, two fill the queue
            fresh.append(broker.enqueue(helperTask({ "lines", "1", "new" }), r.handler()));
        QCOMPARE(fresh, (QList<TaskId> { 6, 7, 8 }));
        QCOMPARE(broker.pendingCount(), 2);
        QTRY_VERIFY_WITH_TIMEOUT(idle.count() > 0 && broker.isIdle(), Wait);

        QList<TaskId> startOrder;
        for (const auto &args : events) {
            const auto e = args.at(0).value<TaskEvent>();
            if (e.kind() == EventKind::Started)
                startOrder.append(e.taskId());
            QVERIFY2(e.kind() != EventKind::InternalError, qPrintable(e.message()));
        }
        // Task 6 took the free slot at once; the resumed ones go ahead of the queued 7 and 8.
        QCOMPARE(startOrder, (QList<TaskId> { 6, 1, 2, 3, 4, 5, 7, 8 }));
        for (TaskId id = 1; id <= 8; ++id)
            QCOMPARE(kindsOf(events, id).last(), EventKind::Finished);
        QVERIFY(store->unfinishedTasks().isEmpty());
        HistoryQuery finished;
        finished.outcome = Outcome::Finished;
        QCOMPARE(store->history(finished).size(), 8);
    }

    // A host is killed with SIGKILL while it runs tasks; started again on the same store, it
    // finishes the rest. Every task ends exactly once, and no task the store had seen end runs
    // again (each run appends its tag to a file, so runs are counted across both hosts).
    void crashRecovery()
    {
        QTemporaryDir dir;
        const QString storePath = dir.filePath("tasks.db");
        const QString runsPath = dir.filePath("runs");
        const int taskCount = 12;
        QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
        addChildMarker(environment, m_fixture.marker());
        const QStringList args { "--store", storePath, "--helper", helper(),
                                 "--runs",  runsPath,  "--tasks",  QString::number(taskCount),
                                 "--ms",    "150" };

        QProcess first;
        first.setProcessEnvironment(environment);
        first.start(QStringLiteral(TC_STOREHOST_PATH), args);
        QVERIFY(first.waitForStarted());
        QByteArray firstOutput;
        // Kill it once some tasks ended and others run.
        QTRY_VERIFY_WITH_TIMEOUT(
                (firstOutput += first.readAllStandardOutput()).count("ended ") >= 3, Wait);
        ::kill(first.processId(), SIGKILL);
        QVERIFY(first.waitForFinished());
        firstOutput += first.readAllStandardOutput();
        QCOMPARE(first.exitStatus(), QProcess::CrashExit);
        QVERIFY(firstOutput.count("ended ") < taskCount);
        // Its tasks die with it (the parent-death signal, the guardian); wait until they have.
        QTRY_COMPARE_WITH_TIMEOUT(processesWithMarker(m_fixture.marker()), QList<int>(), Wait);

        QSet<TaskId> endedBefore;
        {
            SqliteTaskStore store(storePath);
            QVERIFY2(store.open(), qPrintable(store.errorString()));
            QCOMPARE(store.highestTaskId(), TaskId(taskCount));
            HistoryQuery done;
            done.state = TaskState::Done;
            for (const StoredTask &t : store.history(done))
                endedBefore.insert(t.id);
        }
        for (const QByteArray &line : firstOutput.split('\n')) {
            if (line.startsWith("ended "))
                QVERIFY2(endedBefore.contains(line.split(' ').at(1).toULongLong()),
                         line.constData()); // what the host saw end, the store kept
        }
        QVERIFY(endedBefore.size() < taskCount);

        QProcess second;
        second.setProcessEnvironment(environment);
        second.start(QStringLiteral(TC_STOREHOST_PATH), args);
        QVERIFY(second.waitForFinished(Wait * 3));
        QCOMPARE(second.exitStatus(), QProcess::NormalExit);
        QCOMPARE(second.exitCode(), 0);
        const QByteArray secondOutput = second.readAllStandardOutput();

        QHash<TaskId, int> endedAfter;
        QSet<TaskId> startedAfter;
        for (const QByteArray &line : secondOutput.split('\n')) {
            const QList<QByteArray> fields = line.split(' ');
            if (fields.first() == "ended") {
                ++endedAfter[fields.at(1).toULongLong()];
                QCOMPARE(fields.at(2), QByteArray("finished"));
            } else if (fields.first() == "started") {
                startedAfter.insert(fields.at(1).toULongLong());
            }
        }
        for (TaskId id = 1; id <= TaskId(taskCount); ++id) {
            const int ends = int(endedBefore.contains(id)) + endedAfter.value(id);
            QVERIFY2(ends == 1,
                     qPrintable(QStringLiteral("task %1 ended %2 times").arg(id).arg(ends)));
            if (endedBefore.contains(id))
                QVERIFY2(!startedAfter.contains(id), qPrintable(QString::number(id)));
        }
        const QList<QByteArray> runs = [&] {
            QFile f(runsPath);
            return f.open(QIODevice::ReadOnly) ? f.readAll().split('\n') : QList<QByteArray>();
        }();
        for (TaskId id : endedBefore)
            QVERIFY2(runs.count("task-" + QByteArray::number(id)) == 1,
                     (firstOutput + "----\n" + secondOutput + "----\n" + runs.join(' '))
                             .constData());

        SqliteTaskStore store(storePath);
        QVERIFY(store.open());
        QVERIFY(store.unfinishedTasks().isEmpty());
        HistoryQuery finished;
        finished.outcome = Outcome::Finished;
        QCOMPARE(store.history(finished).size(), taskCount);
    }
};

QTEST_GUILESS_MAIN(tst_TaskStore)
#include "tst_taskstore.moc"
