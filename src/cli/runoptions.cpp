// SPDX-License-Identifier: MIT
#include "runoptions.h"
#include "runoptionvalues_p.h"

#include "taskfileparser.h"

#include <taskconductor/eventtext.h>
#include <taskconductor/slurmexecutor.h>

#include <QtCore/qcommandlineparser.h>
#include <QtCore/qcoreapplication.h>
#include <QtCore/qthread.h>

#include <cstdio>
#include <limits>
#include <optional>

namespace TaskConductor {

namespace {

const char *const Description =
        R"(Runs a list of commands, at most --jobs at once, and reports each one's output and end.

  taskconductor run [OPTIONS] [TASKFILE]      tasks from a JSON Lines file ("-" or none: stdin)
  taskconductor run [OPTIONS] -- CMD [ARGS]   one task
  taskconductor run [OPTIONS] -- CMD [ARGS] ::: A B [::: C D] [:::: FILE]
                       CMD once per argument (every combination of the groups; a FILE gives
                       one argument per line, "-" is stdin); in CMD, {} is the argument, {.}
                       without extension, {/} basename, {//} directory, {/.} basename without
                       extension, {#} the task's number, {1} {2} the argument of a group; with
                       none of these the arguments are appended
  taskconductor status --store FILE [--json]  the tasks of a store, while a run writes it

Each line of TASKFILE is one JSON object:
  {"command": ["gzip", "-k", "a.log"], "name": "a", "env": {"LC_ALL": "C"}, "cwd": "logs",
   "timeout": 60, "retries": 2, "log": "a.task.log"}
"command" (array of strings) is required; blank lines and lines starting with '#' are skipped.
More fields: "idleTimeout" (seconds without output), "successExitCodes" and "retryExitCodes"
(arrays of exit codes), "stopSignal" ("TERM", "INT", "HUP", "QUIT", "USR1", "USR2", "KILL"),
"mergeOutput" (true: stderr into stdout), "stdin" (text) or "stdinFile" (a file to read).
A task's own timeout, idle timeout, stop signal, retries and cwd win over the options.

Scheduling fields: "priority" (integer, default 0; higher starts first), "lane" (a name whose
cap --lane sets), "after" (names of tasks on earlier lines: the task runs once they all
finished; if one did not, it ends canceled and counts as failed). Priorities order only the
tasks read ahead (--queue-depth), not the whole file. SIGUSR1 pauses starting new tasks,
SIGUSR2 resumes (running tasks go on).

A file is validated completely before anything runs (errors name the line, counted from 1),
then read again lazily, as slots free up. Standard input cannot be read twice: it is
validated as it is read, so tasks before an invalid line may already have run.

Exit status: 0 every task finished with exit 0; 1 a task failed, timed out or was canceled;
2 usage error or invalid task file; 130 stopped by SIGINT or SIGTERM (129 SIGHUP, 131 SIGQUIT;
a second signal kills every task at once); 141 stdout or stderr was closed.
With --halt: 1 after a fail=N halt, 0 after a success=N halt.)";

} // namespace

CommandLineResult parseRunOptions(const QStringList &arguments, RunOptions &options,
                                  QString &message)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QString::fromUtf8(Description));
    parser.setOptionsAfterPositionalArgumentsMode(QCommandLineParser::ParseAsOptions);
    const QCommandLineOption help({ QStringLiteral("h"), QStringLiteral("help") },
                                  QStringLiteral("Show this help."));
    const QCommandLineOption version(QStringLiteral("version"),
                                     QStringLiteral("Show the version."));
    QCommandLineOption jobs({ QStringLiteral("j"), QStringLiteral("jobs") },
                            QStringLiteral("Run at most N tasks at once (default: CPUs, %1).")
                                    .arg(QThread::idealThreadCount()),
                            QStringLiteral("N"));
    QCommandLineOption queueDepth(
            QStringLiteral("queue-depth"),
            QStringLiteral("Read at most N tasks ahead of the running ones (default: 4 x jobs, "
                           "at least 64)."),
            QStringLiteral("N"));
    QCommandLineOption timeout(QStringLiteral("timeout"),
                               QStringLiteral("Stop a task after SEC seconds (default: never)."),
                               QStringLiteral("SEC"));
    QCommandLineOption idleTimeout(
            QStringLiteral("idle-timeout"),
            QStringLiteral("Stop a task that wrote nothing for SEC seconds (default: never)."),
            QStringLiteral("SEC"));
    const QCommandLineOption stopSignal(
            QStringLiteral("stop-signal"),
            QStringLiteral("The signal that stops a task before SIGKILL: TERM (default), INT, "
                           "HUP, QUIT, USR1, USR2 or KILL."),
            QStringLiteral("NAME"));
    QCommandLineOption retries(QStringLiteral("retries"),
                               QStringLiteral("Run a failed task up to N more times (default 0)."),
                               QStringLiteral("N"));
    QCommandLineOption retryDelay(QStringLiteral("retry-delay"),
                                  QStringLiteral("Wait SEC seconds before a retry (default 1)."),
                                  QStringLiteral("SEC"));
    QCommandLineOption retryBackoff(
            QStringLiteral("retry-backoff"),
            QStringLiteral("Multiply the delay by X after each retry (default 1)."),
            QStringLiteral("X"));
    QCommandLineOption retryMaxDelay(
            QStringLiteral("retry-max-delay"),
            QStringLiteral("Never wait more than SEC seconds, before jitter (default 300)."),
            QStringLiteral("SEC"));
    QCommandLineOption retryJitter(
            QStringLiteral("retry-jitter"),
            QStringLiteral("Move each delay by a random amount up to +/-SEC (default 0)."),
            QStringLiteral("SEC"));
    QCommandLineOption killGrace(
            QStringLiteral("kill-grace"),
            QStringLiteral("After SIGTERM to a task, SIGKILL it SEC seconds later (default 5)."),
            QStringLiteral("SEC"));
    const QCommandLineOption log(QStringLiteral("log"),
                                 QStringLiteral("Write one line per event of every task to FILE."),
                                 QStringLiteral("FILE"));
    QCommandLineOption logRotateBytes(
            QStringLiteral("log-rotate-bytes"),
            QStringLiteral("Rotate the log to FILE.1 before it grows past N bytes (default: "
                           "never)."),
            QStringLiteral("N"));
    const QCommandLineOption logFormat(QStringLiteral("log-format"),
                                       QStringLiteral("The log's format: text or json (default "
                                                      "text)."),
                                       QStringLiteral("text|json"), QStringLiteral("text"));
    const QCommandLineOption events(
            QStringLiteral("events"),
            QStringLiteral("Events on stdout: text (readable, output tagged with the task's name "
                           "or id), json (one object per line, nothing else) or none (default "
                           "text)."),
            QStringLiteral("text|json|none"), QStringLiteral("text"));
    const QCommandLineOption progress(
            QStringLiteral("progress"),
            QStringLiteral("A progress line on stderr: auto (when stderr is a terminal), always "
                           "or never (default auto)."),
            QStringLiteral("auto|always|never"), QStringLiteral("auto"));
    const QCommandLineOption store(
            QStringLiteral("store"),
            QStringLiteral("Record tasks in the SQLite database FILE; running the same command "
                           "again resumes what did not finish."),
            QStringLiteral("FILE"));
    QCommandLineOption maxLineBytes(
            QStringLiteral("max-line-bytes"),
            QStringLiteral("Longest task-file line accepted, and longest output line delivered "
                           "whole; longer output comes in pieces (default 1048576)."),
            QStringLiteral("N"));
    parser.addOptions({ help,          version,     jobs,      queueDepth, timeout,
                        idleTimeout,   stopSignal,  retries,   retryDelay, retryBackoff,
                        retryMaxDelay, retryJitter, killGrace, log,        logRotateBytes,
                        logFormat,     events,      progress,  store,      maxLineBytes });
    // Where tasks run (issue 8): this machine, or job steps in one Slurm allocation.
    const QCommandLineOption executor(
            QStringLiteral("executor"),
            QStringLiteral("Where tasks run: local (default) or slurm (job steps in one "
                           "allocation of --jobs tasks)."),
            QStringLiteral("local|slurm"), QStringLiteral("local"));
    const QCommandLineOption slurmPartition(QStringLiteral("slurm-partition"),
                                            QStringLiteral("Slurm partition of the allocation."),
                                            QStringLiteral("NAME"));
    const QCommandLineOption slurmAccount(QStringLiteral("slurm-account"),
                                          QStringLiteral("Slurm account of the allocation."),
                                          QStringLiteral("NAME"));
    const QCommandLineOption slurmSrunArg(
            QStringLiteral("slurm-srun-arg"),
            QStringLiteral("An extra argument for every srun (repeatable), e.g. --mem=1G."),
            QStringLiteral("ARG"));
    const QCommandLineOption slurmSallocArg(
            QStringLiteral("slurm-salloc-arg"),
            QStringLiteral("An extra argument for salloc (repeatable), e.g. --time=60."),
            QStringLiteral("ARG"));
    const QCommandLineOption slurmExact(
            QStringLiteral("slurm-exact"),
            QStringLiteral("One CPU per task (srun --exact): at most as many tasks at once as "
                           "CPUs allocated. Default: the --jobs tasks share them (--overlap)."));
    const QCommandLineOption slurmTime(
            QStringLiteral("slurm-time"),
            QStringLiteral("Time limit of the allocation in minutes (default 1440; 0: the "
                           "partition's)."),
            QStringLiteral("MIN"));
    // Sharing the CPUs is the default now; the option stays for scripts that pass it.
    QCommandLineOption slurmOvercommit(QStringLiteral("slurm-overcommit"),
                                       QStringLiteral("The default: tasks share the CPUs."));
    slurmOvercommit.setFlags(QCommandLineOption::HiddenFromHelp);
    parser.addOptions({ executor, slurmPartition, slurmAccount, slurmSrunArg, slurmSallocArg,
                        slurmExact, slurmTime, slurmOvercommit });
    // Logs and stores (issue 13).
    QCommandLineOption logBackups(
            QStringLiteral("log-backups"),
            QStringLiteral("With --log-rotate-bytes, keep N rotated logs, FILE.1 (newest) to "
                           "FILE.N (default 1)."),
            QStringLiteral("N"));
    const QCommandLineOption fresh(
            QStringLiteral("fresh"),
            QStringLiteral("With --store, discard what the store recorded and run the whole "
                           "list afresh."));
    parser.addOptions({ logBackups, fresh });
    // What GNU parallel users expect (issue 16).
    const QCommandLineOption halt(
            QStringLiteral("halt"),
            QStringLiteral("Stop early: never (default), soon,fail=N (start nothing new after N "
                           "failures), now,fail=N (cancel the running tasks too), "
                           "soon,success=N, now,success=N; N a count or a percentage (10%)."),
            QStringLiteral("WHEN,fail|success=N"), QStringLiteral("never"));
    const QCommandLineOption group(
            QStringLiteral("group"),
            QStringLiteral("Print a task's output and events together when it ends, never "
                           "interleaved with another task's."));
    const QCommandLineOption keepOrder(
            { QStringLiteral("k"), QStringLiteral("keep-order") },
            QStringLiteral("As --group, and print the tasks in input order."));
    const QCommandLineOption results(
            QStringLiteral("results"),
            QStringLiteral("Write each task's exact output to DIR/<id>/stdout and "
                           "DIR/<id>/stderr, and its descriptor and end to DIR/<id>/task.json."),
            QStringLiteral("DIR"));
    const QCommandLineOption dryRun(
            QStringLiteral("dry-run"),
            QStringLiteral("Print each task's command (a JSON object with --events json) and "
                           "run nothing; the input is still checked."));
    QCommandLineOption maxTaskLineBytes(
            QStringLiteral("max-task-line-bytes"),
            QStringLiteral("Longest task-file or argument-file line accepted (default "
                           "16777216)."),
            QStringLiteral("N"));
    parser.addOptions({ halt, group, keepOrder, results, dryRun, maxTaskLineBytes });
    // Scheduling (issue 14).
    const QCommandLineOption lane(
            QStringLiteral("lane"),
            QStringLiteral("Run at most N tasks of lane NAME at once, within --jobs "
                           "(repeatable)."),
            QStringLiteral("NAME=N"));
    parser.addOption(lane);
    parser.addPositionalArgument(QStringLiteral("run"), QStringLiteral("The command: run."));
    parser.addPositionalArgument(QStringLiteral("TASKFILE"),
                                 QStringLiteral("JSON Lines task file (\"-\" or none: stdin)."),
                                 QStringLiteral("[TASKFILE | -- CMD [ARGS...]]"));

    const QString hint = QStringLiteral("\nTry 'taskconductor --help'.");
    if (!parser.parse(arguments)) {
        message = parser.errorText() + hint;
        return CommandLineResult::UsageError;
    }
    if (parser.isSet(help)) {
        std::fputs(qPrintable(parser.helpText()), stdout);
        return CommandLineResult::Exit;
    }
    if (parser.isSet(version)) {
        std::printf("%s %s\n", qPrintable(QCoreApplication::applicationName()),
                    qPrintable(QCoreApplication::applicationVersion()));
        return CommandLineResult::Exit;
    }

    // Everything after "--" is the one task's argv, even words that look like options.
    const QStringList positional = parser.positionalArguments();
    const qsizetype dashDash = arguments.indexOf(QStringLiteral("--"), 1);
    const qsizetype afterDashDash = dashDash < 0 ? 0 : arguments.size() - dashDash - 1;
    const QStringList beforeDashDash = positional.mid(0, positional.size() - afterDashDash);
    if (beforeDashDash.isEmpty() || beforeDashDash.first() != QLatin1String("run")) {
        message = (beforeDashDash.isEmpty()
                           ? QStringLiteral("missing command: run")
                           : QStringLiteral("unknown command \"%1\"").arg(beforeDashDash.first()))
                + hint;
        return CommandLineResult::UsageError;
    }
    if (dashDash >= 0) {
        options.command = positional.mid(positional.size() - afterDashDash);
        if (!splitArgumentSources(options, message)) {
            message += hint;
            return CommandLineResult::UsageError;
        }
        if (options.command.isEmpty() || options.command.first().isEmpty()) {
            message = QStringLiteral("nothing to run after \"--\"") + hint;
            return CommandLineResult::UsageError;
        }
        if (beforeDashDash.size() > 1) {
            message = QStringLiteral("give a task file or \"-- CMD\", not both") + hint;
            return CommandLineResult::UsageError;
        }
    } else {
        if (beforeDashDash.size() > 2) {
            message = QStringLiteral("more than one task file") + hint;
            return CommandLineResult::UsageError;
        }
        options.taskFile = beforeDashDash.value(1, QStringLiteral("-"));
    }

    const double intMax = std::numeric_limits<int>::max();
    const double huge = TaskFileParser::MaxSeconds; // 31.7 years: what Broker timers honour
    BrokerConfig &config = options.broker;
    config.maxConcurrentTasks = qMax(1, QThread::idealThreadCount());
    const auto jobsValue = readNumber(parser, { &jobs, 1, 100000, true }, message);
    const auto depthValue = readNumber(parser, { &queueDepth, 1, 1000000, true }, message);
    const auto timeoutValue = readNumber(parser, { &timeout, 0, huge, false }, message);
    const auto idleValue = readNumber(parser, { &idleTimeout, 0, huge, false }, message);
    const auto retriesValue =
            readNumber(parser, { &retries, 0, TaskFileParser::MaxRetries, true }, message);
    const auto delayValue = readNumber(parser, { &retryDelay, 0, huge, false }, message);
    const auto backoffValue = readNumber(parser, { &retryBackoff, 1, 1000, false }, message);
    const auto maxDelayValue = readNumber(parser, { &retryMaxDelay, 0, huge, false }, message);
    const auto jitterValue = readNumber(parser, { &retryJitter, 0, huge, false }, message);
    const auto graceValue = readNumber(parser, { &killGrace, 0, 86400, false }, message);
    const auto rotateValue = readNumber(parser, { &logRotateBytes, 0, 1e15, true }, message);
    const auto lineValue = readNumber(parser, { &maxLineBytes, 1, intMax, true }, message);
    const auto backupsValue = readNumber(parser, { &logBackups, 1, 1000, true }, message);
    const auto taskLineValue =
            readNumber(parser, { &maxTaskLineBytes, 1, 1024.0 * 1024 * 1024, true }, message);
    if (!message.isEmpty()) {
        message += hint;
        return CommandLineResult::UsageError;
    }
    if (jobsValue)
        config.maxConcurrentTasks = int(*jobsValue);
    config.maxQueueDepth = depthValue ? int(*depthValue) : qMax(64, 4 * config.maxConcurrentTasks);
    if (timeoutValue)
        config.defaultTimeoutSeconds = *timeoutValue;
    if (idleValue)
        config.defaultIdleTimeoutSeconds = *idleValue;
    if (parser.isSet(stopSignal)) {
        config.defaultStopSignal = TaskDescriptor::stopSignalFromName(parser.value(stopSignal));
        if (config.defaultStopSignal == 0) {
            message = QStringLiteral("--stop-signal: \"%1\" is not one of TERM, INT, HUP, QUIT, "
                                     "USR1, USR2, KILL")
                              .arg(escapeControlCharacters(parser.value(stopSignal)))
                    + hint;
            return CommandLineResult::UsageError;
        }
    }
    if (retriesValue)
        config.retry.count = int(*retriesValue);
    if (delayValue)
        config.retry.delaySeconds = *delayValue;
    if (backoffValue)
        config.retry.backoffMultiplier = *backoffValue;
    if (maxDelayValue)
        config.retry.maxDelaySeconds = *maxDelayValue;
    if (jitterValue)
        config.retry.jitterSeconds = *jitterValue;
    if (graceValue)
        config.killGraceSeconds = *graceValue;
    config.globalLogPath = parser.value(log);
    if (rotateValue)
        config.logRotationBytes = qint64(*rotateValue);
    if (lineValue)
        config.maxLineBytes = int(*lineValue);
    if (backupsValue)
        config.logRotationBackups = int(*backupsValue);
    if (taskLineValue)
        options.maxTaskLineBytes = qint64(*taskLineValue);

    for (const QString &value : parser.values(lane)) {
        const qsizetype eq = value.lastIndexOf(QLatin1Char('='));
        bool ok = false;
        const int cap = eq > 0 ? value.mid(eq + 1).toInt(&ok) : 0;
        if (!ok || cap < 1) {
            message = QStringLiteral("--lane: \"%1\" is not NAME=N with N a whole number >= 1")
                              .arg(value)
                    + hint;
            return CommandLineResult::UsageError;
        }
        config.laneLimits.insert(value.left(eq), cap);
    }

    auto choice = [&](const QCommandLineOption &option, const QStringList &allowed) {
        const QString value = parser.value(option);
        if (!allowed.contains(value) && message.isEmpty())
            message =
                    QStringLiteral("--%1: \"%2\" is not one of %3")
                            .arg(option.names().constLast(), value, allowed.join(QLatin1Char('|')));
        return allowed.indexOf(value);
    };
    const qsizetype eventsIndex = choice(
            events, { QStringLiteral("text"), QStringLiteral("json"), QStringLiteral("none") });
    const qsizetype progressIndex =
            choice(progress,
                   { QStringLiteral("auto"), QStringLiteral("always"), QStringLiteral("never") });
    const qsizetype logFormatIndex =
            choice(logFormat, { QStringLiteral("text"), QStringLiteral("json") });
    const qsizetype executorIndex =
            choice(executor, { QStringLiteral("local"), QStringLiteral("slurm") });
    if (executorIndex != 1 && message.isEmpty()) {
        for (const QCommandLineOption *slurmOnly :
             std::initializer_list<const QCommandLineOption *> {
                     &slurmPartition, &slurmAccount, &slurmSrunArg, &slurmSallocArg, &slurmExact,
                     &slurmTime, &slurmOvercommit }) {
            if (parser.isSet(*slurmOnly)) {
                message = QStringLiteral("--%1 needs --executor slurm")
                                  .arg(slurmOnly->names().constLast());
                break;
            }
        }
    }
    if (!message.isEmpty()) {
        message += hint;
        return CommandLineResult::UsageError;
    }
    if (executorIndex == 1) {
        SlurmOptions slurm;
        slurm.partition = parser.value(slurmPartition);
        slurm.account = parser.value(slurmAccount);
        slurm.allocationTasks = config.maxConcurrentTasks; // capped at the partition's CPUs
        slurm.oneCpuPerStep = parser.isSet(slurmExact);
        if (parser.isSet(slurmTime)) {
            bool ok = false;
            slurm.timeLimitMinutes = parser.value(slurmTime).toInt(&ok);
            if (!ok || slurm.timeLimitMinutes < 0) {
                message = QStringLiteral("--slurm-time: '%1' is not a number of minutes")
                                  .arg(parser.value(slurmTime))
                        + hint;
                return CommandLineResult::UsageError;
            }
        }
        slurm.extraSrunArguments = parser.values(slurmSrunArg);
        slurm.extraSallocArguments = parser.values(slurmSallocArg);
        config.executor = std::make_shared<SlurmExecutor>(slurm);
    }
    options.events = EventFormat(eventsIndex);
    options.progress = ProgressMode(progressIndex);
    config.logFormat = logFormatIndex == 1 ? LogFormat::JsonLines : LogFormat::Text;
    if (parser.isSet(store)) {
        options.storePath = parser.value(store);
        if (options.storePath.isEmpty()) {
            message = QStringLiteral("--store: the file name is empty") + hint;
            return CommandLineResult::UsageError;
        }
    }
    if (std::optional<HaltPolicy> policy = HaltPolicy::parse(parser.value(halt), message))
        options.halt = *policy;
    options.keepOrder = parser.isSet(keepOrder);
    options.group = parser.isSet(group) || options.keepOrder;
    options.dryRun = parser.isSet(dryRun);
    if (parser.isSet(results)) {
        options.resultsDirectory = parser.value(results);
        if (options.resultsDirectory.isEmpty())
            message = QStringLiteral("--results: the directory name is empty");
    }
    if (!message.isEmpty()) {
        message += hint;
        return CommandLineResult::UsageError;
    }
    options.fresh = parser.isSet(fresh);
    if (options.fresh && options.storePath.isEmpty()) {
        message = QStringLiteral("--fresh needs --store") + hint;
        return CommandLineResult::UsageError;
    }
    return CommandLineResult::Run;
}

} // namespace TaskConductor
