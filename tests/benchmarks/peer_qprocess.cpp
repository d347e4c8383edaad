// SPDX-License-Identifier: MIT
// The floor for anything built on QProcess: a bare loop that starts N processes, P at once,
// reads what they write and waits for them to finish. No process groups, no events.
//   peer_qprocess [--tasks N] [--concurrency P] [--split] [--group] [--environment] -- COMMAND...
// --split counts lines with memchr over what readAll() returned (no line objects).
// --group and --environment add what the library does per process, one at a time.
// Prints one line: "tasks=N seconds=S tasks_per_s=R lines=L bytes=B failures=F run_seconds=T
// run_lines_per_s=Q"; run_seconds counts from the first process's started() to the last
// finished(), as bench_host's does from the first started event to the last terminal one.
#include <QtCore/qcommandlineparser.h>
#include <QtCore/qcoreapplication.h>
#include <QtCore/qelapsedtimer.h>
#include <QtCore/qprocess.h>

#include <cstdio>
#include <cstring>
#include <unistd.h>

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QCommandLineParser parser;
    parser.addOptions({
            { QStringLiteral("tasks"), QStringLiteral("How many processes."), QStringLiteral("N"),
              QStringLiteral("1") },
            { QStringLiteral("concurrency"), QStringLiteral("Processes at once."),
              QStringLiteral("P"), QStringLiteral("1") },
            { QStringLiteral("split"), QStringLiteral("Count lines in what is read.") },
            // What the library adds per process, to tell which part costs what.
            { QStringLiteral("group"), QStringLiteral("setpgid in a child process modifier.") },
            { QStringLiteral("environment"), QStringLiteral("Set the full environment.") },
    });
    parser.addPositionalArgument(QStringLiteral("command"), QStringLiteral("What to run."));
    parser.process(app);
    const QStringList command = parser.positionalArguments();
    const int tasks = parser.value(QStringLiteral("tasks")).toInt();
    const int concurrency = std::max(1, parser.value(QStringLiteral("concurrency")).toInt());
    const bool split = parser.isSet(QStringLiteral("split"));
    const bool group = parser.isSet(QStringLiteral("group"));
    const QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    const bool setEnvironment = parser.isSet(QStringLiteral("environment"));
    if (command.isEmpty() || tasks < 1) {
        std::fprintf(stderr, "peer_qprocess: need --tasks >= 1 and a command\n");
        return 2;
    }

    int launched = 0;
    int ended = 0;
    int failures = 0;
    qint64 lines = 0;
    qint64 bytes = 0;
    QElapsedTimer clock;
    qint64 firstStartedNs = -1;
    qint64 lastEndedNs = -1;
    std::function<void()> launchNext = [&] {
        if (launched == tasks)
            return;
        ++launched;
        auto *process = new QProcess;
        QObject::connect(process, &QProcess::readyReadStandardOutput, process, [&, process] {
            const QByteArray chunk = process->readAllStandardOutput();
            bytes += chunk.size();
            if (split) {
                const char *p = chunk.constData();
                const char *end = p + chunk.size();
                while ((p = static_cast<const char *>(std::memchr(p, '\n', size_t(end - p))))) {
                    ++lines;
                    ++p;
                }
            }
        });
        QObject::connect(process, &QProcess::started, process, [&] {
            if (firstStartedNs < 0)
                firstStartedNs = clock.nsecsElapsed();
        });
        QObject::connect(process, &QProcess::finished, process, [&, process](int code) {
            lastEndedNs = clock.nsecsElapsed();
            failures += code != 0;
            process->deleteLater();
            if (++ended == tasks)
                QCoreApplication::quit();
            else
                launchNext();
        });
        if (group)
            process->setChildProcessModifier([] { ::setpgid(0, 0); });
        if (setEnvironment)
            process->setProcessEnvironment(environment);
        process->start(command.first(), command.mid(1), QIODevice::ReadOnly);
    };

    clock.start();
    QMetaObject::invokeMethod(
            &app,
            [&] {
                for (int i = 0; i < concurrency; ++i)
                    launchNext();
            },
            Qt::QueuedConnection);
    app.exec();
    const double seconds = clock.nsecsElapsed() / 1e9;
    const double runSeconds = firstStartedNs >= 0 ? (lastEndedNs - firstStartedNs) / 1e9 : 0;
    std::printf("tasks=%d seconds=%.4f tasks_per_s=%.1f lines=%lld bytes=%lld failures=%d "
                "run_seconds=%.4f run_lines_per_s=%.0f\n",
                tasks, seconds, tasks / seconds, lines, bytes, failures, runSeconds,
                runSeconds > 0 ? lines / runSeconds : 0.0);
    return failures == 0 ? 0 : 1;
}
