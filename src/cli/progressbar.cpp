// SPDX-License-Identifier: MIT
#include "progressbar.h"

#include <cstdio>

namespace TaskConductor {

namespace {
constexpr int RedrawMs = 200;
constexpr int BarWidth = 20;

QString duration(qint64 seconds)
{
    if (seconds >= 3600)
        return QStringLiteral("%1 h %2 min").arg(seconds / 3600).arg(seconds % 3600 / 60);
    if (seconds >= 60)
        return QStringLiteral("%1 min %2 s").arg(seconds / 60).arg(seconds % 60);
    return QStringLiteral("%1 s").arg(seconds);
}
} // namespace

ProgressBar::ProgressBar(const RunCounts *counts, std::function<int()> running,
                         std::function<int()> blocked, QObject *parent)
    : QObject(parent)
    , m_counts(counts)
    , m_running(std::move(running))
    , m_blocked(std::move(blocked))
{
    m_timer.setInterval(RedrawMs);
    connect(&m_timer, &QTimer::timeout, this, &ProgressBar::draw);
}

void ProgressBar::start()
{
    m_clock.start();
    m_timer.start();
    draw();
}

void ProgressBar::hide()
{
    if (!m_drawn)
        return;
    std::fputs("\r\033[K", stderr);
    std::fflush(stderr);
    m_drawn = false;
}

void ProgressBar::stop()
{
    if (!m_timer.isActive())
        return;
    m_timer.stop();
    draw(); // the final state stays on screen, above the summary
    std::fputs("\n", stderr);
    std::fflush(stderr);
    m_drawn = false;
}

void ProgressBar::draw()
{
    std::fflush(stdout); // what was printed before comes before the bar
    std::fprintf(stderr, "\r\033[K%s",
                 qPrintable(render(*m_counts, m_running(), m_clock.elapsed(),
                                   m_blocked ? m_blocked() : 0)));
    std::fflush(stderr);
    m_drawn = true;
}

QString ProgressBar::render(const RunCounts &counts, int running, qint64 elapsedMs, int blocked)
{
    const qint64 done = counts.ended();
    const double rate = elapsedMs > 0 ? double(done) * 1000.0 / double(elapsedMs) : 0.0;
    QString text;
    if (counts.total > 0) {
        const int filled = int(qMin<qint64>(BarWidth, done * BarWidth / counts.total));
        text = QStringLiteral("[%1%2] %3/%4 done")
                       .arg(QString(filled, QLatin1Char('#')),
                            QString(BarWidth - filled, QLatin1Char(' ')))
                       .arg(done)
                       .arg(counts.total);
    } else {
        text = QStringLiteral("%1 done").arg(done);
    }
    text += QStringLiteral(", %1 running").arg(running);
    if (blocked > 0)
        text += QStringLiteral(", %1 blocked").arg(blocked);
    text += QStringLiteral(", %2 failed, %3/s")
                    .arg(counts.failed + counts.timedOut + counts.canceled)
                    .arg(rate, 0, 'f', 1);
    if (counts.total > 0 && rate > 0)
        text += QStringLiteral(", ETA %1").arg(duration(qint64((counts.total - done) / rate)));
    return text;
}

} // namespace TaskConductor
