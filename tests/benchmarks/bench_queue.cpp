// SPDX-License-Identifier: MIT
// Library-level costs of the pending queue, with an executor whose processes never end, so that
// one task holds the only slot and everything else stays pending:
//   memory: heap bytes per pending `/bin/true` task at 1e5 and 1e6 tasks (glibc mallinfo2),
//           against a bare QList of QStringList commands and a QList of TaskDescriptors;
//   enqueue / cancel: nanoseconds per call with 1e4, 1e5 and 1e6 tasks pending, and the
//           machine's floor: touching a random entry of a plain deque of the same size.
//   sched:  issue 14 against FIFO, in the same process, alternating: enqueue and cancel with
//           1e5 pending spread over 8 priorities and 4 capped lanes; and the start cost: 1e5
//           pending tasks whose processes end at once, run to idle, time per task.
//   chain:  2,500, 5,000 and 10,000 tasks each depending on the one before, run to idle.
//   bench_queue [memory|ops|sched|chain] [ROUNDS, default 5 (sched, chain)] [chain LENGTH]
// Each task gets its own descriptor, built as a CLI reading commands would build it; the
// "shared" rows enqueue one descriptor many times.
#include <taskconductor/broker.h>
#include <taskconductor/executor.h>

#include <QtCore/qcoreapplication.h>
#include <QtCore/qelapsedtimer.h>
#include <QtCore/qeventloop.h>
#include <QtCore/qrandom.h>

#include <algorithm>
#include <cstdio>
#include <deque>
#include <functional>
#include <malloc.h>
#include <vector>

using namespace TaskConductor;

namespace {

// Starts nothing and never ends: the task in the slot stays there.
class ParkedProcess final : public TaskProcess
{
public:
    using TaskProcess::TaskProcess;
    void start(const LaunchRequest &) override { }
    void terminate() override { }
    void kill() override { }
};

class ParkingExecutor final : public Executor
{
public:
    std::unique_ptr<TaskProcess> createProcess(TaskProcessObserver *observer) override
    {
        return std::make_unique<ParkedProcess>(observer);
    }
};

// Runs and ends at the next event-loop turn with exit code 0, as a real process ends later.
class InstantProcess final : public TaskProcess
{
public:
    InstantProcess(TaskProcessObserver *observer, QObject *context)
        : TaskProcess(observer)
        , m_context(context)
    { }
    void start(const LaunchRequest &) override
    {
        reportStarted();
        QMetaObject::invokeMethod(
                m_context, [this] { reportEnded(ProcessEnd::exited(0)); }, Qt::QueuedConnection);
    }
    void terminate() override { }
    void kill() override { }

private:
    QObject *m_context;
};

class InstantExecutor final : public Executor
{
public:
    std::unique_ptr<TaskProcess> createProcess(TaskProcessObserver *observer) override
    {
        return std::make_unique<InstantProcess>(observer, &m_context);
    }

private:
    QObject m_context;
};

size_t heapInUse()
{
    malloc_trim(0);
    return mallinfo2().uordblks;
}

// As a CLI would build it from a line of input: its own strings.
TaskDescriptor freshTrueTask()
{
    return TaskDescriptor(QStringList { QString::fromLatin1("/bin/true") });
}

BrokerConfig parkedConfig(int depth)
{
    BrokerConfig config;
    config.maxConcurrentTasks = 1;
    config.maxQueueDepth = depth;
    config.executor = std::make_shared<ParkingExecutor>();
    return config;
}

void noHandler(const TaskEvent &) { }

// The scheduling mix: 8 priorities and 4 lanes, each lane capped at 1 (the Broker's cap is 4).
constexpr int Priorities = 8;
constexpr int Lanes = 4;
QString laneName(int lane)
{
    return QStringLiteral("lane%1").arg(lane);
}
void addLaneLimits(BrokerConfig &config)
{
    for (int lane = 0; lane < Lanes; ++lane)
        config.laneLimits.insert(laneName(lane), 1);
}
// Task i of the mix: priority i % 8, lane (i / 8) % 4, so that all 32 pairs occur.
std::vector<TaskDescriptor> mixedTasks()
{
    std::vector<TaskDescriptor> tasks;
    for (int i = 0; i < Priorities * Lanes; ++i) {
        TaskDescriptor task = freshTrueTask();
        task.setPriority(i % Priorities);
        task.setLane(laneName((i / Priorities) % Lanes));
        tasks.push_back(task);
    }
    return tasks;
}

double median(std::vector<double> values)
{
    std::sort(values.begin(), values.end());
    return values[values.size() / 2];
}

// As operations(), with 1e5 pending: FIFO (one descriptor) or the mix. Returns {enqueue,
// cancel} ns per call, medians of 3 rounds of 1000.
std::pair<double, double> enqueueAndCancel(int n, bool mixed)
{
    constexpr int batch = 1000;
    BrokerConfig config = parkedConfig(n + 4 * batch);
    if (mixed)
        addLaneLimits(config);
    Broker broker(config);
    const std::vector<TaskDescriptor> tasks =
            mixed ? mixedTasks() : std::vector<TaskDescriptor> { freshTrueTask() };
    size_t next = 0;
    auto enqueueOne = [&] { return broker.enqueue(tasks[next++ % tasks.size()], noHandler); };
    enqueueOne(); // takes the slot
    std::vector<TaskId> ids;
    for (int i = 0; i < n; ++i)
        ids.push_back(enqueueOne());
    std::vector<double> enqueueNs, cancelNs;
    QRandomGenerator random(42);
    for (int round = 0; round < 3; ++round) {
        QElapsedTimer clock;
        clock.start();
        for (int i = 0; i < batch; ++i)
            ids.push_back(enqueueOne());
        enqueueNs.push_back(double(clock.nsecsElapsed()) / batch);
        std::vector<TaskId> victims;
        for (int i = 0; i < batch; ++i) {
            const size_t at = random.bounded(quint32(ids.size()));
            victims.push_back(ids[at]);
            ids[at] = ids.back();
            ids.pop_back();
        }
        clock.restart();
        for (TaskId id : victims)
            broker.cancel(id);
        cancelNs.push_back(double(clock.nsecsElapsed()) / batch);
    }
    return { median(enqueueNs), median(cancelNs) };
}

// Runs until \a broker is idle; returns ns per task of \a n.
double runToIdle(Broker &broker, int n)
{
    QEventLoop loop;
    QObject::connect(&broker, &Broker::idle, &loop, &QEventLoop::quit);
    QElapsedTimer clock;
    clock.start();
    broker.resume();
    if (!broker.isIdle())
        loop.exec();
    return double(clock.nsecsElapsed()) / n;
}

// n tasks pending (enqueued while paused) whose processes end at once: ns per task from
// resume() to idle. The Broker's cap is 4: FIFO, or the mix with each lane capped at 1.
double startCost(int n, bool mixed)
{
    BrokerConfig config;
    config.maxConcurrentTasks = 4;
    config.maxQueueDepth = n;
    config.executor = std::make_shared<InstantExecutor>();
    if (mixed)
        addLaneLimits(config);
    Broker broker(config);
    broker.pause();
    const std::vector<TaskDescriptor> tasks =
            mixed ? mixedTasks() : std::vector<TaskDescriptor> { freshTrueTask() };
    for (int i = 0; i < n; ++i)
        broker.enqueue(tasks[size_t(i) % tasks.size()], noHandler);
    return runToIdle(broker, n);
}

void scheduling(int rounds)
{
    constexpr int n = 100000;
    std::vector<double> fifoEnqueue, mixEnqueue, fifoCancel, mixCancel, fifoStart, mixStart;
    for (int round = 0; round < rounds; ++round) { // alternating, so that drift hits both
        const auto fifo = enqueueAndCancel(n, false);
        const auto mix = enqueueAndCancel(n, true);
        fifoEnqueue.push_back(fifo.first);
        fifoCancel.push_back(fifo.second);
        mixEnqueue.push_back(mix.first);
        mixCancel.push_back(mix.second);
        fifoStart.push_back(startCost(n, false));
        mixStart.push_back(startCost(n, true));
    }
    std::printf("sched pending=%d what=fifo enqueue_ns=%.0f cancel_ns=%.0f start_ns=%.0f\n", n,
                median(fifoEnqueue), median(fifoCancel), median(fifoStart));
    std::printf("sched pending=%d what=8prio-4lanes enqueue_ns=%.0f cancel_ns=%.0f "
                "start_ns=%.0f\n",
                n, median(mixEnqueue), median(mixCancel), median(mixStart));
    std::printf("sched ratio enqueue=%.2f cancel=%.2f start=%.2f\n",
                median(mixEnqueue) / median(fifoEnqueue), median(mixCancel) / median(fifoCancel),
                median(mixStart) / median(fifoStart));
}

// A chain of n tasks, each depending on the one before, enqueued while paused; ns per task to
// enqueue it, and from resume() to idle (each task can start only when the one before ended).
void chain(int rounds, const std::vector<int> &lengths)
{
    for (int n : lengths) {
        std::vector<double> enqueueNs, runNs;
        for (int round = 0; round < rounds; ++round) {
            BrokerConfig config;
            config.maxConcurrentTasks = 4;
            config.maxQueueDepth = n;
            config.executor = std::make_shared<InstantExecutor>();
            Broker broker(config);
            broker.pause();
            QElapsedTimer clock;
            clock.start();
            TaskId previous = 0;
            for (int i = 0; i < n; ++i) {
                TaskDescriptor task = freshTrueTask();
                if (previous != 0)
                    task.addDependency(previous);
                previous = broker.enqueue(task, noHandler);
            }
            enqueueNs.push_back(double(clock.nsecsElapsed()) / n);
            if (broker.blockedCount() != n - 1)
                std::fprintf(stderr, "bench_queue: %d blocked, expected %d\n",
                             broker.blockedCount(), n - 1);
            runNs.push_back(runToIdle(broker, n));
        }
        std::printf("chain tasks=%d enqueue_ns=%.0f run_ns_per_task=%.0f run_ms=%.1f\n", n,
                    median(enqueueNs), median(runNs), median(runNs) * n / 1e6);
    }
}

void memory(int n)
{
    {
        Broker broker(parkedConfig(n));
        broker.enqueue(freshTrueTask(), noHandler); // takes the slot
        const size_t before = heapInUse();
        for (int i = 0; i < n; ++i)
            broker.enqueue(freshTrueTask(), noHandler);
        const size_t after = heapInUse();
        std::printf("memory tasks=%d what=broker-distinct bytes_per_task=%.1f pending=%d\n", n,
                    double(after - before) / n, broker.pendingCount());
    }
    {
        Broker broker(parkedConfig(n));
        const TaskDescriptor task = freshTrueTask();
        broker.enqueue(task, noHandler);
        const size_t before = heapInUse();
        for (int i = 0; i < n; ++i)
            broker.enqueue(task, noHandler);
        const size_t after = heapInUse();
        std::printf("memory tasks=%d what=broker-shared bytes_per_task=%.1f pending=%d\n", n,
                    double(after - before) / n, broker.pendingCount());
    }
    {
        const size_t before = heapInUse();
        QList<QStringList> commands;
        for (int i = 0; i < n; ++i)
            commands.append(QStringList { QString::fromLatin1("/bin/true") });
        const size_t after = heapInUse();
        std::printf("memory tasks=%d what=qlist-qstringlist bytes_per_task=%.1f\n", n,
                    double(after - before) / n);
    }
    {
        const size_t before = heapInUse();
        QList<TaskDescriptor> descriptors;
        for (int i = 0; i < n; ++i)
            descriptors.append(freshTrueTask());
        const size_t after = heapInUse();
        std::printf("memory tasks=%d what=qlist-taskdescriptor bytes_per_task=%.1f\n", n,
                    double(after - before) / n);
    }
}

// Median of three rounds of `batch` calls each, in nanoseconds per call.
void operations(int n)
{
    constexpr int batch = 1000;
    Broker broker(parkedConfig(n + 4 * batch));
    const TaskDescriptor task = freshTrueTask();
    broker.enqueue(task, noHandler);
    std::vector<TaskId> ids;
    ids.reserve(size_t(n));
    for (int i = 0; i < n; ++i)
        ids.push_back(broker.enqueue(task, noHandler));

    std::vector<double> enqueueNs;
    std::vector<double> cancelNs;
    QRandomGenerator random(42);
    for (int round = 0; round < 3; ++round) {
        QElapsedTimer clock;
        clock.start();
        for (int i = 0; i < batch; ++i)
            ids.push_back(broker.enqueue(task, noHandler));
        enqueueNs.push_back(double(clock.nsecsElapsed()) / batch);

        // Cancel live tasks anywhere in the queue; swap-remove keeps the pick uniform.
        std::vector<TaskId> victims;
        for (int i = 0; i < batch; ++i) {
            const size_t at = random.bounded(quint32(ids.size()));
            victims.push_back(ids[at]);
            ids[at] = ids.back();
            ids.pop_back();
        }
        int canceled = 0;
        clock.restart();
        for (TaskId id : victims)
            canceled += broker.cancel(id);
        cancelNs.push_back(double(clock.nsecsElapsed()) / batch);
        if (canceled != batch)
            std::fprintf(stderr, "bench_queue: only %d of %d cancels took\n", canceled, batch);
    }
    std::sort(enqueueNs.begin(), enqueueNs.end());
    std::sort(cancelNs.begin(), cancelNs.end());
    std::printf("ops tasks=%d enqueue_ns=%.0f cancel_ns=%.0f\n", n, enqueueNs[1], cancelNs[1]);
}

// The machine's floor for the same access pattern: clear a flag in a random entry of a plain
// std::deque of entries as large as the Broker's, with n entries, one access after the other.
// What grows from 1e4 to 1e6 here is cache and TLB misses, not work.
void memoryFloor(int n)
{
    struct Entry
    {
        quint64 id;
        void *task;
        std::function<void()> handler;
        bool live;
    };
    std::deque<Entry> entries(size_t(n), Entry { 0, nullptr, {}, true });
    QRandomGenerator random(42);
    std::vector<size_t> victims;
    for (int i = 0; i < 3000; ++i)
        victims.push_back(random.bounded(quint32(n)));
    for (int i = 0; i < n; ++i)
        entries[size_t(i)].id = quint64(i);
    // Each access waits for the one before, as successive cancel() calls do: without the
    // dependency the CPU overlaps the misses and the floor looks lower than it is.
    QElapsedTimer clock;
    clock.start();
    quint64 previous = 0;
    for (size_t victim : victims) {
        Entry &entry = entries[victim + size_t(previous >> 63)]; // previous < 2^63: adds 0
        entry.live = !entry.live;
        previous = entry.id;
    }
    std::printf("floor tasks=%d touch_ns=%.0f entry_bytes=%zu\n", n,
                double(clock.nsecsElapsed()) / victims.size(), sizeof(Entry));
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    const QString what = argc > 1 ? QString::fromLocal8Bit(argv[1]) : QString();
    if (what.isEmpty() || what == QLatin1String("memory")) {
        memory(100000);
        memory(1000000);
    }
    const int rounds = argc > 2 ? std::max(1, QString::fromLocal8Bit(argv[2]).toInt()) : 5;
    if (what == QLatin1String("sched"))
        scheduling(rounds);
    if (what == QLatin1String("chain")) {
        // One length only (a third argument), e.g. to count instructions under callgrind.
        const int length = argc > 3 ? QString::fromLocal8Bit(argv[3]).toInt() : 0;
        chain(rounds,
              length > 0 ? std::vector<int> { length } : std::vector<int> { 2500, 5000, 10000 });
    }
    if (what.isEmpty() || what == QLatin1String("ops")) {
        for (int n : { 10000, 100000, 1000000 })
            operations(n);
        for (int n : { 10000, 100000, 1000000 })
            memoryFloor(n);
    }
    return 0;
}
