// SPDX-License-Identifier: MIT
// Durations of 2^31 ms and more: the LongTimer on its own (with short chunks, so that a "long"
// wait is tested in milliseconds), and a Broker honouring such timeouts and retry delays.
#include "longtimer.h"
#include "testsupport.h"

#include <QtCore/qelapsedtimer.h>
#include <QtCore/qregularexpression.h>
#include <QtTest/qsignalspy.h>
#include <QtTest/qtest.h>

#include <cmath>
#include <limits>
#include <memory>
#include <vector>

using namespace TaskConductor;
using namespace TestSupport;
using namespace std::chrono_literals;

namespace {
constexpr int Wait = 10000;
// 2,147,484 s is just past QTimer's int range (Qt warned and never fired); 4,294,968 s wraps
// to 704 ms (the timeout fired after 0.7 s).
constexpr double PastIntRangeSeconds = 2147484;
constexpr double WrapsToShortSeconds = 4294968;
} // namespace

class tst_LongTimer : public QObject
{
    Q_OBJECT

private:
    QByteArray m_marker;

private Q_SLOTS:
    void initTestCase() { m_marker = childMarker("tst_longtimer"); }

    void init()
    {
        // Qt says so when it is handed a wrapped interval; that must never happen.
        QTest::failOnWarning(QRegularExpression("Timers cannot have negative intervals"));
    }

    void cleanup() { QTRY_COMPARE_WITH_TIMEOUT(processesWithMarker(m_marker), QList<int>(), Wait); }

    void fromSecondsSaturates_data()
    {
        QTest::addColumn<double>("seconds");
        QTest::addColumn<qint64>("msecs");
        const double inf = std::numeric_limits<double>::infinity();
        QTest::newRow("zero") << 0.0 << qint64(0);
        QTest::newRow("negative") << -5.0 << qint64(0);
        QTest::newRow("NaN") << std::nan("") << qint64(0);
        QTest::newRow("-inf") << -inf << qint64(0);
        QTest::newRow("half a millisecond") << 0.0005 << qint64(1);
        QTest::newRow("1.5 s") << 1.5 << qint64(1500);
        QTest::newRow("past int range") << PastIntRangeSeconds << qint64(2147484000);
        QTest::newRow("wraps to short") << WrapsToShortSeconds << qint64(4294968000);
        QTest::newRow("maximum") << LongTimer::MaxSeconds << qint64(1e12);
        QTest::newRow("beyond maximum") << 1e300 << qint64(1e12);
        QTest::newRow("inf") << inf << qint64(1e12);
    }
    void fromSecondsSaturates()
    {
        QFETCH(double, seconds);
        QFETCH(qint64, msecs);
        QCOMPARE(LongTimer::fromSeconds(seconds).count(), msecs);
    }

    void retryDelaysSaturate_data()
    {
        QTest::addColumn<double>("delay");
        QTest::addColumn<double>("multiplier");
        QTest::addColumn<double>("maxDelay");
        QTest::addColumn<double>("jitter");
        QTest::addColumn<qint64>("msecs");
        const double inf = std::numeric_limits<double>::infinity();
        QTest::newRow("wraps to short")
                << WrapsToShortSeconds << 1.0 << 0.0 << 0.0 << qint64(4294968000);
        QTest::newRow("huge delay") << 1e300 << 1.0 << 0.0 << 0.0 << qint64(1e12);
        QTest::newRow("huge backoff") << 1.0 << 1e300 << 0.0 << 0.0 << qint64(1e12);
        QTest::newRow("huge cap") << 1e300 << 1.0 << 1e300 << 0.0 << qint64(1e12);
        QTest::newRow("huge jitter") << 1.0 << 1.0 << 0.0 << 1e300 << qint64(1e12);
        QTest::newRow("infinite jitter") << 1.0 << 1.0 << 0.0 << inf << qint64(1e12);
    }
    void retryDelaysSaturate()
    {
        QFETCH(double, delay);
        QFETCH(double, multiplier);
        QFETCH(double, maxDelay);
        QFETCH(double, jitter);
        QFETCH(qint64, msecs);
        RetryPolicy retry;
        retry.delaySeconds = delay;
        retry.backoffMultiplier = multiplier;
        retry.maxDelaySeconds = maxDelay;
        retry.jitterSeconds = jitter;
        // unitRandom 1: the largest jitter; 0: the most negative, never below zero.
        QCOMPARE(retry.delayAfter(2, 1.0).count(), msecs);
        QVERIFY(retry.delayAfter(2, 0.0).count() >= 0);
        QVERIFY(retry.delayAfter(2, 0.0).count() <= msecs);
    }

    void shortChunksAddUpToTheWholeDuration()
    {
        LongTimer timer;
        timer.setChunk(7ms);
        QSignalSpy spy(&timer, &LongTimer::timeout);
        QElapsedTimer clock;
        clock.start();
        timer.start(500ms);
        QVERIFY(timer.isActive());
        // Past the first chunks, still waiting.
        QTRY_VERIFY_WITH_TIMEOUT(timer.remaining() < 450ms, Wait);
        QVERIFY(timer.isActive());
        QCOMPARE(spy.count(), 0);
        QTRY_COMPARE_WITH_TIMEOUT(spy.count(), 1, Wait);
        QVERIFY2(clock.elapsed() >= 500, qPrintable(QString::number(clock.elapsed())));
        QVERIFY(!timer.isActive());
        QCOMPARE(timer.remaining(), 0ms);
        QTest::qWait(30); // a few chunks' time: single shot
        QCOMPARE(spy.count(), 1);
    }

    void stopAndRestart()
    {
        LongTimer timer;
        timer.setChunk(5ms);
        QSignalSpy spy(&timer, &LongTimer::timeout);
        timer.start(400ms);
        QTRY_VERIFY_WITH_TIMEOUT(timer.remaining() < 350ms, Wait);
        timer.stop();
        QVERIFY(!timer.isActive());
        QTest::qWait(60);
        QCOMPARE(spy.count(), 0);
        QElapsedTimer clock;
        clock.start();
        timer.start(30ms); // a restart counts from now
        QTRY_COMPARE_WITH_TIMEOUT(spy.count(), 1, Wait);
        QVERIFY(clock.elapsed() >= 30);
        timer.start(-5ms); // negative: due at once, never a wrapped wait
        QTRY_COMPARE_WITH_TIMEOUT(spy.count(), 2, Wait);
    }

    void durationsBeyondTheIntRangeWait()
    {
        // The default chunk; all three at once, so the suite waits once.
        std::vector<std::unique_ptr<LongTimer>> timers;
        std::vector<std::unique_ptr<QSignalSpy>> spies;
        for (double seconds : { PastIntRangeSeconds, WrapsToShortSeconds, LongTimer::MaxSeconds }) {
            timers.push_back(std::make_unique<LongTimer>());
            spies.push_back(std::make_unique<QSignalSpy>(timers.back().get(), &LongTimer::timeout));
            const auto duration = LongTimer::fromSeconds(seconds);
            timers.back()->start(duration);
            QVERIFY(timers.back()->isActive());
            QVERIFY(timers.back()->remaining() > duration - 1s);
        }
        QTest::qWait(800); // the wrapped interval fired after 704 ms
        for (size_t i = 0; i < timers.size(); ++i) {
            QCOMPARE(spies.at(i)->count(), 0);
            QVERIFY(timers.at(i)->isActive());
        }
    }

    void brokerHonoursLongTimeoutsAndRetryDelays()
    {
        BrokerConfig config = testConfig(m_marker);
        config.maxConcurrentTasks = 8;
        Recorder r;
        Broker broker(config);

        // Timeouts that used to fire at once (wrapped) or never (negative): the task outlives
        // the wrapped deadline and finishes.
        QList<TaskId> timed;
        for (double seconds : { PastIntRangeSeconds, WrapsToShortSeconds, 1e300 }) {
            TaskDescriptor task = helperTask({ "slow-lines", "4", "300" });
            task.setTimeoutSeconds(seconds);
            timed.append(broker.enqueue(task, r.handler()));
        }
        // Retry delays: announced as they are, and waited for.
        const auto retryTask = [&](double delaySeconds, double maxDelaySeconds) {
            TaskDescriptor task = helperTask({ "exit", "1" });
            RetryPolicy retry;
            retry.count = 1;
            retry.delaySeconds = delaySeconds;
            retry.maxDelaySeconds = maxDelaySeconds;
            task.setRetryPolicy(retry);
            return broker.enqueue(task, r.handler());
        };
        const TaskId wrapping = retryTask(WrapsToShortSeconds, 0);
        const TaskId thirtyDays = retryTask(30.0 * 24 * 3600, 0);
        const TaskId capped = retryTask(WrapsToShortSeconds, 3e6);

        for (TaskId id : { wrapping, thirtyDays, capped })
            QTRY_VERIFY_WITH_TIMEOUT(r.kinds(id).contains(EventKind::Retrying), Wait);
        for (TaskId id : timed) {
            QTRY_VERIFY_WITH_TIMEOUT(r.ended(id), Wait);
            QCOMPARE(r.kinds(id).count(EventKind::Stdout), 4);
            QCOMPARE(r.terminal(id).kind(), EventKind::Finished);
            QVERIFY(r.exactlyOnce(id));
        }
        QCOMPARE(r.of(wrapping).last().kind(), EventKind::Retrying);
        QCOMPARE(r.of(wrapping).last().delayMs(), qint64(4294968000));
        QCOMPARE(r.of(thirtyDays).last().delayMs(), qint64(2592000000));
        QCOMPARE(r.of(capped).last().delayMs(), qint64(3e9));
        for (TaskId id : { wrapping, thirtyDays, capped }) {
            // Well past the wrapped 704 ms: still waiting, and cancel ends it at once.
            QCOMPARE(r.kinds(id).count(EventKind::Started), 1);
            QCOMPARE(broker.state(id), TaskState::RetryWait);
            QVERIFY(broker.cancel(id));
            QCOMPARE(r.terminal(id).kind(), EventKind::Canceled);
            QVERIFY(r.exactlyOnce(id));
        }
    }
};

QTEST_GUILESS_MAIN(tst_LongTimer)
#include "tst_longtimer.moc"
