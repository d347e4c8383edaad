// SPDX-License-Identifier: MIT
// Per-task latency and throughput of one trivial task (/bin/true by default):
//   local  Broker + LocalExecutor
//   slurm  Broker + SlurmExecutor (job steps inside one allocation)
//   steps  a plain "srun --jobid=J -n1 PROGRAM" per task inside one salloc allocation, no Broker
//          (what the SlurmExecutor does, without it: its floor)
//   srun   a plain "srun -n1 PROGRAM" per task, i.e. one Slurm job each, no Broker
// Latency: one task at a time, enqueue (or srun start) to its terminal event, after one warm-up
// task (so the Slurm allocation already exists). Throughput: --tasks tasks, --concurrency at once.
#include <taskconductor/broker.h>
#include <taskconductor/slurmexecutor.h>

#include <QtCore/qcommandlineparser.h>
#include <QtCore/qcoreapplication.h>
#include <QtCore/qelapsedtimer.h>
#include <QtCore/qeventloop.h>
#include <QtCore/qprocess.h>
#include <QtCore/qregularexpression.h>
#include <QtCore/qtextstream.h>

#include <algorithm>
#include <memory>

using namespace TaskConductor;

namespace {

struct Figures
{
    double medianMs = 0;
    double p90Ms = 0;
    double tasksPerSecond = 0;
    int failures = 0;
};

double percentile(QList<double> values, double p)
{
    if (values.isEmpty())
        return 0;
    std::sort(values.begin(), values.end());
    return values.at(std::min<qsizetype>(values.size() - 1, qsizetype(p * values.size())));
}

// Runs \a count tasks through a Broker, \a concurrency at once; returns each task's latency.
QList<double> runBroker(const BrokerConfig &config, const QStringList &command, int count,
                        double *wallMs, int *failures)
{
    Broker broker(config);
    QEventLoop loop;
    QList<double> latencies;
    QElapsedTimer wall;
    wall.start();
    int left = count;
    for (int i = 0; i < count; ++i) {
        auto clock = std::make_shared<QElapsedTimer>();
        clock->start();
        broker.enqueue(TaskDescriptor(command), [&, clock](const TaskEvent &e) {
            if (!e.isTerminal())
                return;
            latencies.append(clock->nsecsElapsed() / 1e6);
            if (e.kind() != EventKind::Finished)
                ++*failures;
            if (--left == 0)
                loop.quit();
        });
    }
    if (left > 0)
        loop.exec();
    *wallMs = wall.nsecsElapsed() / 1e6;
    return latencies;
}

Figures measureBroker(const std::function<std::shared_ptr<Executor>(int)> &makeExecutor,
                      const QStringList &command, int samples, int tasks, int concurrency)
{
    Figures f;
    double wallMs = 0;
    QList<double> latencies;
    {
        BrokerConfig c;
        c.maxConcurrentTasks = 1;
        c.executor = makeExecutor(1);
        runBroker(c, command, 1, &wallMs, &f.failures); // warm-up (allocation, caches)
        for (int i = 0; i < samples; ++i)
            latencies += runBroker(c, command, 1, &wallMs, &f.failures);
    }
    f.medianMs = percentile(latencies, 0.5);
    f.p90Ms = percentile(latencies, 0.9);
    BrokerConfig c;
    c.maxConcurrentTasks = concurrency;
    c.executor = makeExecutor(concurrency);
    runBroker(c, command, 1, &wallMs, &f.failures); // warm-up
    runBroker(c, command, tasks, &wallMs, &f.failures);
    f.tasksPerSecond = tasks / (wallMs / 1000);
    return f;
}

// A bare srun loop: \a srunArgs before the command, one srun per task.
Figures measureSrunLoop(const QStringList &srunArgs, int samples, int tasks, int concurrency);

// Plain srun per task: each one is a job of its own.
Figures measureSrun(const QStringList &command, int samples, int tasks, int concurrency)
{
    return measureSrunLoop(QStringList { QStringLiteral("-Q"), QStringLiteral("-n1"),
                                         QStringLiteral("--input=none"), QStringLiteral("--") }
                                   + command,
                           samples, tasks, concurrency);
}

// Plain srun per task as a step of one allocation of \a concurrency CPUs (salloc --no-shell),
// as the SlurmExecutor runs them but without a Broker: the floor for the executor.
Figures measureSteps(const QStringList &command, int samples, int tasks, int concurrency,
                     bool exact)
{
    // No more CPUs than a node has (more would wait forever); --overlap runs more steps.
    QProcess sinfo;
    sinfo.start(QStringLiteral("sinfo"),
                { QStringLiteral("-h"), QStringLiteral("-o"), QStringLiteral("%c") });
    sinfo.waitForFinished(30000);
    const int cpus = QString::fromLocal8Bit(sinfo.readAllStandardOutput())
                             .section(QLatin1Char('\n'), 0, 0)
                             .toInt();
    const int allocationCpus = cpus > 0 ? std::min(cpus, concurrency) : concurrency;
    QProcess salloc;
    salloc.setProcessChannelMode(QProcess::MergedChannels);
    salloc.start(QStringLiteral("salloc"),
                 { QStringLiteral("--no-shell"), QStringLiteral("--ntasks=%1").arg(allocationCpus),
                   QStringLiteral("--time=30"), QStringLiteral("--job-name=tc-benchmark-steps") });
    salloc.waitForFinished(120000);
    const QString said = QString::fromLocal8Bit(salloc.readAll());
    const QRegularExpressionMatch granted =
            QRegularExpression(QStringLiteral("job allocation (\\d+)")).match(said);
    if (!granted.hasMatch()) {
        QTextStream(stderr) << "salloc failed: " << said << "\n";
        Figures f;
        f.failures = tasks;
        return f;
    }
    const QString job = granted.captured(1);
    const Figures f = measureSrunLoop(
            QStringList { QStringLiteral("--jobid=") + job, QStringLiteral("-Q"),
                          QStringLiteral("-n1"), QStringLiteral("--input=none"),
                          exact ? QStringLiteral("--exact") : QStringLiteral("--overlap"),
                          QStringLiteral("--") }
                    + command,
            samples, tasks, concurrency);
    QProcess::execute(QStringLiteral("scancel"), { job });
    return f;
}

Figures measureSrunLoop(const QStringList &srunArgs, int samples, int tasks, int concurrency)
{
    Figures f;
    QList<double> latencies;
    for (int i = 0; i < samples; ++i) {
        QElapsedTimer clock;
        clock.start();
        QProcess p;
        p.start(QStringLiteral("srun"), srunArgs);
        if (!p.waitForFinished(120000) || p.exitCode() != 0)
            ++f.failures;
        latencies.append(clock.nsecsElapsed() / 1e6);
    }
    f.medianMs = percentile(latencies, 0.5);
    f.p90Ms = percentile(latencies, 0.9);

    QEventLoop loop;
    QElapsedTimer wall;
    wall.start();
    int started = 0, finished = 0;
    std::function<void()> startOne = [&] {
        auto *p = new QProcess(&loop);
        ++started;
        QObject::connect(p, &QProcess::finished, &loop, [&, p](int code) {
            if (code != 0)
                ++f.failures;
            p->deleteLater();
            if (++finished == tasks)
                loop.quit();
            else if (started < tasks)
                startOne();
        });
        p->start(QStringLiteral("srun"), srunArgs);
    };
    for (int i = 0; i < std::min(concurrency, tasks); ++i)
        startOne();
    loop.exec();
    f.tasksPerSecond = tasks / (wall.nsecsElapsed() / 1e9);
    return f;
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QCommandLineParser parser;
    parser.setApplicationDescription(
            QStringLiteral("Latency and throughput: LocalExecutor, SlurmExecutor, plain srun."));
    parser.addHelpOption();
    const QCommandLineOption tasksOption(QStringLiteral("tasks"),
                                         QStringLiteral("Tasks in the throughput run."),
                                         QStringLiteral("n"), QStringLiteral("100"));
    const QCommandLineOption srunTasksOption(
            QStringLiteral("srun-tasks"),
            QStringLiteral("Tasks in the plain srun throughput run (jobs queue in waves)."),
            QStringLiteral("n"), QStringLiteral("20"));
    const QCommandLineOption concurrencyOption(QStringLiteral("concurrency"),
                                               QStringLiteral("Tasks at once."),
                                               QStringLiteral("n"), QStringLiteral("4"));
    const QCommandLineOption samplesOption(QStringLiteral("samples"),
                                           QStringLiteral("Latency samples per mode."),
                                           QStringLiteral("n"), QStringLiteral("20"));
    const QCommandLineOption modesOption(
            QStringLiteral("modes"), QStringLiteral("Comma-separated: local,slurm,steps,srun."),
            QStringLiteral("list"), QStringLiteral("local,slurm,steps,srun"));
    const QCommandLineOption exactOption(
            QStringLiteral("exact"),
            QStringLiteral("One CPU per step (srun --exact); default: steps share the CPUs."));
    parser.addOptions({ tasksOption, srunTasksOption, concurrencyOption, samplesOption, modesOption,
                        exactOption });
    parser.addPositionalArgument(QStringLiteral("command"),
                                 QStringLiteral("The task (default: /bin/true)."));
    parser.process(app);

    QStringList command = parser.positionalArguments();
    if (command.isEmpty())
        command = QStringList { QStringLiteral("/bin/true") };
    const int tasks = std::max(1, parser.value(tasksOption).toInt());
    const int srunTasks = std::max(1, parser.value(srunTasksOption).toInt());
    const int concurrency = std::max(1, parser.value(concurrencyOption).toInt());
    const int samples = std::max(1, parser.value(samplesOption).toInt());
    const QStringList modes = parser.value(modesOption).split(QLatin1Char(','));
    const bool exact = parser.isSet(exactOption);

    QTextStream out(stdout);
    out << "command: " << command.join(QLatin1Char(' ')) << "; concurrency " << concurrency
        << "; latency samples " << samples << "\n";
    out << QStringLiteral("%1 %2 %3 %4 %5\n")
                    .arg(QStringLiteral("mode"), -7)
                    .arg(QStringLiteral("median ms"), 10)
                    .arg(QStringLiteral("p90 ms"), 8)
                    .arg(QStringLiteral("tasks/s"), 9)
                    .arg(QStringLiteral("failures (throughput tasks)"));
    const auto print = [&out](const QString &mode, const Figures &f, int n) {
        out << QStringLiteral("%1 %2 %3 %4 %5 (%6)\n")
                        .arg(mode, -7)
                        .arg(f.medianMs, 10, 'f', 1)
                        .arg(f.p90Ms, 8, 'f', 1)
                        .arg(f.tasksPerSecond, 9, 'f', 1)
                        .arg(f.failures)
                        .arg(n);
        out.flush();
    };
    if (modes.contains(QLatin1String("local")))
        print(QStringLiteral("local"),
              measureBroker([](int) { return std::make_shared<LocalExecutor>(); }, command, samples,
                            tasks, concurrency),
              tasks);
    if (modes.contains(QLatin1String("slurm")))
        print(QStringLiteral("slurm"),
              measureBroker(
                      [exact](int size) {
                          SlurmOptions options;
                          options.allocationTasks = size;
                          options.oneCpuPerStep = exact;
                          options.jobNamePrefix = QStringLiteral("tc-benchmark");
                          return std::make_shared<SlurmExecutor>(options);
                      },
                      command, samples, tasks, concurrency),
              tasks);
    if (modes.contains(QLatin1String("steps")))
        print(QStringLiteral("steps"), measureSteps(command, samples, tasks, concurrency, exact),
              tasks);
    if (modes.contains(QLatin1String("srun")))
        print(QStringLiteral("srun"), measureSrun(command, samples, srunTasks, concurrency),
              srunTasks);
    return 0;
}
