// SPDX-License-Identifier: MIT
// The QML demo as a user sees it: rendered offscreen, driven by key presses and clicks, checked
// on its items and on the pixels of the grabbed frame. With TC_DEMO_SCREENSHOT=FILE the frame is
// also saved there (that is how docs/qml-demo.png is made).
#include "../testsupport.h"
#include "demowindow.h"

#include <QtCore/qregularexpression.h>
#include <QtCore/qtemporarydir.h>
#include <QtGui/qimage.h>
#include <QtQml/qqmlapplicationengine.h>
#include <QtQuick/qquickitem.h>
#include <QtQuick/qquickwindow.h>
#include <QtTest/qtest.h>

using namespace TestSupport;

namespace {
constexpr int Wait = 10000;

void collect(QQuickItem *item, const QString &objectName, QList<QQuickItem *> *out)
{
    if (item->objectName() == objectName)
        out->append(item);
    const auto children = item->childItems();
    for (QQuickItem *child : children)
        collect(child, objectName, out);
}

// Visual items by objectName, delegates included (they have no QObject parent to search).
QList<QQuickItem *> items(QQuickWindow *window, const QString &objectName)
{
    QList<QQuickItem *> out;
    collect(window->contentItem()->parentItem() ? window->contentItem()->parentItem()
                                                : window->contentItem(),
            objectName, &out);
    return out;
}

QQuickItem *item(QQuickWindow *window, const QString &objectName)
{
    const auto found = items(window, objectName);
    return found.size() == 1 ? found.first() : nullptr;
}

QQuickItem *child(QQuickItem *parent, const QString &objectName)
{
    QList<QQuickItem *> out;
    collect(parent, objectName, &out);
    return out.isEmpty() ? nullptr : out.first();
}

// QTest::keyClicks() takes widgets only; a QWindow gets its keys one by one.
void keyClicks(QWindow *window, const QString &text)
{
    for (const QChar c : text)
        QTest::keyClick(window, c.toLatin1());
}

QString text(QQuickItem *label)
{
    return label ? label->property("text").toString() : QString();
}

// The task rows the list shows, by model row.
QMap<int, QQuickItem *> rowsByIndex(QQuickWindow *window)
{
    QMap<int, QQuickItem *> rows;
    for (QQuickItem *row : items(window, QStringLiteral("taskRow")))
        rows.insert(row->property("index").toInt(), row);
    return rows;
}

QStringList shownStates(QQuickWindow *window)
{
    QStringList states;
    for (QQuickItem *row : rowsByIndex(window))
        states.append(text(child(row, QStringLiteral("stateLabel"))));
    return states;
}

QString chipValue(QQuickWindow *window, const char *chip)
{
    QQuickItem *c = item(window, QString::fromLatin1(chip));
    return c ? text(child(c, QStringLiteral("value"))) : QString();
}

void click(QQuickWindow *window, QQuickItem *target)
{
    QTest::mouseClick(
            window, Qt::LeftButton, {},
            target->mapToScene(QPointF(target->width() / 2, target->height() / 2)).toPoint());
}

// Whether the frame shows \a expected where \a badge starts (its left edge, mid-height).
bool badgeHasColour(const QImage &frame, QQuickWindow *window, QQuickItem *badge,
                    const QColor &expected)
{
    const QPointF probe = badge->mapToScene(QPointF(5, badge->height() / 2));
    const QColor seen = frame.pixelColor((probe * window->devicePixelRatio()).toPoint());
    return qAbs(seen.red() - expected.red()) < 24 && qAbs(seen.green() - expected.green()) < 24
            && qAbs(seen.blue() - expected.blue()) < 24;
}
} // namespace

class tst_QmlDemo : public QObject
{
    Q_OBJECT

private:
    QByteArray m_marker;

    void type(QQuickWindow *window, const QString &command)
    {
        QQuickItem *field = item(window, QStringLiteral("commandField"));
        QVERIFY(field);
        field->forceActiveFocus();
        keyClicks(window, command);
        QTest::keyClick(window, Qt::Key_Return);
        QCOMPARE(field->property("text").toString(), QString()); // accepted: the field clears
    }

private Q_SLOTS:
    void initTestCase() { m_marker = childMarker("tst_qmldemo"); }

    void cleanup() { QTRY_COMPARE_WITH_TIMEOUT(processesWithMarker(m_marker), QList<int>(), Wait); }

    void showsWhatHappens()
    {
        // A binding or script error in the demo is a failure, not a line in the log.
        QTest::failOnWarning(QRegularExpression(QStringLiteral("^qrc:/")));
        QQmlApplicationEngine engine;
        engine.addImportPath(QStringLiteral(TC_QML_IMPORT_DIR)); // the module just built
        QQuickWindow *window = TaskConductorDemo::loadMainWindow(engine, { 2, 2 });
        QVERIFY(window);
        QVERIFY(QTest::qWaitForWindowExposed(window));
        QObject *broker = window->findChild<QObject *>(QStringLiteral("broker"));
        QVERIFY(broker);
        QVariantMap environment;
        addChildMarker(environment, m_marker);
        QVERIFY(broker->setProperty("defaultEnvironment", environment));

        const QString helperCommand = QLatin1Char('"') + helper() + QLatin1String("\" ");
        type(window, helperCommand + QLatin1String("lines 5"));
        type(window, helperCommand + QLatin1String("exit 3"));
        QTRY_COMPARE_WITH_TIMEOUT(shownStates(window), (QStringList { "finished", "failed" }),
                                  Wait);
        type(window, helperCommand + QLatin1String("slow-lines 10000 40"));
        type(window, helperCommand + QLatin1String("hang"));
        type(window, helperCommand + QLatin1String("hang"));
        type(window, helperCommand + QLatin1String("hang"));
        // One too many: the queue holds two. The command stays in the field for another try.
        QQuickItem *field = item(window, QStringLiteral("commandField"));
        field->forceActiveFocus();
        keyClicks(window, helperCommand + QLatin1String("hang"));
        QTest::keyClick(window, Qt::Key_Return);
        QVERIFY(!field->property("text").toString().isEmpty());
        field->setProperty("text", QString());

        QTRY_COMPARE_WITH_TIMEOUT(shownStates(window),
                                  (QStringList { "finished", "failed", "running", "running",
                                                 "pending", "pending", "rejected" }),
                                  Wait);

        // Show the output of the running task that prints, as a user would: click its row.
        QQuickItem *printing = rowsByIndex(window).value(2);
        QVERIFY(printing);
        QTest::mouseClick(window, Qt::LeftButton, {},
                          printing->mapToScene(QPointF(200, 20)).toPoint());
        QQuickItem *outputList = item(window, QStringLiteral("outputList"));
        QVERIFY(outputList);
        QTRY_VERIFY_WITH_TIMEOUT(outputList->property("count").toInt() >= 20, Wait);
        QCOMPARE(text(item(window, QStringLiteral("outputTitle"))),
                 QStringLiteral("Output of task #3"));

        // The header, the progress and the refusal, as shown.
        QCOMPARE(chipValue(window, "runningChip"), QStringLiteral("2"));
        QCOMPARE(chipValue(window, "pendingChip"), QStringLiteral("2"));
        QCOMPARE(chipValue(window, "finishedChip"), QStringLiteral("1"));
        QCOMPARE(chipValue(window, "failedChip"), QStringLiteral("1"));
        QCOMPARE(text(item(window, QStringLiteral("progressLabel"))),
                 QStringLiteral("2 of 6 done  ·  1 failed"));
        QQuickItem *banner = item(window, QStringLiteral("banner"));
        QVERIFY(banner && banner->isVisible());
        QVERIFY2(text(item(window, QStringLiteral("bannerText")))
                         .contains(QLatin1String("Queue full")),
                 qPrintable(text(item(window, QStringLiteral("bannerText")))));

        // The frame: every row lies inside the window and its badge has its state's colour.
        const QImage frame = window->grabWindow();
        QVERIFY(!frame.isNull());
        QCOMPARE(frame.size(), window->size() * window->devicePixelRatio());
        const QByteArray screenshot = qgetenv("TC_DEMO_SCREENSHOT");
        QTemporaryDir dir;
        const QString path = screenshot.isEmpty() ? dir.filePath(QStringLiteral("demo.png"))
                                                  : QString::fromLocal8Bit(screenshot);
        QVERIFY(frame.save(path));
        QCOMPARE(QImage(path).size(), frame.size());
        const QMap<int, QQuickItem *> rows = rowsByIndex(window);
        QCOMPARE(rows.size(), 7);
        const QMap<QString, QColor> colours = {
            { "finished", QColor("#16a34a") }, { "failed", QColor("#dc2626") },
            { "running", QColor("#2563eb") },  { "pending", QColor("#8b93a5") },
            { "rejected", QColor("#9f1239") },
        };
        for (QQuickItem *row : rows) {
            const QRectF box = row->mapRectToScene(QRectF(0, 0, row->width(), row->height()));
            QVERIFY2(QRectF(QPointF(0, 0), window->size()).contains(box),
                     "a task row is outside the window");
            QQuickItem *badge = child(row, QStringLiteral("stateBadge"));
            const QPointF probe = badge->mapToScene(QPointF(5, badge->height() / 2));
            const QColor seen = frame.pixelColor((probe * window->devicePixelRatio()).toPoint());
            const QColor expected = colours.value(text(child(row, QStringLiteral("stateLabel"))));
            QVERIFY2(qAbs(seen.red() - expected.red()) < 24
                             && qAbs(seen.green() - expected.green()) < 24
                             && qAbs(seen.blue() - expected.blue()) < 24,
                     qPrintable(QStringLiteral("badge colour %1, expected %2")
                                        .arg(seen.name(), expected.name())));
        }

        // Cancel buttons: one click ends a pending task.
        QQuickItem *pending = rows.value(4);
        QQuickItem *cancel = child(pending, QStringLiteral("cancelButton"));
        QVERIFY(cancel && cancel->isVisible());
        QTest::mouseClick(
                window, Qt::LeftButton, {},
                cancel->mapToScene(QPointF(cancel->width() / 2, cancel->height() / 2)).toPoint());
        QTRY_COMPARE_WITH_TIMEOUT(text(child(pending, QStringLiteral("stateLabel"))),
                                  QStringLiteral("canceled"), Wait);

        QVERIFY(QMetaObject::invokeMethod(broker, "cancelAll"));
        QTRY_VERIFY_WITH_TIMEOUT(broker->property("idle").toBool(), Wait);

        // "Clear done" empties the list, and the output pane lets go of the task it showed.
        QQuickItem *clear = item(window, QStringLiteral("clearDoneButton"));
        QVERIFY(clear);
        QTRY_VERIFY(clear->isEnabled());
        QTest::mouseClick(
                window, Qt::LeftButton, {},
                clear->mapToScene(QPointF(clear->width() / 2, clear->height() / 2)).toPoint());
        QTRY_COMPARE(item(window, QStringLiteral("taskList"))->property("count").toInt(), 0);
        QCOMPARE(text(item(window, QStringLiteral("outputTitle"))), QStringLiteral("Output"));
        QCOMPARE(outputList->property("count").toInt(), 0);
    }

    // Issue 14: the pause button, the priority choice and "Then run", as a user drives them;
    // the frame of a paused queue with a blocked task.
    void pausedQueueWithABlockedTask()
    {
        QTest::failOnWarning(QRegularExpression(QStringLiteral("^qrc:/")));
        QQmlApplicationEngine engine;
        engine.addImportPath(QStringLiteral(TC_QML_IMPORT_DIR));
        QQuickWindow *window = TaskConductorDemo::loadMainWindow(engine, { 2, 8 });
        QVERIFY(window);
        QVERIFY(QTest::qWaitForWindowExposed(window));
        QObject *broker = window->findChild<QObject *>(QStringLiteral("broker"));
        QVERIFY(broker);
        QVariantMap environment;
        addChildMarker(environment, m_marker);
        QVERIFY(broker->setProperty("defaultEnvironment", environment));

        QQuickItem *pause = item(window, QStringLiteral("pauseButton"));
        QVERIFY(pause);
        QCOMPARE(pause->property("text").toString(), QStringLiteral("Pause"));
        click(window, pause);
        QVERIFY(broker->property("paused").toBool());
        QCOMPARE(pause->property("text").toString(), QStringLiteral("Resume"));
        QVERIFY(text(item(window, QStringLiteral("subtitle"))).contains(QLatin1String("paused")));

        // High priority, chosen with the keyboard.
        QQuickItem *priority = item(window, QStringLiteral("priorityChoice"));
        QVERIFY(priority);
        priority->forceActiveFocus();
        QTest::keyClick(window, Qt::Key_Down);
        QCOMPARE(priority->property("currentValue").toInt(), 5);

        const QString helperCommand = QLatin1Char('"') + helper() + QLatin1String("\" ");
        type(window, helperCommand + QLatin1String("lines 3"));
        QTRY_COMPARE_WITH_TIMEOUT(shownStates(window), QStringList { "pending" }, Wait);
        QQuickItem *first = rowsByIndex(window).value(0);
        QCOMPARE(text(child(first, QStringLiteral("priorityLabel"))),
                 QStringLiteral("▲ priority 5"));
        QCOMPARE(text(child(first, QStringLiteral("detailLabel"))),
                 QStringLiteral("paused: starts on Resume"));

        // "Then run…" on it: the next command waits for it.
        click(window, child(first, QStringLiteral("thenRunButton")));
        QQuickItem *thenBar = item(window, QStringLiteral("thenRunBar"));
        QVERIFY(thenBar && thenBar->isVisible());
        QCOMPARE(text(item(window, QStringLiteral("thenRunText"))),
                 QStringLiteral("The next command runs once #1 tc_helper finished"));
        type(window, helperCommand + QLatin1String("lines 1"));
        QVERIFY(!thenBar->isVisible()); // one command only
        QTRY_COMPARE_WITH_TIMEOUT(shownStates(window), (QStringList { "pending", "blocked" }),
                                  Wait);
        QQuickItem *second = rowsByIndex(window).value(1);
        QCOMPARE(text(child(second, QStringLiteral("detailLabel"))),
                 QStringLiteral("waiting for #1 tc_helper to finish"));
        QCOMPARE(chipValue(window, "pendingChip"), QStringLiteral("1"));
        QCOMPARE(chipValue(window, "blockedChip"), QStringLiteral("1"));
        QCOMPARE(chipValue(window, "runningChip"), QStringLiteral("0"));

        const QImage frame = window->grabWindow();
        QVERIFY(!frame.isNull());
        const QByteArray screenshot = qgetenv("TC_DEMO_SCREENSHOT_PAUSED");
        QTemporaryDir dir;
        QVERIFY(frame.save(screenshot.isEmpty() ? dir.filePath(QStringLiteral("paused.png"))
                                                : QString::fromLocal8Bit(screenshot)));
        QVERIFY(badgeHasColour(frame, window, child(first, QStringLiteral("stateBadge")),
                               QColor("#8b93a5")));
        QVERIFY(badgeHasColour(frame, window, child(second, QStringLiteral("stateBadge")),
                               QColor("#7c3aed")));

        // Resume: the first runs, then the one that waited for it.
        click(window, pause);
        QVERIFY(!broker->property("paused").toBool());
        QTRY_COMPARE_WITH_TIMEOUT(shownStates(window), (QStringList { "finished", "finished" }),
                                  Wait);
        QVERIFY(QMetaObject::invokeMethod(broker, "cancelAll"));
    }
};

QTEST_MAIN(tst_QmlDemo)
#include "tst_qmldemo.moc"
