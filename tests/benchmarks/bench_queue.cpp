// SPDX-License-Identifier: MIT
// Library-level costs of the pending queue, with an executor whose processes never end, so that
// one task holds the only slot and everything else stays pending:
//   memory: heap bytes per pending `/bin/true` task at 1e5 and 1e6 tasks (glibc mallinfo2),
//           against a bare QList of QStringList commands and a QList of TaskDescriptors;
//   enqueue / cancel: nanoseconds per call with 1e4, 1e5 and 1e6 tasks pending, and the
//           machine's floor: touching a random entry of a plain deque of the same size.
//   bench_queue [memory|ops]
// Each task gets its own descriptor, built as a CLI reading commands would build it; the
// "shared" rows enqueue one descriptor many times.
#include <taskconductor/broker.h>
#include <taskconductor/executor.h>

#include <QtCore/qcoreapplication.h>
#include <QtCore/qelapsedtimer.h>
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
    if (what.isEmpty() || what == QLatin1String("ops")) {
        for (int n : { 10000, 100000, 1000000 })
            operations(n);
        for (int n : { 10000, 100000, 1000000 })
            memoryFloor(n);
    }
    return 0;
}
