// SPDX-License-Identifier: MIT
// The seam between the Broker and any Executor, through the public API only, with a scripted
// executor: what the TaskProcess base class guarantees (one end, nothing after it), how a typed
// ProcessEnd becomes the event a host sees, and the session's lifecycle at the Broker's ends.
#include <taskconductor/broker.h>
#include <taskconductor/executor.h>

#include <QtTest/qtest.h>

#include <memory>

using namespace TaskConductor;

namespace {

struct Log
{
    QStringList calls; // what the Broker asked of the executor, in order
    QList<class ScriptedProcess *> processes; // started and not yet deleted
};

// A process that does nothing by itself: the test reports for it.
class ScriptedProcess final : public TaskProcess, private TaskProcessBlockingInterface
{
public:
    ScriptedProcess(TaskProcessObserver *observer, Log *log, bool blocking)
        : TaskProcess(observer)
        , m_log(log)
        , m_blocking(blocking)
    { }
    ~ScriptedProcess() override
    {
        m_log->calls.append(QStringLiteral("delete"));
        m_log->processes.removeOne(this);
    }
    void start(const LaunchRequest &request) override
    {
        this->request = request;
        m_log->calls.append(QStringLiteral("start %1").arg(request.taskId));
        m_log->processes.append(this);
    }
    void terminate() override { m_log->calls.append(QStringLiteral("terminate")); }
    void kill() override { m_log->calls.append(QStringLiteral("kill")); }
    TaskProcessBlockingInterface *blockingInterface() override
    {
        return m_blocking ? this : nullptr;
    }

    void started() { reportStarted(); }
    void output(const char *text) { reportOutput(OutputChannel::Stdout, QByteArrayView(text)); }
    void outputShared(const QByteArray &bytes) { reportOutput(OutputChannel::Stdout, bytes); }
    void ended(const ProcessEnd &end) { reportEnded(end); }

    LaunchRequest request;

private:
    void reap(int graceMsecs) override
    {
        m_log->calls.append(QStringLiteral("reap %1").arg(graceMsecs > 0 ? "grace" : "now"));
    }

    Log *m_log;
    bool m_blocking;
};

class ScriptedSession final : public ExecutorSession
{
public:
    ScriptedSession(Log *log, bool blocking)
        : m_log(log)
        , m_blocking(blocking)
    { }
    std::unique_ptr<TaskProcess> createProcess(TaskProcessObserver *observer) override
    {
        return std::make_unique<ScriptedProcess>(observer, m_log, m_blocking);
    }
    void shutdown() override { m_log->calls.append(QStringLiteral("shutdown")); }

private:
    Log *m_log;
    bool m_blocking;
};

class ScriptedExecutor final : public Executor
{
public:
    explicit ScriptedExecutor(bool blocking = false)
        : m_blocking(blocking)
    { }
    std::unique_ptr<ExecutorSession> openSession(const BrokerConfig &config) override
    {
        log.calls.append(QStringLiteral("open %1").arg(config.maxConcurrentTasks));
        return std::make_unique<ScriptedSession>(&log, m_blocking);
    }
    std::unique_ptr<TaskProcess> createProcess(TaskProcessObserver *) override
    {
        return nullptr; // a Broker creates processes through its session only
    }
    Log log;

private:
    bool m_blocking;
};

BrokerConfig configWith(const std::shared_ptr<Executor> &executor)
{
    BrokerConfig config;
    config.maxConcurrentTasks = 3;
    config.killGraceSeconds = 1;
    config.executor = executor;
    return config;
}

} // namespace

class tst_ExecutorSeam : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void aProcessEndsExactlyOnce()
    {
        auto executor = std::make_shared<ScriptedExecutor>();
        QList<TaskEvent> events;
        Broker broker(configWith(executor));
        const TaskId id = broker.enqueue(TaskDescriptor({ "prog" }),
                                         [&](const TaskEvent &e) { events.append(e); });
        QCOMPARE(executor->log.processes.size(), 1);
        ScriptedProcess *process = executor->log.processes.first();
        QCOMPARE(process->request.taskId, id);
        process->started();
        process->output("one\ntw");
        process->ended(ProcessEnd::exited(0));
        QVERIFY(process->hasEnded());
        // Whatever an executor reports after its end reaches nobody.
        process->ended(ProcessEnd::exited(3));
        process->output("late\n");
        process->started();
        QList<EventKind> kinds;
        for (const TaskEvent &e : events)
            kinds.append(e.kind());
        QCOMPARE(kinds,
                 (QList<EventKind> { EventKind::Started, EventKind::Stdout, EventKind::Stdout,
                                     EventKind::Finished }));
        QCOMPARE(events.at(2).line(), QStringLiteral("tw")); // the partial line, before the end
        QTRY_VERIFY(broker.isIdle());
    }

    // Batches (outputBatching) from reads reported as views (copied) and as QByteArrays (shared):
    // the same lines, with lines across reads, "\r\n" across reads, pieces of maxLineBytes,
    // a partial last line; a kept batch keeps its bytes when the executor reuses its buffer.
    void batchesFromViewsAndSharedReadsAreTheSame_data()
    {
        QTest::addColumn<int>("maxLineBytes");
        QTest::newRow("default limit") << 0;
        QTest::newRow("pieces of 4") << 4; // the least there is
    }

    void batchesFromViewsAndSharedReadsAreTheSame()
    {
        QFETCH(int, maxLineBytes);
        const QList<QByteArray> reads { "a\nbb",    "b\r", "\ncc\ndd",
                                        "ee\nffff", "gg",  "\n0123456789\ntail" };
        QList<QStringList> lines;
        for (const bool shared : { false, true }) {
            auto executor = std::make_shared<ScriptedExecutor>();
            BrokerConfig config = configWith(executor);
            config.outputBatching = true;
            if (maxLineBytes > 0)
                config.maxLineBytes = maxLineBytes;
            QList<TaskEvent> events;
            Broker broker(config);
            broker.enqueue(TaskDescriptor({ "prog" }),
                           [&](const TaskEvent &e) { events.append(e); });
            ScriptedProcess *process = executor->log.processes.first();
            process->started();
            QByteArray buffer;
            for (const QByteArray &read : reads) {
                buffer = read; // reused by the next read, as an executor's buffer may be
                if (shared)
                    process->outputShared(buffer);
                else
                    process->output(buffer.constData());
                buffer.fill('#');
            }
            process->ended(ProcessEnd::exited(0));
            QStringList all;
            for (const TaskEvent &e : std::as_const(events)) {
                QVERIFY(e.kind() != EventKind::Stdout || e.hasLineBytes());
                for (qsizetype i = 0; i < e.lineCount(); ++i)
                    all.append(QString::fromUtf8(e.lineBytes(i)));
            }
            lines.append(all);
            QCOMPARE(events.last().kind(), EventKind::Finished);
            QTRY_VERIFY(broker.isIdle());
        }
        const QStringList expected = maxLineBytes == 0
                ? QStringList { "a", "bbb", "cc", "ddee", "ffffgg", "0123456789", "tail" }
                : QStringList {
                      "a", "bbb", "cc", "ddee", "ffff", "gg", "0123", "4567", "89", "tail"
                  };
        QCOMPARE(lines.at(0), expected);
        QCOMPARE(lines.at(1), expected);
    }

    void processEndsBecomeEvents_data()
    {
        QTest::addColumn<ProcessEnd>("end");
        QTest::addColumn<EventKind>("kind");
        QTest::addColumn<int>("exitCode");
        QTest::addColumn<QString>("message");
        QTest::newRow("exited 0") << ProcessEnd::exited(0) << EventKind::Finished << 0 << "";
        QTest::newRow("exited 5") << ProcessEnd::exited(5) << EventKind::Failed << 5 << "";
        QTest::newRow("crashed") << ProcessEnd::crashed(9, "crashed with signal 9 (Killed)")
                                 << EventKind::Failed << -9 << "crashed with signal 9 (Killed)";
        // The Broker names the directory; the executor gives only the cause.
        QTest::newRow("working directory")
                << ProcessEnd::failedToStart(StartFailure::WorkingDirectory, "Not a directory")
                << EventKind::Failed << -1
                << "failed to start 'prog': working directory '/srv/x': Not a directory";
        QTest::newRow("program") << ProcessEnd::failedToStart(StartFailure::Program,
                                                              "execvp: No such file or directory")
                                 << EventKind::Failed << -1
                                 << "failed to start 'prog': execvp: No such file or directory";
        QTest::newRow("other") << ProcessEnd::failedToStart(StartFailure::Other, "no cluster")
                               << EventKind::Failed << -1 << "failed to start 'prog': no cluster";
    }

    void processEndsBecomeEvents()
    {
        QFETCH(ProcessEnd, end);
        QFETCH(EventKind, kind);
        QFETCH(int, exitCode);
        QFETCH(QString, message);
        auto executor = std::make_shared<ScriptedExecutor>();
        QList<TaskEvent> events;
        Broker broker(configWith(executor));
        TaskDescriptor task({ "prog" });
        task.setWorkingDirectory("/srv/x");
        broker.enqueue(task, [&](const TaskEvent &e) { events.append(e); });
        ScriptedProcess *process = executor->log.processes.first();
        QCOMPARE(process->request.workingDirectory, QStringLiteral("/srv/x"));
        if (end.reason != ProcessEndReason::FailedToStart)
            process->started();
        process->ended(end);
        QVERIFY(!events.isEmpty());
        QCOMPARE(events.last().kind(), kind);
        QCOMPARE(events.last().exitCode(), exitCode);
        QCOMPARE(events.last().message(), message);
    }

    void sessionLivesFromConstructionToDestruction_data()
    {
        QTest::addColumn<bool>("blocking");
        QTest::addColumn<QStringList>("atDestruction");
        // Only a process that offers the blocking interface is waited for.
        QTest::newRow("blocking") << true
                                  << QStringList { "terminate", "reap grace", "delete",
                                                   "shutdown" };
        QTest::newRow("non-blocking")
                << false << QStringList { "terminate", "kill", "delete", "shutdown" };
    }

    void sessionLivesFromConstructionToDestruction()
    {
        QFETCH(bool, blocking);
        QFETCH(QStringList, atDestruction);
        auto executor = std::make_shared<ScriptedExecutor>(blocking);
        TaskEvent last;
        {
            Broker broker(configWith(executor));
            QCOMPARE(executor->log.calls, QStringList { "open 3" });
            broker.enqueue(TaskDescriptor({ "prog" }), [&](const TaskEvent &e) { last = e; });
            executor->log.processes.first()->started();
            executor->log.calls.clear();
        }
        QCOMPARE(executor->log.calls, atDestruction);
        QCOMPARE(last.kind(), EventKind::Canceled);
    }

    void oneExecutorServesTwoBrokers()
    {
        auto executor = std::make_shared<ScriptedExecutor>();
        {
            Broker a(configWith(executor));
            BrokerConfig other = configWith(executor);
            other.maxConcurrentTasks = 7;
            Broker b(other);
            QCOMPARE(executor->log.calls, (QStringList { "open 3", "open 7" }));
        }
        QCOMPARE(executor->log.calls, (QStringList { "open 3", "open 7", "shutdown", "shutdown" }));
    }
};

QTEST_GUILESS_MAIN(tst_ExecutorSeam)
#include "tst_executorseam.moc"
