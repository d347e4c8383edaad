// SPDX-License-Identifier: MIT
// Deadline to terminal event, in milliseconds (median of several rounds):
//   timeout: a task with a 200 ms timeout that obeys SIGTERM, and one that ignores it (grace
//            500 ms); the deadline is 200 ms after the enqueue that launched it;
//   cancel:  cancel() of a running task (after its "ready" line) to its `canceled` event;
//   peer:    a bare QProcess with a precise QTimer that calls terminate(), then kill() after
//            the grace period: the floor.
//   bench_latency HELPER [ROUNDS]      (HELPER: the tc_helper program, for hang / ignore-term)
#include <taskconductor/broker.h>

#include <QtCore/qcoreapplication.h>
#include <QtCore/qelapsedtimer.h>
#include <QtCore/qeventloop.h>
#include <QtCore/qprocess.h>
#include <QtCore/qtimer.h>

#include <algorithm>
#include <cstdio>
#include <vector>

using namespace TaskConductor;

namespace {

constexpr int timeoutMs = 200;
constexpr int graceMs = 500;

double median(std::vector<double> v)
{
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

// Milliseconds from the deadline to the terminal `timeout` event.
double brokerTimeout(const QString &helper, const QString &mode)
{
    BrokerConfig config;
    config.killGraceSeconds = graceMs / 1000.0;
    Broker broker(config);
    TaskDescriptor task({ helper, mode });
    task.setTimeoutSeconds(timeoutMs / 1000.0);
    QEventLoop loop;
    QElapsedTimer clock;
    double late = -1;
    clock.start();
    broker.enqueue(task, [&](const TaskEvent &e) {
        if (e.isTerminal()) {
            late = clock.nsecsElapsed() / 1e6 - timeoutMs;
            if (e.kind() != EventKind::Timeout)
                std::fprintf(stderr, "bench_latency: expected timeout, got %s\n",
                             qPrintable(TaskEvent::kindName(e.kind())));
            loop.quit();
        }
    });
    loop.exec();
    return late;
}

// Milliseconds from cancel() to the `canceled` event of a running task.
double brokerCancel(const QString &helper, const QString &mode)
{
    BrokerConfig config;
    config.killGraceSeconds = graceMs / 1000.0;
    Broker broker(config);
    QEventLoop loop;
    QElapsedTimer clock;
    double late = -1;
    TaskId id = 0;
    id = broker.enqueue(TaskDescriptor({ helper, mode }), [&](const TaskEvent &e) {
        if (e.kind() == EventKind::Stdout && e.line() == QLatin1String("ready")) {
            clock.start();
            broker.cancel(id);
        } else if (e.isTerminal()) {
            late = clock.nsecsElapsed() / 1e6;
            loop.quit();
        }
    });
    loop.exec();
    return late;
}

// The floor: QProcess, a precise QTimer, terminate(), kill() after the grace period.
double bareTimeout(const QString &helper, const QString &mode)
{
    QProcess process;
    QEventLoop loop;
    QElapsedTimer clock;
    QTimer deadline;
    QTimer grace;
    for (QTimer *t : { &deadline, &grace }) {
        t->setSingleShot(true);
        t->setTimerType(Qt::PreciseTimer);
    }
    QObject::connect(&deadline, &QTimer::timeout, &process, [&] {
        process.terminate();
        grace.start(graceMs);
    });
    QObject::connect(&grace, &QTimer::timeout, &process, [&] { process.kill(); });
    double late = -1;
    QObject::connect(&process, &QProcess::finished, &loop, [&] {
        late = clock.nsecsElapsed() / 1e6 - timeoutMs;
        grace.stop();
        loop.quit();
    });
    clock.start();
    process.start(helper, { mode }, QIODevice::ReadOnly);
    deadline.start(timeoutMs);
    loop.exec();
    return late;
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    if (argc < 2) {
        std::fprintf(stderr, "usage: bench_latency HELPER [ROUNDS]\n");
        return 2;
    }
    const QString helper = QString::fromLocal8Bit(argv[1]);
    const int rounds = argc > 2 ? std::max(1, std::atoi(argv[2])) : 7;
    struct Row
    {
        const char *name;
        double (*measure)(const QString &, const QString &);
        const char *mode;
    };
    const Row rows[] = {
        { "broker-timeout-obeys-term", brokerTimeout, "hang" },
        { "bare-qprocess-timeout-obeys-term", bareTimeout, "hang" },
        { "broker-timeout-ignores-term", brokerTimeout, "ignore-term" },
        { "bare-qprocess-timeout-ignores-term", bareTimeout, "ignore-term" },
        { "broker-cancel-obeys-term", brokerCancel, "hang" },
        { "broker-cancel-ignores-term", brokerCancel, "ignore-term" },
    };
    for (const Row &row : rows) {
        std::vector<double> samples;
        for (int i = 0; i < rounds; ++i)
            samples.push_back(row.measure(helper, QString::fromLatin1(row.mode)));
        std::printf("latency what=%s median_ms=%.2f max_ms=%.2f grace_ms=%d\n", row.name,
                    median(samples), *std::max_element(samples.begin(), samples.end()), graceMs);
    }
    return 0;
}
