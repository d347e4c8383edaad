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
                R"("timeout":2.5,"log":"t.log","retries":2,"name":"n","priority":-4,"lane":"net",)"
                R"("after":["x","y"]})"
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
        QCOMPARE(task.priority(), -4);
        QCOMPARE(task.lane(), QStringLiteral("net"));
        QCOMPARE(parsed.after, (QStringList { "x", "y" }));
    }

    // Issue 13 item 11: names from the file are printed escaped, never raw ESC or CR.
    void errorsEscapeWhatTheyQuote_data()
    {
        QTest::addColumn<QByteArray>("line");
        QTest::addColumn<QString>("quoted");
        QTest::newRow("unknown field") << QByteArray("{\"command\":[\"a\"],\"x\\u001b[2J\\r\":1}")
                                       << "unknown field \"x\\e[2J\\r\"";
        QTest::newRow("unknown field, raw C1 in UTF-8")
                << QByteArray("{\"command\":[\"a\"],\"x\xc2\x9b\":1}")
                << "unknown field \"x\\u009b\"";
        QTest::newRow("variable name")
                << QByteArray("{\"command\":[\"a\"],\"env\":{\"=\\u202e\":\"\"}}")
                << "invalid variable name \"=\\u202e\"";
        QTest::newRow("env value type")
                << QByteArray("{\"command\":[\"a\"],\"env\":{\"\\u001b\":1}}")
                << "\"env\".\"\\e\" must be a string or null, not a number";
        QTest::newRow("duplicate")
                << QByteArray("{\"command\":[\"a\"],\"env\":{\"\\r\":\"\",\"\\r\":\"\"}}")
                << "key \"\\r\" is given twice";
    }
    void errorsEscapeWhatTheyQuote()
    {
        QFETCH(QByteArray, line);
        QFETCH(QString, quoted);
        const TaskFileLine parsed = TaskFileParser().parse(line, 1);
        QCOMPARE(parsed.kind, TaskFileLineKind::Invalid);
        QVERIFY2(parsed.error.contains(quoted), qPrintable(parsed.error));
        for (const QChar c : parsed.error)
            QVERIFY2(c.unicode() >= 0x20 && c.unicode() != 0x7f
                             && !(c.unicode() >= 0x80 && c.unicode() <= 0x9f)
                             && c.unicode() != 0x202e,
                     qPrintable(parsed.error));
    }

    // The task file reads the one task vocabulary: "retry" as an object, over the defaults.
    void retryObject()
    {
        RetryPolicy defaults;
        defaults.jitterSeconds = 0.5;
        const TaskFileLine parsed = TaskFileParser(defaults).parse(
                R"({"command":["a"],"retry":{"count":3,"delaySeconds":2,"retryOnTimeout":true}})",
                1);
        QCOMPARE(parsed.kind, TaskFileLineKind::Task);
        QCOMPARE(parsed.task.retryPolicy()->count, 3);
        QCOMPARE(parsed.task.retryPolicy()->delaySeconds, 2.0);
        QCOMPARE(parsed.task.retryPolicy()->retryOnTimeout, true);
        QCOMPARE(parsed.task.retryPolicy()->jitterSeconds, 0.5);
    }

    // Keys that repeat only in different objects, or as values, are fine.
    void sameKeyInDifferentObjects()
    {
        const TaskFileLine parsed = TaskFileParser().parse(
                "{\"command\":[\"command\",\"{\\\"command\\\":1}\"],\"env\":{\"command\":\"x\"},"
                "\"name\":\"env\"}",
                1);
        QCOMPARE(parsed.kind, TaskFileLineKind::Task);
        QCOMPARE(parsed.task.environment().value("command"), QStringLiteral("x"));
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
        QTest::newRow("timeout beyond what timers honour")
                << QByteArray("{\"command\":[\"a\"],\"timeout\":1e300}")
                << "\"timeout\" must be a number of seconds from 0 to 1000000000";
        QTest::newRow("retries fraction") << QByteArray("{\"command\":[\"a\"],\"retries\":1.5}")
                                          << "\"retries\" must be a whole number";
        QTest::newRow("retries huge") << QByteArray("{\"command\":[\"a\"],\"retries\":1e9}")
                                      << "\"retries\" must be a whole number";
        // Issue 13 item 12: a key given twice is refused (JSON parsers keep the last).
        QTest::newRow("duplicate command")
                << QByteArray(R"({"command":["echo","safe"],"command":["rm","x"]})")
                << "field \"command\" is given twice";
        QTest::newRow("duplicate, escaped spelling")
                << QByteArray(R"({"command":["a"],"comm\u0061nd":["b"]})")
                << "field \"command\" is given twice";
        QTest::newRow("duplicate env variable")
                << QByteArray(R"({"command":["a"],"env":{"A":"1","B":"2","A":"3"}})")
                << "key \"A\" is given twice in \"env\"";
        QTest::newRow("NUL in an env value")
                << QByteArray(R"({"command":["a"],"env":{"A":"x\u0000y"}})")
                << "\"env\".\"A\" contains a NUL character";
        QTest::newRow("two spellings of one field")
                << QByteArray(R"({"command":["a"],"cwd":"x","workdir":"y"})")
                << "\"cwd\" and \"workdir\" are the same field";
        QTest::newRow("retries and retry")
                << QByteArray(R"({"command":["a"],"retries":1,"retry":{"count":2}})")
                << "both set the retry policy";
        QTest::newRow("retry unknown field")
                << QByteArray(R"({"command":["a"],"retry":{"cuont":2}})")
                << "\"retry\" has an unknown field \"cuont\"";
        QTest::newRow("retry count over the cap")
                << QByteArray(R"({"command":["a"],"retry":{"count":1001}})") << "at most 1000";
        QTest::newRow("priority string") << QByteArray("{\"command\":[\"a\"],\"priority\":\"1\"}")
                                         << "\"priority\" must be a whole number";
        QTest::newRow("priority huge") << QByteArray("{\"command\":[\"a\"],\"priority\":1e10}")
                                       << "\"priority\" must be a whole number";
        QTest::newRow("lane type")
                << QByteArray("{\"command\":[\"a\"],\"lane\":1}") << "\"lane\" must be a string";
        QTest::newRow("after element") << QByteArray("{\"command\":[\"a\"],\"after\":[1]}")
                                       << "\"after\"[0] must be a task name";
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
