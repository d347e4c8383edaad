// SPDX-License-Identifier: MIT
// The taskconductor tool as a user runs it: spawned as a process, its stdout, stderr and exit
// status checked. Every child is the tc_helper program.
#include "testsupport.h"

#include <taskconductor/sqlitetaskstore.h>

#include <QtCore/qelapsedtimer.h>
#include <QtCore/qjsonarray.h>
#include <QtCore/qjsondocument.h>
#include <QtCore/qjsonobject.h>
#include <QtCore/qprocess.h>
#include <QtCore/qregularexpression.h>
#include <QtCore/qtemporarydir.h>
#include <QtTest/qtest.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace TaskConductor;
using namespace TestSupport;

namespace {

constexpr int Wait = 30000; // generous upper bound; QTRY returns as soon as the condition holds

QString cli()
{
    return QStringLiteral(TC_CLI_PATH);
}

// One task line running the helper with \a args, plus extra JSON fields.
QByteArray taskLine(const QStringList &args, const QJsonObject &extra = {})
{
    QJsonObject o = extra;
    o.insert("command", QJsonArray::fromStringList(QStringList { helper() } + args));
    return QJsonDocument(o).toJson(QJsonDocument::Compact);
}

struct Run
{
    int exitCode = -1;
    QProcess::ExitStatus exitStatus = QProcess::CrashExit;
    QByteArray out;
    QByteArray err;

    QList<QJsonObject> events() const
    {
        QList<QJsonObject> list;
        for (const QByteArray &line : out.split('\n')) {
            if (line.isEmpty())
                continue;
            QJsonParseError error;
            const QJsonDocument doc = QJsonDocument::fromJson(line, &error);
            if (!doc.isObject())
                qFatal("stdout line is not a JSON object: %s", line.constData());
            list.append(doc.object());
        }
        return list;
    }
    QList<QJsonObject> eventsOf(const QString &kind) const
    {
        QList<QJsonObject> list;
        for (const QJsonObject &e : events())
            if (e.value("event").toString() == kind)
                list.append(e);
        return list;
    }
    // Output lines of every task, in order.
    QStringList lines(const QString &kind = QStringLiteral("stdout")) const
    {
        QStringList list;
        for (const QJsonObject &e : eventsOf(kind))
            list.append(e.value("line").toString());
        return list;
    }
};

// Stops the tool gracefully when a test fails half-way, so that its tasks are not orphaned.
struct StopOnExit
{
    QProcess &process;
    ~StopOnExit()
    {
        if (process.state() == QProcess::NotRunning)
            return;
        ::kill(pid_t(process.processId()), SIGTERM);
        process.waitForFinished(Wait);
    }
};

} // namespace

class tst_Cli : public QObject
{
    Q_OBJECT

private:
    QByteArray m_marker;
    QTemporaryDir m_dir;
    int m_fileCount = 0;

    QString writeFile(const QByteArray &content, const QString &name = {})
    {
        const QString path = m_dir.filePath(
                name.isEmpty() ? QStringLiteral("tasks%1.jsonl").arg(++m_fileCount) : name);
        QFile file(path);
        if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate))
            qFatal("cannot write %s", qPrintable(path));
        file.write(content);
        return path;
    }
    QString writeTasks(const QList<QByteArray> &lines)
    {
        return writeFile(lines.join('\n') + '\n');
    }

    void prepare(QProcess &process, const QString &workingDirectory = {})
    {
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        addChildMarker(env, m_marker);
        process.setProcessEnvironment(env);
        process.setWorkingDirectory(workingDirectory.isEmpty() ? m_dir.path() : workingDirectory);
        process.setProgram(cli());
    }

    Run run(const QStringList &args, const QByteArray &input = {},
            const QString &workingDirectory = {})
    {
        QProcess process;
        prepare(process, workingDirectory);
        process.setArguments(args);
        process.start();
        if (!process.waitForStarted(Wait))
            qFatal("taskconductor did not start");
        process.write(input);
        process.closeWriteChannel();
        if (!process.waitForFinished(Wait))
            qFatal("taskconductor did not finish");
        return Run { process.exitCode(), process.exitStatus(), process.readAllStandardOutput(),
                     process.readAllStandardError() };
    }

private Q_SLOTS:
    void initTestCase()
    {
        m_marker = childMarker("tst_cli");
        QVERIFY(m_dir.isValid());
        QVERIFY(QFile::exists(helper()));
        QVERIFY(QFile::exists(cli()));
    }

    // After every test: neither the tool nor anything it started is left running.
    void cleanup() { QTRY_COMPARE_WITH_TIMEOUT(processesWithMarker(m_marker), QList<int>(), Wait); }

    void helpListsEveryOption()
    {
        const Run r = run({ "--help" });
        QCOMPARE(r.exitCode, 0);
        for (const char *option : { "--jobs",
                                    "--queue-depth",
                                    "--timeout",
                                    "--retries",
                                    "--retry-delay",
                                    "--retry-backoff",
                                    "--retry-max-delay",
                                    "--retry-jitter",
                                    "--kill-grace",
                                    "--log",
                                    "--log-rotate-bytes",
                                    "--log-format",
                                    "--events",
                                    "--progress",
                                    "--store",
                                    "--max-line-bytes",
                                    "--log-backups",
                                    "--fresh",
                                    "--version",
                                    "--lane",
                                    "--halt",
                                    "--group",
                                    "--keep-order",
                                    "--results",
                                    "--dry-run",
                                    "--max-task-line-bytes",
                                    ":::",
                                    "::::",
                                    "{/.}",
                                    "status --store" })
            QVERIFY2(r.out.contains(option), option);
        for (const char *text :
             { "\"priority\"", "\"lane\"", "\"after\"", "SIGUSR1", "SIGUSR2", "read ahead" })
            QVERIFY2(r.out.contains(text), text);
        QVERIFY(r.out.contains("validated as it is read")); // what stdin cannot do
        QVERIFY(r.err.isEmpty());
    }

    void version()
    {
        const Run r = run({ "--version" });
        QCOMPARE(r.exitCode, 0);
        QVERIFY(r.out.startsWith("taskconductor "));
    }

    // --executor slurm runs the tasks as Slurm job steps (skipped without a Slurm controller).
    void slurmExecutor()
    {
        QProcess sinfo;
        sinfo.start("sinfo", { "-h" });
        if (!sinfo.waitForFinished(5000) || sinfo.exitStatus() != QProcess::NormalExit
            || sinfo.exitCode() != 0) {
            sinfo.kill();
            sinfo.waitForFinished(1000);
            if (qEnvironmentVariableIsSet("TASKCONDUCTOR_REQUIRE_SLURM"))
                QFAIL("TASKCONDUCTOR_REQUIRE_SLURM is set, but no Slurm controller answers");
            QSKIP("no Slurm controller answers (sinfo failed): start one with .ci/slurm/up.sh");
        }
        const Run r =
                run({ "run", "--executor", "slurm", "--slurm-overcommit", "-j", "2", "--events",
                      "json", "--progress", "never", "--", helper(), "env", "SLURM_STEP_ID" });
        QCOMPARE(r.exitCode, 0);
        const QStringList lines = r.lines();
        QCOMPARE(lines.size(), 1);
        QVERIFY2(lines.first().startsWith("SLURM_STEP_ID="), qPrintable(lines.first()));
    }

    void usageErrors_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<QString>("error");
        QTest::newRow("nothing") << QStringList {} << "missing command";
        QTest::newRow("unknown command") << QStringList { "walk" } << "unknown command";
        QTest::newRow("unknown option") << QStringList { "run", "--bogus" } << "bogus";
        QTest::newRow("jobs 0") << QStringList { "run", "-j", "0" } << "--jobs";
        QTest::newRow("jobs text") << QStringList { "run", "--jobs", "many" } << "--jobs";
        QTest::newRow("queue depth")
                << QStringList { "run", "--queue-depth", "0" } << "--queue-depth";
        QTest::newRow("timeout") << QStringList { "run", "--timeout", "-1" } << "--timeout";
        QTest::newRow("retries") << QStringList { "run", "--retries", "1.5" } << "--retries";
        QTest::newRow("backoff") << QStringList { "run", "--retry-backoff", "0.5" }
                                 << "--retry-backoff";
        QTest::newRow("events") << QStringList { "run", "--events", "xml" } << "--events";
        QTest::newRow("progress") << QStringList { "run", "--progress", "maybe" } << "--progress";
        QTest::newRow("log format")
                << QStringList { "run", "--log-format", "xml" } << "--log-format";
        QTest::newRow("line bytes")
                << QStringList { "run", "--max-line-bytes", "0" } << "--max-line-bytes";
        QTest::newRow("two files") << QStringList { "run", "a", "b" } << "more than one";
        QTest::newRow("file and command") << QStringList { "run", "a", "--", "echo" } << "not both";
        QTest::newRow("empty command") << QStringList { "run", "--" } << "nothing to run";
        QTest::newRow("executor") << QStringList { "run", "--executor", "cloud" } << "--executor";
        QTest::newRow("slurm option without slurm")
                << QStringList { "run", "--slurm-partition", "p", "--", "true" }
                << "--slurm-partition needs --executor slurm";
        QTest::newRow("lane without cap") << QStringList { "run", "--lane", "net" } << "--lane";
        QTest::newRow("lane cap 0") << QStringList { "run", "--lane", "net=0" } << "--lane";
        QTest::newRow("missing file")
                << QStringList { "run", "no-such-file.jsonl" } << "no-such-file.jsonl: cannot open";
        QTest::newRow("halt") << QStringList { "run", "--halt", "now", "--", "true" } << "--halt";
        QTest::newRow("halt count")
                << QStringList { "run", "--halt", "soon,fail=0", "--", "true" } << "--halt";
        QTest::newRow(":::: without file")
                << QStringList { "run", "--", "echo", "::::" } << "\"::::\" needs a file";
        QTest::newRow("::: without command")
                << QStringList { "run", "--", ":::", "a" } << "nothing to run";
        QTest::newRow("{2} of one source") << QStringList { "run", "--", "echo", "{2}", ":::", "a" }
                                           << "{2} in the command, but 1 argument source";
        QTest::newRow("missing argument file")
                << QStringList { "run", "--", "echo", "::::", "no-such-args" }
                << "no-such-args: cannot open";
        QTest::newRow("two stdin sources")
                << QStringList { "run", "--", "echo", "::::", "-", "-" } << "standard input";
        QTest::newRow("results empty")
                << QStringList { "run", "--results", "", "--", "true" } << "--results";
        QTest::newRow("status without store") << QStringList { "status" } << "--store";
        QTest::newRow("status missing store")
                << QStringList { "status", "--store", "no-such.db" } << "no such file";
    }
    void usageErrors()
    {
        QFETCH(QStringList, args);
        QFETCH(QString, error);
        const Run r = run(args);
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(QString::fromUtf8(r.err).contains(error), r.err.constData());
        QVERIFY(r.out.isEmpty());
    }

    // The whole file is checked before anything runs; each error names its physical line.
    void invalidTaskFile_data()
    {
        QTest::addColumn<QByteArray>("badLine");
        QTest::addColumn<QString>("error");
        QTest::newRow("bad json") << QByteArray("{\"command\": [\"x\"") << "invalid JSON";
        QTest::newRow("missing command")
                << QByteArray("{\"name\": \"x\"}") << "missing required field \"command\"";
        QTest::newRow("command type") << QByteArray("{\"command\": \"ls -l\"}")
                                      << "\"command\" must be an array of strings";
        QTest::newRow("timeout type") << QByteArray("{\"command\": [\"x\"], \"timeout\": \"9\"}")
                                      << "\"timeout\" must be a number";
        QTest::newRow("env type") << QByteArray("{\"command\": [\"x\"], \"env\": {\"A\": 1}}")
                                  << "\"env\".\"A\" must be a string or null";
        QTest::newRow("retries type") << QByteArray("{\"command\": [\"x\"], \"retries\": true}")
                                      << "\"retries\" must be a whole number";
        // Issue 13: a key twice; outside text (a field name with ESC and CR) printed escaped.
        QTest::newRow("duplicate key") << QByteArray("{\"command\": [\"x\"], \"command\": [\"y\"]}")
                                       << "field \"command\" is given twice";
        QTest::newRow("escaped field name")
                << QByteArray("{\"command\": [\"x\"], \"\\u001b]0;pwned\\u0007\\r\": 1}")
                << "unknown field \"\\e]0;pwned\\x07\\r\"";
    }
    void invalidTaskFile()
    {
        QFETCH(QByteArray, badLine);
        QFETCH(QString, error);
        const QString ran = m_dir.filePath(QStringLiteral("ran-%1").arg(++m_fileCount));
        // Line 1 would create a file if it ran; comments and blank lines count as lines.
        const QString path = writeTasks({ taskLine({ "succeed-on", "1", ran }), "# comment", "",
                                          badLine, taskLine({ "exit", "0" }) });
        const Run r = run({ "run", path });
        QCOMPARE(r.exitCode, 2);
        const QString err = QString::fromUtf8(r.err);
        QVERIFY2(err.contains(QStringLiteral("%1:4: %2").arg(path, error)), qPrintable(err));
        QVERIFY2(err.contains("nothing was run"), qPrintable(err));
        QVERIFY(!r.err.contains('\x1b') && !r.err.contains('\r'));
        QVERIFY(!QFile::exists(ran));
        QVERIFY(r.out.isEmpty());
    }

    void tooLongTaskLine()
    {
        const QString path =
                writeTasks({ taskLine({ "exit", "0" }), taskLine({ "args", QString(200, 'x') }) });
        const Run r = run({ "run", "--max-task-line-bytes", "100", path });
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains(":2: line longer than --max-task-line-bytes"), r.err.constData());
    }

    // --max-line-bytes governs output pieces only: a small one leaves long commands possible.
    void longCommandWithSmallOutputPieces()
    {
        const QString path = writeTasks({ taskLine({ "args", QString(200, 'x') }) });
        const Run r = run({ "run", "--events", "json", "--max-line-bytes", "100", path });
        QCOMPARE(r.exitCode, 0);
        QCOMPARE(r.lines(),
                 (QStringList { "<" + QString(99, 'x'), QString(100, 'x'), QStringLiteral("x>") }));
    }

    void emptyFileIsNoError_data()
    {
        QTest::addColumn<QByteArray>("content");
        QTest::newRow("empty") << QByteArray();
        QTest::newRow("comments and blanks") << QByteArray("# nothing yet\n\n   \n# done\n");
    }
    void emptyFileIsNoError()
    {
        QFETCH(QByteArray, content);
        const Run r = run({ "run", "--events", "json", writeFile(content) });
        QCOMPARE(r.exitCode, 0);
        QVERIFY(r.out.isEmpty());
        QVERIFY2(r.err.contains("0 tasks"), r.err.constData());
    }

    // --events json: stdout holds event objects and nothing else; the summary is on stderr.
    void jsonEventSchema()
    {
        const QString path = writeTasks(
                { taskLine({ "lines", "2" }, { { "name", "two lines" } }),
                  taskLine({ "exit", "3" }),
                  QByteArray("{\"command\": [\"/nonexistent/program\"], \"name\": \"missing\"}"),
                  taskLine({ "err-lines", "1", "oops" }, { { "name", "err" } }) });
        const Run r = run({ "run", "--events", "json", "-j", "1", "--progress", "always", path });
        QCOMPARE(r.exitCode, 1);
        const QList<QJsonObject> events = r.events();
        QVERIFY(!events.isEmpty());
        for (const QJsonObject &e : events) {
            QVERIFY(e.value("event").isString());
            QVERIFY(e.value("id").isDouble());
            QVERIFY(e.contains("name"));
            QVERIFY(e.value("name").isString() || e.value("name").isNull());
        }
        const QList<QJsonObject> started = r.eventsOf("started");
        QCOMPARE(started.size(), 3); // the missing program never starts
        QCOMPARE(started.at(0).value("name").toString(), QStringLiteral("two lines"));
        QCOMPARE(started.at(0).value("command").toArray(),
                 QJsonArray::fromStringList({ helper(), "lines", "2" }));
        QCOMPARE(started.at(0).value("workdir").toString(), m_dir.path());
        QCOMPARE(started.at(0).value("attempt").toInt(), 1);
        QVERIFY(started.at(1).value("name").isNull());
        QCOMPARE(r.lines(), (QStringList { "line 1", "line 2" }));
        QCOMPARE(r.lines("stderr"), QStringList { "oops 1" });

        const QList<QJsonObject> finished = r.eventsOf("finished");
        QCOMPARE(finished.size(), 2);
        QCOMPARE(finished.at(0).value("exitCode").toInt(), 0);
        QVERIFY(finished.at(0).value("durationMs").isDouble());
        const QList<QJsonObject> failed = r.eventsOf("failed");
        QCOMPARE(failed.size(), 2);
        QCOMPARE(failed.at(0).value("exitCode").toInt(), 3);
        QCOMPARE(failed.at(1).value("name").toString(), QStringLiteral("missing"));
        QVERIFY(failed.at(1).value("message").toString().contains("No such file"));
        QVERIFY2(r.err.contains("4 tasks in "), r.err.constData());
        QVERIFY(r.err.contains("2 finished, 2 failed, 0 timed out, 0 canceled"));
        QVERIFY(r.err.contains("done")); // the progress bar went to stderr, not stdout
    }

    // --events text: readable lines tagged with the task's name, or its id.
    void textEvents()
    {
        const QString path =
                writeTasks({ taskLine({ "lines", "1", "hello" }, { { "name", "greet" } }),
                             taskLine({ "err-lines", "1", "warn" }) });
        const Run r = run({ "run", "-j", "1", path });
        QCOMPARE(r.exitCode, 0);
        QVERIFY2(r.out.contains("[greet] started "), r.out.constData());
        QVERIFY(r.out.contains("[greet] hello 1\n"));
        QVERIFY(r.out.contains("[greet] finished (exit 0)"));
        QVERIFY(r.out.contains("[#2] finished (exit 0)"));
        QVERIFY(r.err.contains("[#2] warn 1\n")); // a task's stderr stays on stderr
        QVERIFY(!r.out.contains("[#2] warn"));
        QVERIFY(r.err.contains("2 finished"));
    }

    // In text mode a child cannot drive the terminal or forge a line: controls are escaped.
    // The one escaping rule (README): C0 and C1 controls (CSI U+009B, OSC U+009D) and bidi
    // overrides (U+202E) are shown escaped, never written raw.
    void textEventsEscapeControls()
    {
        const Run r = run({ "run", "--", helper(), "bytes",
                            "1b5b324a0d5b667265655d" // ESC [2J CR [free]
                            "c29b324a" // U+009B CSI, 2J
                            "c29d303b78c29c" // U+009D OSC 0;x U+009C ST
                            "e280ae6578652e747874" // U+202E exe.txt
                            "0a" });
        QCOMPARE(r.exitCode, 0);
        QVERIFY2(r.out.contains("[#1] \\e[2J\\r[free]\\u009b2J\\u009d0;x\\u009c\\u202eexe.txt\n"),
                 r.out.constData());
        QVERIFY(!r.out.contains('\x1b') && !r.out.contains('\r'));
        QVERIFY(!r.out.contains("\xc2\x9b") && !r.out.contains("\xc2\x9d")
                && !r.out.contains("\xe2\x80\xae"));
    }

    void eventsNone()
    {
        const Run r = run({ "run", "--events", "none", "--", helper(), "lines", "3" });
        QCOMPARE(r.exitCode, 0);
        QVERIFY(r.out.isEmpty());
        QVERIFY2(r.err.contains("1 task in "), r.err.constData());
    }

    void progressModes_data()
    {
        QTest::addColumn<QString>("mode");
        QTest::addColumn<bool>("shown");
        QTest::newRow("always") << "always" << true;
        QTest::newRow("never") << "never" << false;
        QTest::newRow("auto, not a terminal") << "auto" << false;
    }
    void progressModes()
    {
        QFETCH(QString, mode);
        QFETCH(bool, shown);
        const QString path = writeTasks({ taskLine({ "exit", "0" }), taskLine({ "exit", "0" }) });
        const Run r = run({ "run", "--events", "json", "--progress", mode, path });
        QCOMPARE(r.exitCode, 0);
        QCOMPARE(r.err.contains("\r\033[K"), shown);
        QCOMPARE(r.err.contains("2/2 done"), shown);
        QCOMPARE(r.events().size(), 4); // stdout stays pure JSON either way
    }

    void dashDashRunsOneCommand()
    {
        const Run r =
                run({ "run", "--events", "json", "--", helper(), "args", "a b", "--jobs", "-" });
        QCOMPARE(r.exitCode, 0);
        QCOMPARE(r.lines(), (QStringList { "<a b>", "<--jobs>", "<->" }));
        QCOMPARE(run({ "run", "--", helper(), "exit", "4" }).exitCode, 1);
    }

    void standardInput_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::newRow("dash") << QStringList { "run", "--events", "json", "-" };
        QTest::newRow("no file") << QStringList { "run", "--events", "json" };
    }
    void standardInput()
    {
        QFETCH(QStringList, args);
        const Run r =
                run(args,
                    taskLine({ "lines", "1", "a" }) + "\n# c\n" + taskLine({ "lines", "1", "b" }));
        QCOMPARE(r.exitCode, 0);
        QCOMPARE(r.lines().size(), 2);
        QVERIFY(r.lines().contains("a 1") && r.lines().contains("b 1"));
    }

    // Standard input is validated as it is read: what came before an invalid line ran, nothing
    // after it does, and the status is 2.
    void invalidStandardInput()
    {
        const QString ran = m_dir.filePath("stdin-ran");
        const QString notRun = m_dir.filePath("stdin-not-run");
        const Run r = run({ "run", "-j", "1", "--events", "json" },
                          taskLine({ "succeed-on", "1", ran }) + "\n{\"command\": 5}\n"
                                  + taskLine({ "succeed-on", "1", notRun }) + "\n");
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains("<stdin>:2: \"command\" must be an array"), r.err.constData());
        QVERIFY(QFile::exists(ran));
        QVERIFY(!QFile::exists(notRun));
        QCOMPARE(r.eventsOf("finished").size(), 1);
    }

    // "after", "priority" and "lane": dependencies run in order, a dependent of a failed task
    // ends canceled naming it (exit status 1), the started events carry priority and lane.
    void schedulingFields()
    {
        const QString path = writeTasks(
                { taskLine({ "exit", "0" }, { { "name", "first" } }),
                  taskLine({ "exit", "3" }, { { "name", "broken" } }),
                  taskLine({ "lines", "1" },
                           { { "after", QJsonArray { "first" } },
                             { "priority", 7 },
                             { "lane", "net" } }),
                  taskLine({ "exit", "0" },
                           { { "name", "then" }, { "after", QJsonArray { "first", "broken" } } }),
                  taskLine({ "exit", "0" }, { { "after", QJsonArray { "then" } } }) });
        const Run r = run({ "run", "--events", "json", "-j", "2", "--lane", "net=1", path });
        QCOMPARE(r.exitCode, 1);
        QCOMPARE(r.eventsOf("finished").size(), 2);
        QCOMPARE(r.eventsOf("failed").size(), 1);
        const QList<QJsonObject> canceled = r.eventsOf("canceled");
        QCOMPARE(canceled.size(), 2);
        QCOMPARE(canceled.at(0).value("message").toString(),
                 QStringLiteral("dependency 2 did not finish: it ended failed"));
        QCOMPARE(canceled.at(1).value("message").toString(),
                 QStringLiteral("dependency 4 did not finish: it ended canceled"));
        bool sawLane = false;
        for (const QJsonObject &e : r.eventsOf("started")) {
            QVERIFY(e.contains("priority") && e.contains("lane"));
            if (e.value("id").toInt() == 3) {
                sawLane = true;
                QCOMPARE(e.value("priority").toInt(), 7);
                QCOMPARE(e.value("lane").toString(), QStringLiteral("net"));
            }
        }
        QVERIFY(sawLane);
        QVERIFY2(r.err.contains("2 canceled"), r.err.constData());
    }

    // Priorities order the tasks read ahead: with one slot, the first runs at once, then the
    // rest by priority.
    void priorityOrdersReadAhead()
    {
        QList<QByteArray> lines { taskLine({ "exit", "0" }, { { "name", "first" } }) };
        for (int priority : { 0, 5, 1, 5 })
            lines.append(taskLine({ "exit", "0" }, { { "priority", priority } }));
        const Run r = run({ "run", "--events", "json", "-j", "1", writeTasks(lines) });
        QCOMPARE(r.exitCode, 0);
        QList<int> order;
        for (const QJsonObject &e : r.eventsOf("started"))
            order.append(e.value("id").toInt());
        QCOMPARE(order, (QList<int> { 1, 3, 5, 4, 2 }));
    }

    void invalidAfter_data()
    {
        QTest::addColumn<QList<QByteArray>>("lines");
        QTest::addColumn<QString>("error");
        QTest::newRow("unknown name") << QList<QByteArray> {
            taskLine({ "exit", "0" }, { { "name", "a" } }),
            taskLine({ "exit", "0" }, { { "after", QJsonArray { "b" } } })
        } << ":2: \"after\" names \"b\", which no earlier task has";
        QTest::newRow("later name") << QList<QByteArray> {
            taskLine({ "exit", "0" }, { { "after", QJsonArray { "b" } } }),
            taskLine({ "exit", "0" }, { { "name", "b" } })
        } << ":1: \"after\" names \"b\"";
        QTest::newRow("named twice, then referred to") << QList<QByteArray> {
            taskLine({ "exit", "0" }, { { "name", "a" } }),
            taskLine({ "exit", "0" }, { { "name", "a" } }),
            taskLine({ "exit", "0" }, { { "after", QJsonArray { "a" } } })
        } << ":3: \"after\" names \"a\", which more than one earlier task has";
        QTest::newRow("referred to, then named again") << QList<QByteArray> {
            taskLine({ "exit", "0" }, { { "name", "a" } }),
            taskLine({ "exit", "0" }, { { "after", QJsonArray { "a" } } }),
            taskLine({ "exit", "0" }, { { "name", "a" } })
        } << ":3: the name \"a\" is used again";
        QTest::newRow("after type")
                << QList<QByteArray> { taskLine({ "exit", "0" }, { { "after", "a" } }) }
                << ":1: \"after\" must be an array of task names";
        QTest::newRow("priority fraction")
                << QList<QByteArray> { taskLine({ "exit", "0" }, { { "priority", 1.5 } }) }
                << ":1: \"priority\" must be a whole number";
    }
    void invalidAfter()
    {
        QFETCH(QList<QByteArray>, lines);
        QFETCH(QString, error);
        const QString path = writeTasks(lines);
        const Run r = run({ "run", path });
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(QString::fromUtf8(r.err).contains(path + error), r.err.constData());
        QVERIFY(r.out.isEmpty());
        // Standard input is checked as it is read: the same error, the same line.
        const Run streamed = run({ "run", "-" }, lines.join('\n') + '\n');
        QCOMPARE(streamed.exitCode, 2);
        QVERIFY2(QString::fromUtf8(streamed.err).contains(error), streamed.err.constData());
    }

    // SIGUSR1 pauses starting new tasks, SIGUSR2 resumes; each says so once on stderr.
    void pauseAndResumeSignals()
    {
        const QString path =
                writeTasks({ taskLine({ "slow-lines", "2", "100" }), taskLine({ "exit", "0" }) });
        QProcess process;
        prepare(process);
        process.setArguments({ "run", "--events", "json", "-j", "1", path });
        process.start();
        StopOnExit stopper { process };
        QVERIFY(process.waitForStarted(Wait));
        QByteArray out;
        QByteArray err;
        QTRY_VERIFY_WITH_TIMEOUT((out += process.readAllStandardOutput()).contains("\"started\""),
                                 Wait);
        ::kill(pid_t(process.processId()), SIGUSR1);
        QTRY_VERIFY_WITH_TIMEOUT((err += process.readAllStandardError()).contains("paused"), Wait);
        QTRY_VERIFY_WITH_TIMEOUT((out += process.readAllStandardOutput()).contains("\"finished\""),
                                 Wait);
        // The second task is due now; it must not start while paused.
        QTest::qWait(300);
        out += process.readAllStandardOutput();
        QCOMPARE(out.count("\"started\""), 1);
        ::kill(pid_t(process.processId()), SIGUSR2);
        QVERIFY(process.waitForFinished(Wait));
        QCOMPARE(process.exitCode(), 0);
        out += process.readAllStandardOutput();
        err += process.readAllStandardError();
        QCOMPARE(out.count("\"finished\""), 2);
        QCOMPARE(err.count("SIGUSR1: paused"), 1);
        QCOMPARE(err.count("SIGUSR2: resumed"), 1);
    }

    void jobsLimitsConcurrency_data()
    {
        QTest::addColumn<int>("jobs");
        QTest::newRow("1") << 1;
        QTest::newRow("3") << 3;
    }
    void jobsLimitsConcurrency()
    {
        QFETCH(int, jobs);
        QList<QByteArray> lines;
        for (int i = 0; i < 6; ++i)
            lines.append(taskLine({ "slow-lines", "2", "100" }));
        const Run r =
                run({ "run", "--events", "json", "-j", QString::number(jobs), writeTasks(lines) });
        QCOMPARE(r.exitCode, 0);
        int running = 0;
        int most = 0;
        for (const QJsonObject &e : r.events()) {
            const QString kind = e.value("event").toString();
            if (kind == "started")
                most = qMax(most, ++running);
            else if (kind == "finished")
                --running;
        }
        QCOMPARE(most, jobs);
        QCOMPARE(r.eventsOf("finished").size(), 6);
    }

    // A queue of one still runs everything: the reader waits for room instead of overfilling.
    void queueDepthOne()
    {
        QList<QByteArray> lines;
        for (int i = 0; i < 8; ++i)
            lines.append(taskLine({ "exit", "0" }));
        const Run r = run(
                { "run", "--events", "json", "-j", "1", "--queue-depth", "1", writeTasks(lines) });
        QCOMPARE(r.exitCode, 0);
        QCOMPARE(r.eventsOf("finished").size(), 8);
        QCOMPARE(r.eventsOf("internalError").size(), 0); // no "queue full"
    }

    void timeoutOptionAndTaskOverride()
    {
        const QString path = writeTasks({ taskLine({ "hang" }, { { "name", "stuck" } }),
                                          taskLine({ "slow-lines", "2", "200" },
                                                   { { "name", "patient" }, { "timeout", 10 } }) });
        const Run r =
                run({ "run", "--events", "json", "--timeout", "0.2", "--kill-grace", "0.2", path });
        QCOMPARE(r.exitCode, 1);
        const QList<QJsonObject> timeouts = r.eventsOf("timeout");
        QCOMPARE(timeouts.size(), 1);
        QCOMPARE(timeouts.at(0).value("name").toString(), QStringLiteral("stuck"));
        QVERIFY(timeouts.at(0).value("durationMs").toInt() >= 200);
        QCOMPARE(r.eventsOf("finished").size(), 1);
        QVERIFY(r.err.contains("1 finished, 0 failed, 1 timed out"));
    }

    // Issue 15: the task-file fields and options of the per-task controls.
    void controlFields()
    {
        QFile input(m_dir.filePath("controls-input.txt"));
        QVERIFY(input.open(QIODevice::WriteOnly));
        input.write("from file\n");
        input.close();
        const QString path = writeTasks(
                { taskLine({ "cat" }, { { "name", "text" }, { "stdin", "typed\nin" } }),
                  taskLine({ "cat" }, { { "name", "file" }, { "stdinFile", input.fileName() } }),
                  taskLine({ "exit", "3" },
                           { { "name", "three" }, { "successExitCodes", QJsonArray { 0, 3 } } }),
                  taskLine({ "exit", "4" },
                           { { "name", "four" },
                             { "retries", 2 },
                             { "retryExitCodes", QJsonArray { 3 } } }),
                  taskLine({ "mixed" }, { { "name", "merged" }, { "mergeOutput", true } }),
                  taskLine({ "hang" }, { { "name", "idle" }, { "idleTimeout", 0.2 } }) });
        const Run r = run({ "run", "--events", "json", "--kill-grace", "0.2", path });
        QCOMPARE(r.exitCode, 1);
        QHash<QString, QJsonObject> end;
        QHash<QString, QStringList> out, err;
        for (const QJsonObject &e : r.events()) {
            const QString name = e.value("name").toString();
            if (e.value("event") == "stdout")
                out[name].append(e.value("line").toString());
            else if (e.value("event") == "stderr")
                err[name].append(e.value("line").toString());
            else if (e.contains("queueMs"))
                end.insert(name, e);
        }
        QCOMPARE(out.value("text"), QStringList({ "typed", "in" }));
        QCOMPARE(out.value("file"), QStringList({ "from file" }));
        QCOMPARE(end.value("three").value("event").toString(), QStringLiteral("finished"));
        QCOMPARE(end.value("three").value("exitCode").toInt(), 3);
        QCOMPARE(end.value("four").value("event").toString(), QStringLiteral("failed"));
        QCOMPARE(end.value("four").value("attempt").toInt(), 1); // 4 is not a code to retry
        QCOMPARE(out.value("merged"), QStringList({ "out 1", "err 1", "out 2", "err 2" }));
        QVERIFY(err.value("merged").isEmpty());
        QCOMPARE(end.value("idle").value("event").toString(), QStringLiteral("timeout"));
        QCOMPARE(end.value("idle").value("reason").toString(), QStringLiteral("idle"));
        // Every terminal event carries the metrics; the summary adds the CPU time.
        QCOMPARE(end.size(), 6);
        for (const QJsonObject &e : std::as_const(end)) {
            for (const char *key :
                 { "queueMs", "runMs", "stdoutBytes", "stderrBytes", "stdoutLines", "stderrLines" })
                QVERIFY2(e.contains(QLatin1String(key)), key);
        }
        // CPU and memory are read from the exited child before it is reaped, which misses a
        // child that exits before start() has returned (src/local/exitusage.cpp): a quick task
        // may lack them on a loaded machine. The idle task is alive until it is stopped.
        for (const char *key : { "cpuMs", "maxRssKb" })
            QVERIFY2(end.value("idle").contains(QLatin1String(key)), key);
        QCOMPARE(end.value("text").value("stdoutBytes").toInt(), 8);
        QVERIFY2(QString::fromUtf8(r.err).contains(
                         QRegularExpression("canceled; CPU [0-9]+\\.[0-9]{2} s")),
                 qPrintable(r.err));
    }

    void controlOptions()
    {
        const QString path = writeTasks(
                { taskLine({ "report-signal" }, { { "name", "default" } }),
                  taskLine({ "report-signal" }, { { "name", "own" }, { "stopSignal", "HUP" } }),
                  taskLine({ "tick", "30" }, { { "name", "busy" }, { "timeout", 0.6 } }) });
        // Nothing is written after "ready": the idle timeout stops the first two with the
        // signal each asks for; the third keeps writing and meets its deadline.
        const Run r = run({ "run", "--events", "json", "--idle-timeout", "0.3", "--stop-signal",
                            "USR1", path });
        QCOMPARE(r.exitCode, 1);
        QHash<QString, QStringList> out;
        QHash<QString, QString> reason;
        for (const QJsonObject &e : r.events()) {
            if (e.value("event") == "stdout")
                out[e.value("name").toString()].append(e.value("line").toString());
            if (e.value("event") == "timeout")
                reason[e.value("name").toString()] = e.value("reason").toString();
        }
        QCOMPARE(out.value("default"), QStringList({ "ready", "signal 10" }));
        QCOMPARE(out.value("own"), QStringList({ "ready", "signal 1" }));
        QCOMPARE(reason.value("default"), QStringLiteral("idle"));
        QCOMPARE(reason.value("busy"), QStringLiteral("deadline"));

        const Run bad = run({ "run", "--stop-signal", "STOP", "--", helper(), "exit", "0" });
        QCOMPARE(bad.exitCode, 2);
        QVERIFY(bad.err.contains("--stop-signal"));
        const Run badIdle = run({ "run", "--idle-timeout", "-1", "--", helper(), "exit", "0" });
        QCOMPARE(badIdle.exitCode, 2);
    }

    void controlFieldErrors_data()
    {
        QTest::addColumn<QJsonObject>("extra");
        QTest::addColumn<QString>("error");
        QTest::newRow("stdinOpen")
                << QJsonObject { { "stdinOpen", true } } << "\"stdinOpen\" needs a host";
        QTest::newRow("stopSignal")
                << QJsonObject { { "stopSignal", "STOP" } } << "\"stopSignal\" must be one of";
        QTest::newRow("successExitCodes") << QJsonObject { { "successExitCodes", "0" } }
                                          << "\"successExitCodes\" must be an array";
        QTest::newRow("idleTimeout")
                << QJsonObject { { "idleTimeout", -2 } } << "\"idleTimeout\" must be a number";
        QTest::newRow("mergeOutput")
                << QJsonObject { { "mergeOutput", "yes" } } << "\"mergeOutput\" must be a boolean";
    }
    void controlFieldErrors()
    {
        QFETCH(QJsonObject, extra);
        QFETCH(QString, error);
        const Run r = run({ "run", writeTasks({ taskLine({ "exit", "0" }, extra) }) });
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(QString::fromUtf8(r.err).contains(error), r.err.constData());
    }

    void killGrace()
    {
        // A task that ignores SIGTERM ends only with the SIGKILL that follows the grace period.
        const QString path = writeTasks({ taskLine({ "ignore-term" }) });
        const Run r =
                run({ "run", "--events", "json", "--timeout", "0.1", "--kill-grace", "0.6", path });
        QCOMPARE(r.exitCode, 1);
        const QList<QJsonObject> timeouts = r.eventsOf("timeout");
        QCOMPARE(timeouts.size(), 1);
        QVERIFY(timeouts.at(0).value("durationMs").toInt() >= 700);
    }

    void retriesAndTaskOverride()
    {
        const QString counter = m_dir.filePath("retry-count");
        const QString once = m_dir.filePath("retry-once");
        const QString path =
                writeTasks({ taskLine({ "succeed-on", "3", counter }, { { "name", "flaky" } }),
                             taskLine({ "succeed-on", "3", once },
                                      { { "name", "once" }, { "retries", 0 } }) });
        const Run r = run({ "run", "--events", "json", "--retries", "2", "--retry-delay", "0.05",
                            "-j", "1", path });
        QCOMPARE(r.exitCode, 1);
        const QList<QJsonObject> retrying = r.eventsOf("retrying");
        QCOMPARE(retrying.size(), 2);
        for (const QJsonObject &e : retrying) {
            QCOMPARE(e.value("name").toString(), QStringLiteral("flaky"));
            QCOMPARE(e.value("exitCode").toInt(), 1);
            QCOMPARE(e.value("delayMs").toInt(), 50);
        }
        QCOMPARE(retrying.at(0).value("attempt").toInt(), 1);
        QCOMPARE(r.eventsOf("finished").size(), 1);
        const QList<QJsonObject> failed = r.eventsOf("failed");
        QCOMPARE(failed.size(), 1);
        QCOMPARE(failed.at(0).value("name").toString(), QStringLiteral("once"));
    }

    void retryBackoffAndCap()
    {
        const Run r = run({ "run", "--events", "json", "--retries", "3", "--retry-delay", "0.05",
                            "--retry-backoff", "2", "--retry-max-delay", "0.15", "--", helper(),
                            "exit", "1" });
        QCOMPARE(r.exitCode, 1);
        QList<int> delays;
        for (const QJsonObject &e : r.eventsOf("retrying"))
            delays.append(e.value("delayMs").toInt());
        QCOMPARE(delays, (QList<int> { 50, 100, 150 }));
    }

    void retryJitter()
    {
        const Run r = run({ "run", "--events", "json", "--retries", "4", "--retry-delay", "0.1",
                            "--retry-jitter", "0.05", "--", helper(), "exit", "1" });
        QCOMPARE(r.exitCode, 1);
        QList<int> delays;
        for (const QJsonObject &e : r.eventsOf("retrying"))
            delays.append(e.value("delayMs").toInt());
        QCOMPARE(delays.size(), 4);
        bool moved = false;
        for (int d : delays) {
            QVERIFY2(d >= 50 && d <= 150, qPrintable(QString::number(d)));
            moved = moved || d != 100;
        }
        QVERIFY(moved); // four delays of exactly 100 ms would mean no jitter
    }

    void workingDirectory()
    {
        QVERIFY(QDir(m_dir.path()).mkpath("sub/inner"));
        const QString path =
                writeTasks({ taskLine({ "cwd" }, { { "name", "default" } }),
                             taskLine({ "cwd" }, { { "name", "own" }, { "cwd", "inner" } }) });
        const QString startDir = m_dir.filePath("sub");
        const Run r = run({ "run", "--events", "json", "-j", "1", path }, {}, startDir);
        QCOMPARE(r.exitCode, 0);
        QCOMPARE(r.lines(), (QStringList { startDir, startDir + "/inner" }));
    }

    void environment()
    {
        qputenv("TC_CLI_INHERITED", "from-host");
        const QString path = writeTasks(
                { taskLine({ "env", "TC_CLI_SET", "TC_CLI_INHERITED" },
                           { { "env",
                               QJsonObject { { "TC_CLI_SET", "yes" },
                                             { "TC_CLI_INHERITED", QJsonValue() } } } }) });
        const Run r = run({ "run", "--events", "json", path });
        qunsetenv("TC_CLI_INHERITED");
        QCOMPARE(r.exitCode, 0);
        QCOMPARE(r.lines(), (QStringList { "TC_CLI_SET=yes", "TC_CLI_INHERITED unset" }));
    }

    void maxLineBytesSplitsOutput()
    {
        const Run r = run({ "run", "--events", "json", "--max-line-bytes", "4", "--", helper(),
                            "huge-line", "10" });
        QCOMPARE(r.exitCode, 0);
        QCOMPARE(r.lines(), (QStringList { "xxxx", "xxxx", "xx" }));
    }

    void logOptions()
    {
        const QString log = m_dir.filePath("events.log");
        const QString taskLog = m_dir.filePath("one.task.log");
        const QString path = writeTasks(
                { taskLine({ "lines", "2", "logged" }, { { "name", "one" }, { "log", taskLog } }),
                  taskLine({ "exit", "0" }) });
        Run r = run({ "run", "--events", "none", "--log", log, "--log-format", "json", path });
        QCOMPARE(r.exitCode, 0);
        QFile file(log);
        QVERIFY(file.open(QIODevice::ReadOnly));
        QStringList kinds;
        for (const QByteArray &line : file.readAll().split('\n')) {
            if (line.isEmpty())
                continue;
            const QJsonObject o = QJsonDocument::fromJson(line).object();
            QVERIFY2(o.contains("ts") && o.contains("id"), line.constData());
            kinds.append(o.value("event").toString());
        }
        QCOMPARE(kinds.count("started"), 2);
        QCOMPARE(kinds.count("stdout"), 2);
        QCOMPARE(kinds.count("finished"), 2);
        QFile perTask(taskLog);
        QVERIFY(perTask.open(QIODevice::ReadOnly));
        const QByteArray perTaskText = perTask.readAll();
        QVERIFY2(perTaskText.contains("logged 1") && perTaskText.contains("logged 2"),
                 perTaskText.constData());

        // Text format, rotated: the log never grows past the limit; the older lines move to .1
        const QString rotated = m_dir.filePath("rotated.log");
        r = run({ "run", "--events", "none", "--log", rotated, "--log-rotate-bytes", "2000", "--",
                  helper(), "lines", "100" });
        QCOMPARE(r.exitCode, 0);
        QVERIFY(QFileInfo(rotated).size() <= 2000);
        QVERIFY(QFileInfo::exists(rotated + ".1"));
        QFile text(rotated);
        QVERIFY(text.open(QIODevice::ReadOnly));
        QVERIFY(text.readAll().contains(" finished"));
    }

    // A log that cannot be written is reported on stderr; the tasks run anyway.
    void unwritableLogIsReported()
    {
        const Run r = run({ "run", "--events", "none", "--log", m_dir.filePath("no-dir/x.log"),
                            "--", helper(), "exit", "0" });
        QCOMPARE(r.exitCode, 0);
        QVERIFY2(r.err.contains("no-dir/x.log") && r.err.contains("1 finished"), r.err.constData());
    }

    void unusableStore()
    {
        const Run r = run({ "run", "--store", m_dir.path(), "--", helper(), "exit", "0" });
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains("--store"), r.err.constData());
    }

    // With --store, a run that died (SIGKILL, the machine went down) or was stopped (SIGINT) is
    // resumed by the same command: what had not finished runs again, nothing that finished does,
    // and the tasks the first run never reached run once.
    void resumeWithStore_data()
    {
        QTest::addColumn<int>("signalNumber");
        QTest::newRow("SIGKILL") << int(SIGKILL);
        QTest::newRow("SIGINT") << int(SIGINT);
    }
    void resumeWithStore()
    {
        QFETCH(int, signalNumber);
        const QString runs = m_dir.filePath(QStringLiteral("runs-%1").arg(signalNumber));
        const QString store = m_dir.filePath(QStringLiteral("resume-%1.db").arg(signalNumber));
        auto record = [&](const QString &tag, int ms) {
            return taskLine({ "record", runs, tag, QString::number(ms) }, { { "name", tag } });
        };
        const QString path =
                writeTasks({ record("quick1", 0), record("quick2", 0), record("long1", 2000),
                             record("long2", 2000), record("later1", 0), record("later2", 0) });
        const QStringList args { "run", "--events", "json", "-j",           "2",   "--queue-depth",
                                 "1",   "--store",  store,  "--kill-grace", "0.2", path };
        {
            QProcess process;
            prepare(process);
            process.setArguments(args);
            process.start();
            StopOnExit stopper { process };
            QVERIFY(process.waitForStarted(Wait));
            QByteArray out;
            QTRY_VERIFY_WITH_TIMEOUT(
                    [&] {
                        out += process.readAllStandardOutput();
                        return out.contains("\"line\":\"long1\"")
                                && out.contains("\"line\":\"long2\"");
                    }(),
                    Wait);
            ::kill(pid_t(process.processId()), signalNumber);
            QVERIFY(process.waitForFinished(Wait));
            if (signalNumber == SIGKILL) {
                // The machine went down with the tool: its tasks die too.
                for (int pid : processesWithMarker(m_marker))
                    ::kill(pid, SIGKILL);
            } else {
                QCOMPARE(process.exitCode(), 130);
            }
            QTRY_COMPARE_WITH_TIMEOUT(processesWithMarker(m_marker), QList<int>(), Wait);
        }
        const Run second = run(args);
        QCOMPARE(second.exitCode, 0);
        QFile file(runs);
        QVERIFY(file.open(QIODevice::ReadOnly));
        const QList<QByteArray> tags = file.readAll().split('\n');
        QCOMPARE(tags.count("quick1"), 1);
        QCOMPARE(tags.count("quick2"), 1);
        QCOMPARE(tags.count("long1"), 2);
        QCOMPARE(tags.count("long2"), 2);
        QCOMPARE(tags.count("later1"), 1);
        QCOMPARE(tags.count("later2"), 1);
        QStringList names;
        for (const QJsonObject &e : second.eventsOf("finished"))
            names.append(e.value("name").toString());
        names.sort();
        QCOMPARE(names, (QStringList { "later1", "later2", "long1", "long2" }));

        // A third run finds everything done: nothing runs.
        const Run third = run(args);
        QCOMPARE(third.exitCode, 0);
        QVERIFY(third.eventsOf("started").isEmpty());
        QVERIFY(file.seek(0));
        QCOMPARE(file.readAll().split('\n').size(), tags.size());

        // The store belongs to its list: another list is refused before anything runs.
        const Run other = run({ "run", "--store", store,
                                writeTasks({ record("a", 0), record("b", 0), record("c", 0),
                                             record("d", 0), record("e", 0), record("f", 0) }) });
        QCOMPARE(other.exitCode, 2);
        QVERIFY2(other.err.contains("different task list"), other.err.constData());
    }

    // SIGINT or SIGTERM mid-run: running tasks get the graceful stop, pending ones are canceled,
    // the summary is printed and the status is 130.
    void signalStopsGracefully_data()
    {
        QTest::addColumn<int>("signalNumber");
        QTest::addColumn<int>("status");
        QTest::newRow("SIGINT") << int(SIGINT) << 130;
        QTest::newRow("SIGTERM") << int(SIGTERM) << 130;
        // The terminal or the ssh session went away; Ctrl-\ (issue 13).
        QTest::newRow("SIGHUP") << int(SIGHUP) << 129;
        QTest::newRow("SIGQUIT") << int(SIGQUIT) << 131;
    }
    void signalStopsGracefully()
    {
        QFETCH(int, signalNumber);
        QFETCH(int, status);
        QList<QByteArray> lines;
        for (int i = 0; i < 2; ++i)
            lines.append(taskLine({ "hang" }));
        lines.append(taskLine({ "ignore-term" }));
        for (int i = 0; i < 3; ++i)
            lines.append(taskLine({ "exit", "0" }));
        QProcess process;
        prepare(process);
        process.setArguments(
                { "run", "--events", "json", "-j", "3", "--kill-grace", "0.3", writeTasks(lines) });
        process.start();
        StopOnExit stopper { process };
        QVERIFY(process.waitForStarted(Wait));
        QByteArray out;
        QTRY_VERIFY_WITH_TIMEOUT((out += process.readAllStandardOutput()).count("\"ready\"") == 3,
                                 Wait);
        ::kill(pid_t(process.processId()), signalNumber);
        QVERIFY(process.waitForFinished(Wait));
        QCOMPARE(process.exitStatus(), QProcess::NormalExit);
        QCOMPARE(process.exitCode(), status);
        Run r { process.exitCode(), process.exitStatus(), out + process.readAllStandardOutput(),
                process.readAllStandardError() };
        QCOMPARE(r.eventsOf("canceled").size(), 6); // three stopped, three never started
        QCOMPARE(r.eventsOf("started").size(), 3);
        QVERIFY2(r.err.contains("6 tasks in "), r.err.constData());
        QVERIFY(r.err.contains("0 finished, 0 failed, 0 timed out, 6 canceled"));
    }

    // `taskconductor run ... | head`: when stdout loses its reader the tool stops every task
    // gracefully (instead of dying of SIGPIPE and orphaning them) and exits 141.
    void closedStdoutStopsGracefully()
    {
        QProcess process;
        QProcess head; // reads three lines of the tool's stdout, then exits
        prepare(process);
        process.setArguments(
                { "run", "--events", "json", "-j", "2",
                  writeTasks({ taskLine({ "hang" }), taskLine({ "slow-lines", "200", "20" }) }) });
        process.setStandardOutputProcess(&head);
        process.start();
        head.start(helper(), { "head", "3" });
        StopOnExit stopper { process };
        QVERIFY(process.waitForStarted(Wait));
        QVERIFY(head.waitForFinished(Wait));
        QCOMPARE(head.readAllStandardOutput().count('\n'), 3);
        QVERIFY(process.waitForFinished(Wait));
        QCOMPARE(process.exitStatus(), QProcess::NormalExit);
        QCOMPARE(process.exitCode(), 141);
        const QByteArray err = process.readAllStandardError();
        QVERIFY2(err.contains("standard output was closed"), err.constData());
        QVERIFY(err.contains("2 canceled"));
    }

    // --- Issue 13: hang-ups, special inputs, shared stores, log failures, closed output ---

    // A second signal while stopping does not wait for the grace period: SIGKILL to every group.
    void secondSignalKillsAtOnce()
    {
        QProcess process;
        prepare(process);
        process.setArguments(
                { "run", "--events", "json", "-j", "2", "--kill-grace", "60",
                  writeTasks({ taskLine({ "ignore-term" }), taskLine({ "ignore-term" }) }) });
        process.start();
        StopOnExit stopper { process };
        QVERIFY(process.waitForStarted(Wait));
        QByteArray out;
        QTRY_VERIFY_WITH_TIMEOUT((out += process.readAllStandardOutput()).count("\"ready\"") == 2,
                                 Wait);
        ::kill(pid_t(process.processId()), SIGINT);
        QByteArray err;
        QTRY_VERIFY_WITH_TIMEOUT((err += process.readAllStandardError()).contains("stopping"),
                                 Wait);
        QElapsedTimer clock;
        clock.start();
        ::kill(pid_t(process.processId()), SIGTERM);
        QVERIFY(process.waitForFinished(20000)); // the grace period is 60 s
        QVERIFY2(clock.elapsed() < 10000, qPrintable(QString::number(clock.elapsed())));
        QCOMPARE(process.exitCode(), 130);
        const Run r { process.exitCode(), process.exitStatus(),
                      out + process.readAllStandardOutput(), err + process.readAllStandardError() };
        QCOMPARE(r.eventsOf("canceled").size(), 2);
        QVERIFY2(r.err.contains("killing every task now"), r.err.constData());
    }

    // A stopped run's tasks are recorded as interrupted (not running, not ended) and resumed.
    void stopRecordsInterruptedTasks()
    {
        const QString store = m_dir.filePath("interrupted.db");
        const QString path = writeTasks({ taskLine({ "hang" }, { { "name", "h" } }),
                                          taskLine({ "exit", "0" }, { { "name", "later" } }) });
        QProcess process;
        prepare(process);
        process.setArguments({ "run", "--events", "json", "-j", "1", "--kill-grace", "0.2",
                               "--store", store, path });
        process.start();
        StopOnExit stopper { process };
        QVERIFY(process.waitForStarted(Wait));
        QByteArray out;
        QTRY_VERIFY_WITH_TIMEOUT((out += process.readAllStandardOutput()).contains("\"ready\""),
                                 Wait);
        ::kill(pid_t(process.processId()), SIGHUP);
        QVERIFY(process.waitForFinished(Wait));
        QCOMPARE(process.exitCode(), 129);
        {
            SqliteTaskStore reader(store);
            QVERIFY2(reader.open(), qPrintable(reader.errorString()));
            const QList<StoredTask> tasks = reader.unfinishedTasks();
            QCOMPARE(tasks.size(), 2);
            QCOMPARE(tasks.at(0).state, TaskState::Running);
            QVERIFY2(tasks.at(0).message.contains("interrupted")
                             && tasks.at(0).message.contains("SIGHUP"),
                     qPrintable(tasks.at(0).message));
            QCOMPARE(tasks.at(1).state, TaskState::Pending); // never started: still pending
        }
        const Run again = run({ "run", "--events", "json", "-j", "2", "--store", store, "--",
                                helper(), "exit", "0" });
        QCOMPARE(again.exitCode, 2); // another list: refused
        const QString finish = writeTasks({ taskLine({ "exit", "0" }, { { "name", "h" } }),
                                            taskLine({ "exit", "0" }, { { "name", "later" } }) });
        const Run changed = run({ "run", "--store", store, finish });
        QCOMPARE(changed.exitCode, 2); // line 1 changed
        QVERIFY2(changed.err.contains(":1: changed since the store accepted it as task 1"),
                 changed.err.constData());
    }

    // One writer per store: a second run on it is refused, naming the holder; a reader is not.
    void storeIsSingleWriter()
    {
        const QString store = m_dir.filePath("single.db");
        const QString path = writeTasks({ taskLine({ "hang" }) });
        QProcess first;
        prepare(first);
        first.setArguments(
                { "run", "--events", "json", "--kill-grace", "0.2", "--store", store, path });
        first.start();
        StopOnExit stopper { first };
        QVERIFY(first.waitForStarted(Wait));
        QByteArray out;
        QTRY_VERIFY_WITH_TIMEOUT((out += first.readAllStandardOutput()).contains("\"ready\""),
                                 Wait);
        const Run second = run({ "run", "--store", store, path });
        QCOMPARE(second.exitCode, 2);
        QVERIFY2(second.err.contains(qPrintable(store))
                         && second.err.contains(
                                 qPrintable(QStringLiteral("pid %1").arg(first.processId()))),
                 second.err.constData());
        QVERIFY(second.err.contains("in use by another run"));
        {
            SqliteTaskStore reader(store); // a status view: reads while the run holds the lock
            QVERIFY2(reader.open(), qPrintable(reader.errorString()));
            QCOMPARE(reader.unfinishedTasks().size(), 1);
        }
        ::kill(pid_t(first.processId()), SIGKILL); // the lock dies with its holder
        QVERIFY(first.waitForFinished(Wait));
        for (int pid : processesWithMarker(m_marker))
            ::kill(pid, SIGKILL);
        QTRY_COMPARE_WITH_TIMEOUT(processesWithMarker(m_marker), QList<int>(), Wait);
        SqliteTaskStore writer(store);
        QVERIFY2(writer.lockForWriting(), qPrintable(writer.errorString()));
    }

    // Resume sees any edited line of the accepted part of the list; --fresh starts afresh.
    void resumeSeesEditedLines()
    {
        const QString store = m_dir.filePath("edited.db");
        const QString runs = m_dir.filePath("edited-runs");
        auto record = [&](const QString &tag) { return taskLine({ "record", runs, tag, "0" }); };
        const QString path = writeTasks({ record("a"), record("b"), record("c") });
        QCOMPARE(run({ "run", "-j", "1", "--store", store, path }).exitCode, 0);
        writeFile(QList<QByteArray> { record("a"), record("B"), record("c") }.join('\n') + '\n',
                  QFileInfo(path).fileName());
        const Run edited = run({ "run", "--store", store, path });
        QCOMPARE(edited.exitCode, 2);
        QVERIFY2(edited.err.contains(qPrintable(path + ":2: changed since")),
                 edited.err.constData());
        // Standard input, validated as it is read, is refused the same way.
        QFile file(path);
        QVERIFY(file.open(QIODevice::ReadOnly));
        const Run piped = run({ "run", "--store", store, "-" }, file.readAll());
        QCOMPARE(piped.exitCode, 2);
        QVERIFY2(piped.err.contains("<stdin>:2: changed since"), piped.err.constData());
        const Run fresh =
                run({ "run", "-j", "1", "--events", "json", "--fresh", "--store", store, path });
        QCOMPARE(fresh.exitCode, 0);
        QCOMPARE(fresh.eventsOf("finished").size(), 3);
        QFile trace(runs);
        QVERIFY(trace.open(QIODevice::ReadOnly));
        QCOMPARE(trace.readAll(), QByteArray("a\nb\nc\na\nB\nc\n"));
        QCOMPARE(run({ "run", "--fresh", "--", helper(), "exit", "0" }).exitCode, 2); // no store
    }

    // Two of task file, log, store and per-task logs are one file: refused before anything.
    void sameFileTwiceIsRefused_data()
    {
        QTest::addColumn<QStringList>("options");
        QTest::addColumn<QString>("taskLog");
        QTest::newRow("--log = --store")
                << QStringList { "--log", "x.db", "--store", "x.db" } << QString();
        QTest::newRow("--log = task file") << QStringList { "--log", "TASKFILE" } << QString();
        QTest::newRow("--log = task file, with --results")
                << QStringList { "--log", "TASKFILE", "--results", "same-results" } << QString();
        QTest::newRow("--store = task file") << QStringList { "--store", "TASKFILE" } << QString();
        QTest::newRow("--log = store's WAL")
                << QStringList { "--log", "y.db-wal", "--store", "y.db" } << QString();
        QTest::newRow("task log = task file") << QStringList {} << "TASKFILE";
        QTest::newRow("task log = --log") << QStringList { "--log", "z.log" } << "z.log";
    }
    void sameFileTwiceIsRefused()
    {
        QFETCH(QStringList, options);
        QFETCH(QString, taskLog);
        const QString runs = m_dir.filePath("same-runs");
        const QString name = QStringLiteral("same%1.jsonl").arg(++m_fileCount);
        QJsonObject extra;
        if (!taskLog.isEmpty())
            extra.insert("log", taskLog == "TASKFILE" ? name : taskLog);
        const QString path =
                writeFile(taskLine({ "record", runs, "ran", "0" }, extra) + '\n', name);
        QStringList args { "run" };
        for (const QString &option : options)
            args.append(option == "TASKFILE" ? name : option);
        args.append(name);
        QByteArray before;
        if (QFile in(path); in.open(QIODevice::ReadOnly))
            before = in.readAll();
        // The task's log path is relative to the working directory, the temporary dir.
        QFile::remove(runs);
        const Run r = run(args);
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains("are the same file"), r.err.constData());
        QVERIFY(!QFile::exists(runs)); // nothing ran
        QVERIFY(!QFile::exists(m_dir.filePath("same-results"))); // nothing was created
        QFile in(path);
        QVERIFY(in.open(QIODevice::ReadOnly));
        QCOMPARE(in.readAll(), before); // the task file is untouched
    }

    // A store path that is no regular file is refused before SQLite creates anything beside it.
    void storeThatIsNoFile()
    {
        const bool journalBefore = QFile::exists("/dev/null-journal");
        Run r = run({ "run", "--store", "/dev/null", "--", helper(), "exit", "0" });
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains("not a regular file"), r.err.constData());
        if (!journalBefore)
            QVERIFY(!QFile::exists("/dev/null-journal"));
        const QString fifo = m_dir.filePath("store.fifo");
        QCOMPARE(::mkfifo(QFile::encodeName(fifo).constData(), 0600), 0);
        r = run({ "run", "--store", fifo, "--", helper(), "exit", "0" });
        QCOMPARE(r.exitCode, 2);
        QVERIFY(!QFile::exists(fifo + "-journal"));
        QVERIFY(!QFile::exists(fifo + ".lock"));
    }

    // A named FIFO is read once, as it comes, like standard input; it never blocks signals.
    void fifoAsTaskFile()
    {
        const QString fifo = m_dir.filePath("tasks.fifo");
        QCOMPARE(::mkfifo(QFile::encodeName(fifo).constData(), 0600), 0);
        QProcess process;
        prepare(process);
        process.setArguments({ "run", "--events", "json", fifo });
        process.start();
        StopOnExit stopper { process };
        QVERIFY(process.waitForStarted(Wait));
        {
            QFile writer(fifo); // opens once the tool opened its end
            QVERIFY(writer.open(QIODevice::WriteOnly));
            writer.write(taskLine({ "exit", "0" }) + '\n' + taskLine({ "exit", "0" }) + '\n');
        }
        QVERIFY(process.waitForFinished(Wait));
        QCOMPARE(process.exitCode(), 0);
        const Run r { process.exitCode(), process.exitStatus(), process.readAllStandardOutput(),
                      process.readAllStandardError() };
        QCOMPARE(r.eventsOf("finished").size(), 2);

        // A writer that writes nothing: the tool waits for it, and SIGINT still stops it.
        process.start();
        QVERIFY(process.waitForStarted(Wait));
        int writer = -1; // ENXIO until the tool opened its end (its handlers are in place then)
        QTRY_VERIFY_WITH_TIMEOUT(
                (writer = ::open(QFile::encodeName(fifo).constData(), O_WRONLY | O_NONBLOCK)) >= 0,
                Wait);
        ::kill(pid_t(process.processId()), SIGINT);
        const bool finished = process.waitForFinished(Wait);
        ::close(writer);
        QVERIFY(finished);
        QCOMPARE(process.exitStatus(), QProcess::NormalExit);
        QCOMPARE(process.exitCode(), 130);
    }

    // /dev/zero never ends a line: refused once the line passes the limit, as a file or stdin.
    void endlessInputIsRefused_data()
    {
        QTest::addColumn<bool>("onStdin");
        QTest::newRow("TASKFILE") << false;
        QTest::newRow("stdin") << true;
    }
    void endlessInputIsRefused()
    {
        QFETCH(bool, onStdin);
        QProcess process;
        prepare(process);
        process.setArguments(
                { "run", "--max-task-line-bytes", "100000", onStdin ? "-" : "/dev/zero" });
        if (onStdin)
            process.setStandardInputFile("/dev/zero");
        process.start();
        StopOnExit stopper { process };
        QVERIFY(process.waitForFinished(Wait));
        QCOMPARE(process.exitCode(), 2);
        QVERIFY(process.readAllStandardError().contains("line longer than --max-task-line-bytes"));
    }

    // `run - <&-`: no standard input at all is refused, not read from whatever took descriptor 0.
    void closedStandardInputIsRefused()
    {
        QProcess process;
        prepare(process);
        process.setArguments({ "run", "-" });
        process.setChildProcessModifier([] { ::close(STDIN_FILENO); });
        process.start();
        StopOnExit stopper { process };
        QVERIFY(process.waitForFinished(Wait));
        QCOMPARE(process.exitCode(), 2);
        QVERIFY(process.readAllStandardError().contains("standard input is closed"));
    }

    // stdout's reader goes away while the tasks are quiet: noticed at once, not at the next
    // write.
    void closedStdoutNoticedWhileQuiet()
    {
        int fds[2];
        QCOMPARE(::pipe2(fds, O_CLOEXEC), 0);
        QProcess process;
        prepare(process);
        process.setArguments({ "run", "--events", "json", "-j", "2", "--kill-grace", "0.2",
                               writeTasks({ taskLine({ "hang" }), taskLine({ "hang" }) }) });
        const int writeEnd = fds[1];
        process.setChildProcessModifier([writeEnd] { ::dup2(writeEnd, STDOUT_FILENO); });
        process.start();
        StopOnExit stopper { process };
        QVERIFY(process.waitForStarted(Wait));
        ::close(fds[1]);
        QByteArray out;
        char buffer[4096];
        while (out.count("\"ready\"") < 2) {
            const ssize_t n = ::read(fds[0], buffer, sizeof buffer);
            QVERIFY(n > 0);
            out.append(buffer, n);
        }
        ::close(fds[0]); // the reader goes away; the tasks print nothing more
        QVERIFY(process.waitForFinished(10000));
        QCOMPARE(process.exitCode(), 141);
        QVERIFY(process.readAllStandardError().contains("2 canceled"));
    }

    // stderr's reader is gone: the first write there decides the stop, and nothing starts after.
    // The task's stderr ends without a newline, so its line is printed while its end is
    // announced, just before the Broker would start the next task in the freed slot.
    void closedStderrStartsNothingMore()
    {
        int fds[2];
        QCOMPARE(::pipe2(fds, O_CLOEXEC), 0);
        ::close(fds[0]);
        QProcess process;
        prepare(process);
        QList<QByteArray> lines;
        for (int i = 0; i < 5; ++i)
            lines.append(taskLine({ "err-partial", "to a closed stderr" }));
        const QString log = m_dir.filePath("closed-stderr.log");
        process.setArguments({ "run", "--events", "text", "--progress", "never", "-j", "1", "--log",
                               log, "--log-format", "json", writeTasks(lines) });
        const int writeEnd = fds[1];
        process.setChildProcessModifier([writeEnd] { ::dup2(writeEnd, STDERR_FILENO); });
        process.start();
        StopOnExit stopper { process };
        QVERIFY(process.waitForStarted(Wait));
        ::close(fds[1]);
        QVERIFY(process.waitForFinished(Wait));
        QCOMPARE(process.exitCode(), 141);
        QFile file(log);
        QVERIFY(file.open(QIODevice::ReadOnly));
        QStringList events;
        for (const QByteArray &line : file.readAll().split('\n')) {
            const QJsonObject o = QJsonDocument::fromJson(line).object();
            if (!o.isEmpty())
                events.append(QStringLiteral("%1 %2")
                                      .arg(o.value("id").toInt())
                                      .arg(o.value("event").toString()));
        }
        // Task 1 ran and ended as it did; the others never started.
        QCOMPARE(events.count("1 started"), 1);
        QCOMPARE(events.count("1 finished"), 1);
        QCOMPARE(events.filter(" started").size(), 1);
        QCOMPARE(events.filter(" canceled").size(), 4);
    }

    // A log that fails mid-run (here its size limit; a full disk alike): one report with the
    // real reason, on stderr and, with --events json, as an internalError event.
    void logWriteFailureIsAnEvent()
    {
        const QString log = m_dir.filePath("limited.log");
        QProcess process;
        prepare(process);
        process.setArguments({ "run", "--events", "json", "--log", log, "--", helper(),
                               "slow-lines", "400", "1" });
        process.setChildProcessModifier([] {
            ::signal(SIGXFSZ, SIG_IGN);
            const rlimit limit { 8192, 8192 };
            ::setrlimit(RLIMIT_FSIZE, &limit);
        });
        process.start();
        StopOnExit stopper { process };
        QVERIFY(process.waitForFinished(Wait));
        const Run r { process.exitCode(), process.exitStatus(), process.readAllStandardOutput(),
                      process.readAllStandardError() };
        QCOMPARE(r.exitCode, 0);
        QList<QJsonObject> notices;
        for (const QJsonObject &e : r.eventsOf("internalError"))
            if (e.value("id").toInt() == 0)
                notices.append(e);
        QCOMPARE(notices.size(), 1);
        const QString message = notices.first().value("message").toString();
        QVERIFY2(message.contains(log) && message.contains(QString::fromLocal8Bit(strerror(EFBIG))),
                 qPrintable(message));
        QCOMPARE(r.err.count("cannot be written"), 1);
        QVERIFY(!r.err.contains("Unknown error"));
    }

    // --log-backups N keeps N rotated logs.
    void logBackups()
    {
        const QString log = m_dir.filePath("backups.log");
        const Run r = run({ "run", "--events", "none", "--log", log, "--log-rotate-bytes", "1000",
                            "--log-backups", "3", "--", helper(), "lines", "200" });
        QCOMPARE(r.exitCode, 0);
        for (const char *suffix : { "", ".1", ".2", ".3" })
            QVERIFY2(QFile::exists(log + suffix), suffix);
        QVERIFY(!QFile::exists(log + ".4"));
        QCOMPARE(run({ "run", "--log-backups", "0", "--", helper(), "exit", "0" }).exitCode, 2);
    }

    // Issue 16: what GNU parallel users expect.

    // Several ::: groups give every combination, the first group outermost; {#} numbers the
    // tasks from 1 and a task is named by its arguments.
    void argumentGroupsInCartesianOrder()
    {
        const Run r = run({ "run", "--events", "json", "-j", "1", "--", helper(), "args", "{#}",
                            "{1}", "{2}", ":::", "a", "b", ":::", "1", "2", "3" });
        QCOMPARE(r.exitCode, 0);
        QStringList expected;
        QStringList names;
        int sequence = 0;
        for (const char *outer : { "a", "b" }) {
            for (const char *inner : { "1", "2", "3" }) {
                expected << QStringLiteral("<%1>").arg(++sequence)
                         << QStringLiteral("<%1>").arg(outer) << QStringLiteral("<%1>").arg(inner);
                names << QStringLiteral("%1 %2").arg(outer, inner);
            }
        }
        QCOMPARE(r.lines(), expected);
        QStringList startedNames;
        for (const QJsonObject &e : r.eventsOf("started"))
            startedNames.append(e.value("name").toString());
        QCOMPARE(startedNames, names);
        QVERIFY2(r.err.contains("6 tasks in "), r.err.constData());
    }

    // With no replacement string, each argument is appended as one argv entry, byte for byte.
    void argumentsAreAppended()
    {
        const Run r = run({ "run", "--events", "json", "-j", "1", "--", helper(), "args", "x",
                            ":::", "a b", "", "it's $HOME;|*" });
        QCOMPARE(r.exitCode, 0);
        QCOMPARE(r.lines(),
                 (QStringList { "<x>", "<a b>", "<x>", "<>", "<x>", "<it's $HOME;|*>" }));
    }

    void replacementStringsOnPaths()
    {
        const Run r = run({ "run", "--events", "json", "-j", "1", "--", helper(), "args", "{}",
                            "{.}", "{/}", "{//}", "{/.}", "{{}}", ":::", "my dir/a file.tar.gz",
                            "noext", "/top.png" });
        QCOMPARE(r.exitCode, 0);
        QCOMPARE(r.lines(),
                 (QStringList { "<my dir/a file.tar.gz>", "<my dir/a file.tar>", "<a file.tar.gz>",
                                "<my dir>", "<a file.tar>", "<{}>", //
                                "<noext>", "<noext>", "<noext>", "<.>", "<noext>", "<{}>", //
                                "</top.png>", "</top>", "<top.png>", "</>", "<top>", "<{}>" }));
    }

    // :::: takes arguments from the lines of a file, or of standard input ("-").
    void argumentFiles()
    {
        const QString file = writeFile("one\ntwo words\n", "args.txt");
        Run r = run({ "run", "--events", "json", "-j", "1", "--", helper(), "args", "{2}{1}",
                      "::::", "-", ":::", "+", "-", "::::", file },
                    "x\ny");
        QCOMPARE(r.exitCode, 0);
        QCOMPARE(r.lines(),
                 (QStringList { "<+x>", "<+x>", "<-x>", "<-x>", "<+y>", "<+y>", "<-y>", "<-y>" }));
        QStringList names;
        for (const QJsonObject &e : r.eventsOf("started"))
            names.append(e.value("name").toString());
        QCOMPARE(names.first(), QStringLiteral("x + one"));
        QCOMPARE(names.at(1), QStringLiteral("x + two words"));

        // An argument line longer than --max-task-line-bytes is an error that names it.
        r = run({ "run", "--max-task-line-bytes", "4", "--", helper(), "args", "::::", file });
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains("args.txt:2: line longer than --max-task-line-bytes"),
                 r.err.constData());
    }

    // 10^5 arguments on standard input are read as the tasks are taken, in bounded memory:
    // the tool's peak RSS stays far below the 60 MB it reads.
    void argumentsFromStandardInputInBoundedMemory()
    {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
        QSKIP("the sanitizer's shadow memory and quarantine inflate RSS; measured in the plain "
              "build");
#endif
        constexpr int Lines = 100000;
        QByteArray input;
        input.reserve(Lines * 602);
        const QByteArray padding(600, 'p');
        for (int i = 1; i <= Lines; ++i)
            input += QByteArray::number(i) + padding + '\n';
        QProcess process;
        prepare(process);
        // --dry-run takes the same path (argument source, feeder) without running 10^5 tasks.
        process.setArguments({ "run", "--dry-run", "--", "echo", "{#}", "::::", "-" });
        process.start();
        StopOnExit stopper { process };
        QVERIFY(process.waitForStarted(Wait));
        process.write(input);
        QByteArray out;
        const QByteArray last = "echo " + QByteArray::number(Lines) + '\n';
        QTRY_VERIFY_WITH_TIMEOUT((out += process.readAllStandardOutput()).endsWith(last), Wait);
        // Every line was taken; standard input is still open, so the tool is waiting for more.
        QFile status(QStringLiteral("/proc/%1/status").arg(process.processId()));
        QVERIFY(status.open(QIODevice::ReadOnly));
        qint64 peakKiB = 0;
        for (const QByteArray &line : status.readAll().split('\n'))
            if (line.startsWith("VmHWM:"))
                peakKiB = line.mid(6).trimmed().split(' ').value(0).toLongLong();
        process.closeWriteChannel();
        QVERIFY(process.waitForFinished(Wait));
        QCOMPARE(process.exitCode(), 0);
        QCOMPARE(out.count('\n'), Lines);
        QVERIFY(out.startsWith("echo 1\necho 2\n"));
        const QByteArray err = process.readAllStandardError();
        QVERIFY2(err.contains("dry run: 100000 tasks, nothing was run"), err.constData());
        qInfo("peak RSS after taking %d arguments (%lld MB) from standard input: %lld KiB", Lines,
              qint64(input.size()) / 1000000, peakKiB);
        QVERIFY(peakKiB > 0);
        QVERIFY2(peakKiB < 40 * 1024, qPrintable(QString::number(peakKiB)));
    }

    // --halt now,fail=1: the first failure cancels the running tasks and what never started;
    // each task ends once and no process is left (cleanup()).
    void haltNowCancelsRunningTasks()
    {
        QElapsedTimer clock;
        clock.start();
        const Run r = run({ "run", "--events", "json", "-j", "3", "--kill-grace", "0.3", "--halt",
                            "now,fail=1", "--", helper(), "{}", ":::", "hang", "hang", "crash",
                            "hang", "hang" });
        QCOMPARE(r.exitCode, 1);
        QVERIFY(clock.elapsed() < 10000); // nobody waited for the hanging tasks
        QCOMPARE(r.eventsOf("failed").size(), 1);
        QCOMPARE(r.eventsOf("failed").first().value("name").toString(), QStringLiteral("crash"));
        QCOMPARE(r.eventsOf("canceled").size(), 4);
        QSet<int> ended;
        for (const QJsonObject &e : r.events()) {
            const QString kind = e.value("event").toString();
            if (kind == "failed" || kind == "canceled" || kind == "finished")
                QVERIFY2(!std::exchange(ended, ended + QSet<int> { e.value("id").toInt() })
                                  .contains(e.value("id").toInt()),
                         "a task ended twice");
        }
        QCOMPARE(ended, (QSet<int> { 1, 2, 3, 4, 5 }));
        QVERIFY2(r.err.contains("halted after 1 task failed (--halt now,fail=1); 5 tasks in "),
                 r.err.constData());
        QVERIFY(r.err.contains("0 finished, 1 failed, 0 timed out, 4 canceled"));
    }

    // soon: running tasks end as they will, nothing new starts; success=N halts with status 0.
    void haltSoonAndOnSuccess()
    {
        const QString notRun = m_dir.filePath("halt-not-run");
        const QString path =
                writeTasks({ taskLine({ "slow-lines", "3", "100" }), taskLine({ "crash" }),
                             taskLine({ "succeed-on", "1", notRun }) });
        Run r = run({ "run", "--events", "json", "-j", "2", "--queue-depth", "1", "--halt",
                      "soon,fail=1", path });
        QCOMPARE(r.exitCode, 1);
        QCOMPARE(r.eventsOf("finished").size(), 1); // the running one was let finish
        QCOMPARE(r.lines().size(), 3);
        const QList<QJsonObject> canceled = r.eventsOf("canceled");
        QCOMPARE(canceled.size(), 1);
        QCOMPARE(canceled.first().value("id").toInt(), 3);
        QCOMPARE(canceled.first().value("attempt").toInt(), 0); // never started
        QVERIFY(!QFile::exists(notRun));
        QVERIFY2(r.err.contains("halted after 1 task failed (--halt soon,fail=1)"),
                 r.err.constData());

        r = run({ "run", "--events", "json", "-j", "2", "--kill-grace", "0.3", "--halt",
                  "now,success=1",
                  writeTasks({ taskLine({ "hang" }), taskLine({ "exit", "0" }) }) });
        QCOMPARE(r.exitCode, 0);
        QCOMPARE(r.eventsOf("finished").size(), 1);
        QCOMPARE(r.eventsOf("canceled").size(), 1);
        QVERIFY2(r.err.contains("halted after 1 task succeeded (--halt now,success=1)"),
                 r.err.constData());
    }

    // --group prints a task's events together when it ends; --keep-order also in input
    // order. The tasks end in reverse order.
    void groupedAndOrderedOutput_data()
    {
        QTest::addColumn<QString>("option");
        QTest::addColumn<QList<int>>("order");
        QTest::newRow("group") << "--group" << QList<int> { 3, 2, 1 };
        QTest::newRow("keep order") << "-k" << QList<int> { 1, 2, 3 };
    }
    void groupedAndOrderedOutput()
    {
        QFETCH(QString, option);
        QFETCH(QList<int>, order);
        const QString path = writeTasks({ taskLine({ "slow-lines", "3", "300" }),
                                          taskLine({ "slow-lines", "3", "150" }),
                                          taskLine({ "slow-lines", "3", "0" }) });
        const Run r = run({ "run", "--events", "json", "-j", "3", option, path });
        QCOMPARE(r.exitCode, 0);
        QList<int> ids;
        for (const QJsonObject &e : r.events()) {
            const int id = e.value("id").toInt();
            if (ids.isEmpty() || ids.constLast() != id)
                ids.append(id);
        }
        QCOMPARE(ids, order); // each task's five events together, never interleaved
        QCOMPARE(r.events().size(), 15);
        // They did end in reverse order: the first took longest.
        const QList<QJsonObject> finished = r.eventsOf("finished");
        QMap<int, int> duration;
        for (const QJsonObject &e : finished)
            duration[e.value("id").toInt()] = e.value("durationMs").toInt();
        QVERIFY(duration[1] > duration[2] && duration[2] > duration[3]);

        // Text events are grouped too, a task's stderr together with the rest of it.
        const Run text =
                run({ "run", "-j", "2", option,
                      writeTasks({ taskLine({ "slow-lines", "2", "200" }, { { "name", "slow" } }),
                                   taskLine({ "mixed" }, { { "name", "quick" } }) }) });
        QCOMPARE(text.exitCode, 0);
        const QList<QByteArray> lines = text.out.split('\n');
        const qsizetype firstSlow = lines.indexOf("[slow] slow 1");
        QVERIFY2(firstSlow > 0 && lines.value(firstSlow + 1) == "[slow] slow 2",
                 text.out.constData());
        QVERIFY(text.err.contains("[quick] err 1\n[quick] err 2\n"));
    }

    // --results DIR: the exact bytes (binary, \r\n, a partial last line), and task.json.
    void resultsDirectory()
    {
        const QString dir = m_dir.filePath("results");
        const QByteArray raw("a\r\nb\x00\xff\xfe\nno newline at the end", 30);
        const QString path = writeTasks(
                { taskLine({ "bytes", QString::fromLatin1(raw.toHex()) }, { { "name", "raw" } }),
                  taskLine({ "err-lines", "2", "e" }), taskLine({ "crash" }),
                  QByteArray("{\"command\": [\"/nonexistent/program\"]}") });
        const Run r = run({ "run", "--events", "none", "-j", "2", "--results", dir, path });
        QCOMPARE(r.exitCode, 1);
        auto read = [&](const QString &name) {
            QFile file(dir + '/' + name);
            if (!file.open(QIODevice::ReadOnly))
                return QByteArray("<missing>");
            return file.readAll();
        };
        QCOMPARE(read("1/stdout"), raw);
        QCOMPARE(read("1/stderr"), QByteArray());
        QCOMPARE(read("2/stdout"), QByteArray());
        QCOMPARE(read("2/stderr"), QByteArray("e 1\ne 2\n"));
        QCOMPARE(read("4/stdout"), QByteArray()); // never started: empty files all the same
        const QJsonObject first = QJsonDocument::fromJson(read("1/task.json")).object();
        QCOMPARE(first.value("id").toInt(), 1);
        QCOMPARE(first.value("descriptor").toObject().value("name").toString(),
                 QStringLiteral("raw"));
        QCOMPARE(first.value("descriptor").toObject().value("command").toArray().at(1).toString(),
                 QStringLiteral("bytes"));
        QCOMPARE(first.value("end").toObject().value("event").toString(),
                 QStringLiteral("finished"));
        const QJsonObject crash = QJsonDocument::fromJson(read("3/task.json")).object();
        QCOMPARE(crash.value("end").toObject().value("exitCode").toInt(), -11);
        const QJsonObject missing = QJsonDocument::fromJson(read("4/task.json")).object();
        QCOMPARE(missing.value("end").toObject().value("event").toString(),
                 QStringLiteral("failed"));
    }

    // --dry-run prints the commands, runs nothing, and still finds errors in the input.
    void dryRun()
    {
        const QString ran = m_dir.filePath("dry-ran");
        Run r = run({ "run", "--dry-run", "--", helper(), "succeed-on", "1", "{}", ":::", ran,
                      "it's" });
        QCOMPARE(r.exitCode, 0);
        QCOMPARE(r.out,
                 QStringLiteral("%1 succeed-on 1 %2\n%1 succeed-on 1 'it'\\''s'\n")
                         .arg(helper(), ran)
                         .toUtf8());
        QVERIFY2(r.err.contains("dry run: 2 tasks, nothing was run"), r.err.constData());
        QVERIFY(!QFile::exists(ran));

        r = run({ "run", "--dry-run", "--events", "json",
                  writeTasks({ taskLine({ "succeed-on", "1", ran }, { { "name", "n" } }) }) });
        QCOMPARE(r.exitCode, 0);
        QCOMPARE(r.events().size(), 1);
        QCOMPARE(r.events().first().value("id").toInt(), 1);
        QCOMPARE(r.events().first().value("name").toString(), QStringLiteral("n"));
        QCOMPARE(r.events().first().value("command").toArray(),
                 QJsonArray::fromStringList({ helper(), "succeed-on", "1", ran }));
        QVERIFY(!QFile::exists(ran));

        r = run({ "run", "--dry-run", "-" },
                taskLine({ "succeed-on", "1", ran }) + "\n{\"command\": 5}\n");
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains("<stdin>:2: \"command\" must be an array"), r.err.constData());
        QVERIFY(!QFile::exists(ran));
    }

    // `status` reads the store while a run writes it (and holds it open).
    void statusDuringARun()
    {
        const QString store = m_dir.filePath("status.db");
        QProcess process;
        prepare(process);
        process.setArguments({ "run", "--events", "json", "-j", "2", "--store", store,
                               "--kill-grace", "0.3",
                               writeTasks({ taskLine({ "hang" }, { { "name", "first" } }),
                                            taskLine({ "hang" }, { { "name", "second" } }),
                                            taskLine({ "exit", "0" }, { { "name", "third" } }),
                                            taskLine({ "exit", "0" },
                                                     { { "name", "fourth" },
                                                       { "after", QJsonArray { "first" } } }) }) });
        process.start();
        StopOnExit stopper { process };
        QVERIFY(process.waitForStarted(Wait));
        QByteArray out;
        QTRY_VERIFY_WITH_TIMEOUT((out += process.readAllStandardOutput()).count("\"ready\"") == 2,
                                 Wait);
        // The store commits at least every 200 ms: the starts show up shortly.
        Run status;
        QTRY_VERIFY_WITH_TIMEOUT(
                (status = run({ "status", "--store", store }))
                        .out.contains("4 tasks: 0 finished, 0 failed, 0 timed out, 0 canceled, "
                                      "2 running, 0 waiting to retry, 1 pending, 1 blocked"),
                Wait);
        QCOMPARE(status.exitCode, 0);
        const QList<QByteArray> lines = status.out.split('\n');
        QVERIFY2(lines.value(0).startsWith("ID") && lines.value(0).contains("NAME"),
                 status.out.constData());
        QVERIFY2(lines.value(1).startsWith("1 ") && lines.value(1).contains(" running ")
                         && lines.value(1).endsWith(" first"),
                 status.out.constData());
        QVERIFY(lines.value(3).contains(" pending ") && lines.value(3).endsWith(" third"));
        // Stored as pending, shown as blocked while "first" has not finished.
        QVERIFY2(lines.value(4).contains(" blocked ") && lines.value(4).endsWith(" fourth"),
                 status.out.constData());

        const Run json = run({ "status", "--store", store, "--json" });
        QCOMPARE(json.exitCode, 0);
        const QList<QJsonObject> tasks = json.events();
        QCOMPARE(tasks.size(), 4);
        QCOMPARE(tasks.at(0).value("state").toString(), QStringLiteral("running"));
        QCOMPARE(tasks.at(0).value("name").toString(), QStringLiteral("first"));
        QCOMPARE(tasks.at(0).value("attempts").toInt(), 1);
        QVERIFY(tasks.at(0).value("startedAt").isString());
        QCOMPARE(tasks.at(2).value("state").toString(), QStringLiteral("pending"));
        QVERIFY(tasks.at(2).value("startedAt").isNull());
        QCOMPARE(tasks.at(3).value("state").toString(), QStringLiteral("blocked"));
        QVERIFY(!tasks.at(0).contains("runMs")); // metrics once a task ended
        QVERIFY2(json.err.contains("4 tasks: "), json.err.constData());

        ::kill(pid_t(process.processId()), SIGINT);
        QVERIFY(process.waitForFinished(Wait));
        QCOMPARE(process.exitCode(), 130);
    }

    // After the run: exit codes, signals and durations of ended tasks.
    void statusAfterARun()
    {
        const QString store = m_dir.filePath("status-after.db");
        const Run r = run({ "run", "--events", "none", "-j", "1", "--store", store,
                            writeTasks({ taskLine({ "lines", "3" }), taskLine({ "exit", "3" }),
                                         taskLine({ "crash" }) }) });
        QCOMPARE(r.exitCode, 1);
        const Run status = run({ "status", "--store", store });
        QCOMPARE(status.exitCode, 0);
        const QList<QByteArray> lines = status.out.split('\n');
        QVERIFY2(lines.value(1).contains(" finished ") && lines.value(2).contains(" failed "),
                 status.out.constData());
        QVERIFY(lines.value(2).contains(" 3 ") && lines.value(3).contains(" SIGSEGV "));
        QVERIFY(status.out.contains("3 tasks: 1 finished, 2 failed"));
        const QList<QJsonObject> json = run({ "status", "--store", store, "--json" }).events();
        QCOMPARE(json.size(), 3);
        QCOMPARE(json.at(1).value("exitCode").toInt(), 3);
        QCOMPARE(json.at(2).value("signal").toString(), QStringLiteral("SIGSEGV"));
        QVERIFY(json.at(0).value("durationMs").toInt() >= 0);
        // The metrics the store holds, under the terminal event's names.
        for (const char *member :
             { "queueMs", "runMs", "stdoutBytes", "stderrBytes", "stdoutLines", "stderrLines" })
            QVERIFY2(json.at(0).value(QLatin1String(member)).isDouble(), member);
        QVERIFY(json.at(0).value("runMs").toInteger()
                <= json.at(0).value("durationMs").toInteger());
        QCOMPARE(json.at(0).value("stdoutLines").toInteger(), 3);
        QCOMPARE(json.at(0).value("stdoutBytes").toInteger(), 21); // "line 1\n" ...
    }

    // A 100,000-line file is validated in a streaming pass, then read lazily while tasks run:
    // the tool's peak memory stays far below the file's size.
    void hugeFileInBoundedMemory()
    {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
        QSKIP("the sanitizer's shadow memory and quarantine inflate RSS; measured in the plain "
              "build");
#endif
        constexpr int Lines = 100000;
        const QString padding(400, QLatin1Char('p')); // 40 MB of task file in all
        QFile file(m_dir.filePath("huge.jsonl"));
        QVERIFY(file.open(QIODevice::WriteOnly));
        for (int i = 0; i < Lines; ++i)
            file.write(taskLine({ "exit", "0" },
                                { { "name", QStringLiteral("%1 %2").arg(i).arg(padding) } })
                       + '\n');
        file.close();
        QVERIFY(file.size() > 40'000'000);

        QProcess process;
        prepare(process);
        process.setArguments(
                { "run", "--events", "none", "--progress", "always", "-j", "2", file.fileName() });
        process.start();
        StopOnExit stopper { process };
        QVERIFY(process.waitForStarted(Wait));
        // Progress lines say how far the run got; wait until a few hundred tasks have ended.
        QByteArray err;
        QTRY_VERIFY_WITH_TIMEOUT(
                [&] {
                    err += process.readAllStandardError();
                    const qsizetype at = err.lastIndexOf("] ");
                    return at >= 0 && err.mid(at + 2).split('/').value(0).toInt() >= 300;
                }(),
                Wait);
        QVERIFY(err.contains("/100000 done")); // the first pass counted every task
        QFile status(QStringLiteral("/proc/%1/status").arg(process.processId()));
        QVERIFY(status.open(QIODevice::ReadOnly));
        qint64 peakKiB = 0;
        for (const QByteArray &line : status.readAll().split('\n'))
            if (line.startsWith("VmHWM:"))
                peakKiB = line.mid(6).trimmed().split(' ').value(0).toLongLong();
        ::kill(pid_t(process.processId()), SIGINT);
        QVERIFY(process.waitForFinished(Wait));
        QCOMPARE(process.exitCode(), 130);
        qInfo("peak RSS after validating %d lines and running 300+ tasks: %lld KiB", Lines,
              peakKiB);
        QVERIFY(peakKiB > 0);
        QVERIFY2(peakKiB < 40 * 1024, qPrintable(QString::number(peakKiB)));
    }
};

QTEST_GUILESS_MAIN(tst_Cli)
#include "tst_cli.moc"
