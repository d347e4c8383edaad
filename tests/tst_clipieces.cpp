// SPDX-License-Identifier: MIT
// The CLI's pure pieces, directly: replacement strings, --halt, grouped output, the product of
// argument sources.
#include "argumentsource.h"
#include "commandtemplate.h"
#include "groupedoutput.h"
#include "haltpolicy.h"

#include <QtCore/qtemporarydir.h>
#include <QtTest/qtest.h>

using namespace TaskConductor;

class tst_CliPieces : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void replacementStrings_data()
    {
        QTest::addColumn<QString>("entry");
        QTest::addColumn<QString>("argument");
        QTest::addColumn<QString>("expected");
        const QString a = QStringLiteral("dir/sub/file.tar.gz");
        const QString s = QStringLiteral("my dir/my file.txt");
        const QString n = QStringLiteral("noext");
        const QString d = QStringLiteral(".config/.bashrc");
        QTest::newRow("{} path") << "{}" << a << a;
        QTest::newRow("{.} path") << "{.}" << a << "dir/sub/file.tar";
        QTest::newRow("{/} path") << "{/}" << a << "file.tar.gz";
        QTest::newRow("{//} path") << "{//}" << a << "dir/sub";
        QTest::newRow("{/.} path") << "{/.}" << a << "file.tar";
        QTest::newRow("{} spaces") << "{}" << s << s;
        QTest::newRow("{.} spaces") << "{.}" << s << "my dir/my file";
        QTest::newRow("{/} spaces") << "{/}" << s << "my file.txt";
        QTest::newRow("{//} spaces") << "{//}" << s << "my dir";
        QTest::newRow("{/.} spaces") << "{/.}" << s << "my file";
        QTest::newRow("{.} no extension") << "{.}" << n << n;
        QTest::newRow("{/} no directory") << "{/}" << n << n;
        QTest::newRow("{//} no directory") << "{//}" << n << ".";
        QTest::newRow("{/.} no extension") << "{/.}" << n << n;
        QTest::newRow("{.} dot file") << "{.}" << d << d;
        QTest::newRow("{/.} dot file") << "{/.}" << d << ".bashrc";
        QTest::newRow("{.} dot in directory") << "{.}"
                                              << "a.d/file"
                                              << "a.d/file";
        QTest::newRow("{//} root") << "{//}"
                                   << "/file"
                                   << "/";
        QTest::newRow("{//} trailing slash") << "{//}"
                                             << "a/b/"
                                             << "a";
        QTest::newRow("inside a word") << "--out={.}.jpg"
                                       << "img/a.png"
                                       << "--out=img/a.jpg";
        QTest::newRow("twice") << "{}:{}"
                               << "x"
                               << "x:x";
        QTest::newRow("{1}") << "{1}" << a << a;
        QTest::newRow("{1.}") << "{1.}" << a << "dir/sub/file.tar";
        QTest::newRow("{1/.}") << "{1/.}" << a << "file.tar";
        QTest::newRow("{#}") << "n{#}"
                             << "x"
                             << "n7";
        QTest::newRow("literal {{}}") << "{{}}"
                                      << "x"
                                      << "{}";
        QTest::newRow("literal {{.}}") << "a{{.}}b"
                                       << "x"
                                       << "a{.}b";
        QTest::newRow("other braces stay") << "{foo}{"
                                           << "x"
                                           << "{foo}{";
        QTest::newRow("json stays") << R"({"a": 1})"
                                    << "x"
                                    << R"({"a": 1})";
    }
    void replacementStrings()
    {
        QFETCH(QString, entry);
        QFETCH(QString, argument);
        QFETCH(QString, expected);
        const CommandTemplate command({ "prog", entry });
        const QStringList argv = command.expand({ argument }, 7);
        QCOMPARE(argv.value(0), QStringLiteral("prog"));
        QCOMPARE(argv.value(1), expected);
        // Without a replacement string, the argument is appended.
        QCOMPARE(argv.size(), command.hasReplacements() ? 2 : 3);
    }

    void argumentsAreAppendedWithoutReplacementStrings()
    {
        const CommandTemplate plain({ "gzip", "-9" });
        QVERIFY(!plain.hasReplacements());
        QCOMPARE(plain.expand({ "a b", "c" }, 1), (QStringList { "gzip", "-9", "a b", "c" }));
        // A literal {} is no replacement string: the arguments are still appended.
        const CommandTemplate literal({ "find", ".", "-exec", "x", "{{}}" });
        QVERIFY(!literal.hasReplacements());
        QCOMPARE(literal.expand({ "a" }, 1),
                 (QStringList { "find", ".", "-exec", "x", "{}", "a" }));
    }

    void severalSources()
    {
        const CommandTemplate command({ "p", "{2}-{1}", "{}", "{/}", "{3}" });
        QCOMPARE(command.highestSourceIndex(), 3);
        QCOMPARE(command.expand({ "d/a.x", "b" }, 1),
                 (QStringList { "p", "b-d/a.x", "d/a.x b", "a.x b", "" }));
        QCOMPARE(CommandTemplate::name({ "d/a.x", "b" }), QStringLiteral("d/a.x b"));
    }

    void haltParsing_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<bool>("valid");
        QTest::addColumn<QString>("roundTrip");
        QTest::newRow("never") << "never" << true << "never";
        QTest::newRow("soon fail") << "soon,fail=2" << true << "soon,fail=2";
        QTest::newRow("now fail") << "now,fail=1" << true << "now,fail=1";
        QTest::newRow("now success") << "now,success=3" << true << "now,success=3";
        QTest::newRow("percent") << "soon,fail=10%" << true << "soon,fail=10%";
        QTest::newRow("zero") << "now,fail=0" << false << "";
        QTest::newRow("negative") << "now,fail=-1" << false << "";
        QTest::newRow("percent over 100") << "now,fail=101%" << false << "";
        QTest::newRow("bad when") << "later,fail=1" << false << "";
        QTest::newRow("bad trigger") << "now,done=1" << false << "";
        QTest::newRow("missing count") << "now,fail" << false << "";
        QTest::newRow("parallel's old form") << "2" << false << "";
    }
    void haltParsing()
    {
        QFETCH(QString, text);
        QFETCH(bool, valid);
        QFETCH(QString, roundTrip);
        QString error;
        const std::optional<HaltPolicy> policy = HaltPolicy::parse(text, error);
        QCOMPARE(policy.has_value(), valid);
        QCOMPARE(error.isEmpty(), valid);
        if (valid)
            QCOMPARE(policy->toString(), roundTrip);
        else
            QVERIFY2(error.startsWith("--halt: "), qPrintable(error));
    }

    void haltReached()
    {
        QString error;
        const HaltPolicy twoFailures = *HaltPolicy::parse("soon,fail=2", error);
        QVERIFY(!twoFailures.reached(1, 10, 11, -1));
        QVERIFY(twoFailures.reached(2, 0, 2, -1));
        const HaltPolicy success = *HaltPolicy::parse("now,success=1", error);
        QVERIFY(!success.reached(5, 0, 5, 10));
        QVERIFY(success.reached(0, 1, 1, 10));
        const HaltPolicy percent = *HaltPolicy::parse("now,fail=10%", error);
        QVERIFY(!percent.reached(0, 3, 3, 100));
        QVERIFY(!percent.reached(9, 0, 9, 100)); // of the known total
        QVERIFY(percent.reached(10, 0, 10, 100));
        QVERIFY(percent.reached(1, 9, 10, -1)); // of the tasks ended so far
        QVERIFY(!percent.reached(1, 10, 11, -1));
        QVERIFY(!HaltPolicy().reached(100, 0, 100, 100));
        QCOMPARE(twoFailures.reason(2, 0),
                 QStringLiteral("halted after 2 tasks failed (--halt soon,fail=2)"));
    }

    void groupedOutput_data()
    {
        QTest::addColumn<bool>("keepOrder");
        QTest::addColumn<QStringList>("expected");
        // Three tasks interleave and end in reverse order.
        QTest::newRow("group") << false << QStringList { "3 a",   "3 end", "2 a", "2 b",
                                                         "2 end", "1 a",   "1 b", "1 end" };
        QTest::newRow("keep order") << true << QStringList { "1 a", "1 b",   "1 end", "2 a",
                                                             "2 b", "2 end", "3 a",   "3 end" };
    }
    void groupedOutput()
    {
        QFETCH(bool, keepOrder);
        QFETCH(QStringList, expected);
        QStringList printed;
        GroupedOutput grouped(keepOrder, [&](const TaskEvent &event, const QString &name) {
            printed.append(name
                           + (event.isTerminal() ? QStringLiteral(" end") : u' ' + event.line()));
        });
        auto line = [](TaskId id, const char *text) {
            return TaskEvent::output(id, 1, OutputChannel::Stdout, QString::fromUtf8(text));
        };
        auto end = [](TaskId id) { return TaskEvent::finished(id, 1, 1); };
        grouped.add(1, line(1, "a"), "1");
        grouped.add(2, line(2, "a"), "2");
        grouped.add(3, line(3, "a"), "3");
        grouped.add(2, line(2, "b"), "2");
        grouped.add(1, line(1, "b"), "1");
        grouped.add(3, end(3), "3");
        QCOMPARE(grouped.heldEvents(), keepOrder ? 6 : 4);
        grouped.add(2, end(2), "2");
        grouped.add(1, end(1), "1");
        QCOMPARE(printed, expected);
        QCOMPARE(grouped.heldEvents(), 0);
    }

    // An input position that will have no events does not hold the later ones back.
    void keepOrderSkips()
    {
        QStringList printed;
        GroupedOutput grouped(
                true, [&](const TaskEvent &, const QString &name) { printed.append(name); });
        grouped.add(2, TaskEvent::finished(5, 1, 1), "second");
        QVERIFY(printed.isEmpty());
        grouped.skip(1);
        QCOMPARE(printed, QStringList { "second" });
        grouped.add(0, TaskEvent::finished(9, 1, 1), "resumed"); // outside the order
        QCOMPARE(printed, (QStringList { "second", "resumed" }));
    }

    void argumentProduct()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        QFile inner(dir.filePath("inner"));
        QVERIFY(inner.open(QIODevice::WriteOnly));
        inner.write("x y\n\nz"); // an empty line is an empty argument; the last has no '\n'
        inner.close();
        QFile outer(dir.filePath("outer"));
        QVERIFY(outer.open(QIODevice::WriteOnly));
        outer.write("1\n2\n");
        outer.close();

        ArgumentSpec list;
        list.values = QStringList { "a", "b" };
        ArgumentSpec innerFile;
        innerFile.path = inner.fileName();
        ArgumentSpec outerFile;
        outerFile.path = outer.fileName();

        auto all = [](ArgumentProduct &product) {
            QList<QStringList> out;
            QStringList arguments;
            ArgumentProduct::Status status;
            while ((status = product.next(arguments)) == ArgumentProduct::Status::Arguments)
                out.append(arguments);
            if (status != ArgumentProduct::Status::End)
                qFatal("product did not end: %s", qPrintable(product.errorString()));
            return out;
        };
        ArgumentProduct listFirst({ list, innerFile }, 100);
        QVERIFY(listFirst.open());
        QCOMPARE(listFirst.total(), 6);
        QCOMPARE(all(listFirst),
                 (QList<QStringList> { { "a", "x y" },
                                       { "a", "" },
                                       { "a", "z" },
                                       { "b", "x y" },
                                       { "b", "" },
                                       { "b", "z" } }));
        ArgumentProduct fileFirst({ outerFile, list }, 100);
        QVERIFY(fileFirst.open());
        QCOMPARE(fileFirst.total(), -1);
        QCOMPARE(all(fileFirst),
                 (QList<QStringList> { { "1", "a" }, { "1", "b" }, { "2", "a" }, { "2", "b" } }));

        ArgumentSpec empty;
        ArgumentProduct withEmpty({ list, empty }, 100);
        QVERIFY(withEmpty.open());
        QCOMPARE(all(withEmpty), QList<QStringList>());

        ArgumentProduct tooLong({ list, innerFile }, 2);
        QVERIFY(!tooLong.open());
        QVERIFY2(tooLong.errorString().contains(":1: line longer than --max-task-line-bytes"),
                 qPrintable(tooLong.errorString()));
        ArgumentSpec missing;
        missing.path = dir.filePath("missing");
        ArgumentProduct notThere({ missing }, 100);
        QVERIFY(!notThere.open());
        QVERIFY(notThere.errorString().contains("cannot open"));
    }
};

QTEST_GUILESS_MAIN(tst_CliPieces)
#include "tst_clipieces.moc"
