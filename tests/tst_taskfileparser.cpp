// SPDX-License-Identifier: MIT
// TaskFileParser on its own: one line in, a task or an error out.
#include "taskfileparser.h"

#include <QtTest/qtest.h>

using namespace TaskConductor;

class tst_TaskFileParser : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void skipped_data()
    {
        QTest::addColumn<QByteArray>("line");
        QTest::newRow("empty") << QByteArray();
        QTest::newRow("blanks") << QByteArray(" \t \r");
        QTest::newRow("comment") << QByteArray("# {\"command\": 1}");
        QTest::newRow("indented comment") << QByteArray("   #x");
    }
    void skipped()
    {
        QFETCH(QByteArray, line);
        const TaskFileLine parsed = TaskFileParser().parse(line, 7);
        QCOMPARE(parsed.kind, TaskFileLineKind::Skipped);
        QCOMPARE(parsed.lineNumber, 7);
        QVERIFY(parsed.error.isEmpty());
    }

    void everyField()
    {
        RetryPolicy defaults;
        defaults.delaySeconds = 0.25;
        defaults.count = 9;
        const TaskFileLine parsed = TaskFileParser(defaults).parse(
                R"({"command":["/bin/echo","a b"],"env":{"A":"1","B":null},"cwd":"sub",)"
                R"("timeout":2.5,"log":"t.log","retries":2,"name":"n"})"
                "\r",
                3);
        QCOMPARE(parsed.kind, TaskFileLineKind::Task);
        QCOMPARE(parsed.lineNumber, 3);
        const TaskDescriptor &task = parsed.task;
        QCOMPARE(task.command(), (QStringList { "/bin/echo", "a b" }));
        QCOMPARE(task.environment().value("A"), QStringLiteral("1"));
        QCOMPARE(task.unsetEnvironment(), QStringList { "B" });
        QCOMPARE(task.workingDirectory(), QStringLiteral("sub"));
        QCOMPARE(task.timeoutSeconds(), 2.5);
        QCOMPARE(task.perTaskLogPath(), QStringLiteral("t.log"));
        QCOMPARE(task.name(), QStringLiteral("n"));
        QVERIFY(task.retryPolicy().has_value());
        QCOMPARE(task.retryPolicy()->count, 2);
        QCOMPARE(task.retryPolicy()->delaySeconds, 0.25); // the rest comes from the defaults
    }

    void minimalLeavesDefaults()
    {
        const TaskFileLine parsed = TaskFileParser().parse("\xEF\xBB\xBF{\"command\":[\"x\"]}", 1);
        QCOMPARE(parsed.kind, TaskFileLineKind::Task);
        QCOMPARE(parsed.task.timeoutSeconds(), -1.0); // unset: the --timeout option applies
        QVERIFY(!parsed.task.retryPolicy().has_value());
        QVERIFY(parsed.task.workingDirectory().isEmpty());
    }

    void invalid_data()
    {
        QTest::addColumn<QByteArray>("line");
        QTest::addColumn<QString>("error");
        QTest::newRow("bad json") << QByteArray("{\"command\": [\"a\"") << "invalid JSON";
        QTest::newRow("not json") << QByteArray("echo hi") << "invalid JSON at column 1";
        QTest::newRow("array") << QByteArray("[\"a\"]") << "expected a JSON object";
        QTest::newRow("missing command")
                << QByteArray("{\"name\":\"x\"}") << "missing required field \"command\"";
        QTest::newRow("command string") << QByteArray("{\"command\":\"ls -l\"}")
                                        << "\"command\" must be an array of strings, not a string";
        QTest::newRow("command element") << QByteArray("{\"command\":[\"ls\",3]}")
                                         << "\"command\"[1] must be a string, not a number";
        QTest::newRow("empty command") << QByteArray("{\"command\":[]}") << "\"command\" is empty";
        QTest::newRow("empty program") << QByteArray("{\"command\":[\"\"]}") << "the program";
        QTest::newRow("nul") << QByteArray("{\"command\":[\"a\\u0000b\"]}") << "NUL";
        QTest::newRow("env type") << QByteArray("{\"command\":[\"a\"],\"env\":[]}")
                                  << "\"env\" must be an object, not an array";
        QTest::newRow("env value") << QByteArray("{\"command\":[\"a\"],\"env\":{\"A\":1}}")
                                   << "\"env\".\"A\" must be a string or null, not a number";
        QTest::newRow("env name") << QByteArray("{\"command\":[\"a\"],\"env\":{\"A=B\":\"1\"}}")
                                  << "invalid variable name";
        QTest::newRow("cwd type") << QByteArray("{\"command\":[\"a\"],\"cwd\":1}")
                                  << "\"cwd\" must be a string, not a number";
        QTest::newRow("name type") << QByteArray("{\"command\":[\"a\"],\"name\":true}")
                                   << "\"name\" must be a string, not a boolean";
        QTest::newRow("log type") << QByteArray("{\"command\":[\"a\"],\"log\":{}}")
                                  << "\"log\" must be a string, not an object";
        QTest::newRow("timeout string") << QByteArray("{\"command\":[\"a\"],\"timeout\":\"5\"}")
                                        << "\"timeout\" must be a number";
        QTest::newRow("timeout negative") << QByteArray("{\"command\":[\"a\"],\"timeout\":-1}")
                                          << "\"timeout\" must be a number";
        QTest::newRow("retries fraction") << QByteArray("{\"command\":[\"a\"],\"retries\":1.5}")
                                          << "\"retries\" must be a whole number";
        QTest::newRow("retries huge") << QByteArray("{\"command\":[\"a\"],\"retries\":1e9}")
                                      << "\"retries\" must be a whole number";
        QTest::newRow("unknown field")
                << QByteArray("{\"command\":[\"a\"],\"tiemout\":1}") << "unknown field \"tiemout\"";
    }
    void invalid()
    {
        QFETCH(QByteArray, line);
        QFETCH(QString, error);
        const TaskFileLine parsed = TaskFileParser().parse(line, 12);
        QCOMPARE(parsed.kind, TaskFileLineKind::Invalid);
        QCOMPARE(parsed.lineNumber, 12);
        QVERIFY2(parsed.error.contains(error), qPrintable(parsed.error));
    }
};

QTEST_GUILESS_MAIN(tst_TaskFileParser)
#include "tst_taskfileparser.moc"
