// SPDX-License-Identifier: MIT
#include "longtimer.h"

#include <algorithm>
#include <climits>
#include <cmath>

namespace TaskConductor {

std::chrono::milliseconds LongTimer::fromSeconds(double seconds)
{
    if (!(seconds > 0)) // NaN too
        return std::chrono::milliseconds(0);
    // Compared before multiplying: a double over 2^63 ms would make llround() undefined.
    const double clamped = std::min(seconds, MaxSeconds);
    return std::chrono::milliseconds(std::llround(clamped * 1000.0));
}

LongTimer::LongTimer(QObject *parent)
    : QObject(parent)
{
    m_timer.setSingleShot(true);
    m_timer.setTimerType(Qt::PreciseTimer); // deadlines: the coarse timer may be 5% late
    connect(&m_timer, &QTimer::timeout, this, &LongTimer::chunkElapsed);
}

void LongTimer::start(std::chrono::milliseconds duration)
{
    m_duration = std::max(duration, std::chrono::milliseconds(0));
    m_clock.start();
    m_active = true;
    armNextChunk();
}

void LongTimer::stop()
{
    m_active = false;
    m_timer.stop();
}

std::chrono::milliseconds LongTimer::remaining() const
{
    if (!m_active)
        return std::chrono::milliseconds(0);
    return std::max(m_duration - std::chrono::milliseconds(m_clock.elapsed()),
                    std::chrono::milliseconds(0));
}

void LongTimer::setChunk(std::chrono::milliseconds chunk)
{
    m_chunk = std::clamp(chunk, std::chrono::milliseconds(1), std::chrono::milliseconds(INT_MAX));
    if (m_active)
        armNextChunk();
}

void LongTimer::armNextChunk()
{
    m_timer.start(int(std::min(remaining(), m_chunk).count()));
}

void LongTimer::chunkElapsed()
{
    if (!m_active)
        return;
    // Each QTimer wait ends at or after its own deadline, so the chain never fires early; the
    // clock, not the sum of waits, decides, so rounding in the chunks adds up to nothing.
    if (remaining().count() > 0)
        return armNextChunk();
    m_active = false;
    Q_EMIT timeout();
}

} // namespace TaskConductor
