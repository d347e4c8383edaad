// SPDX-License-Identifier: MIT
#pragma once

#include <taskconductor/taskconductor_export.h>

#include <QtCore/qelapsedtimer.h>
#include <QtCore/qobject.h>
#include <QtCore/qtimer.h>

#include <chrono>

namespace TaskConductor {

//! A precise single-shot timer for any duration. QTimer takes its interval as an int of
//! milliseconds (about 24.8 days) and silently misfires beyond it, so a longer wait is a chain of
//! shorter QTimer waits, each measured against one monotonic clock started by start().
class TASKCONDUCTOR_EXPORT LongTimer final : public QObject
{
    Q_OBJECT

public:
    //! Longest duration a seconds value converts to (1e9 s, about 31.7 years: "never").
    static constexpr double MaxSeconds = 1e9;
    //! Seconds to milliseconds, rounded, saturating: NaN and negatives give 0, anything above
    //! MaxSeconds (infinity included) gives MaxSeconds. Never overflows.
    static std::chrono::milliseconds fromSeconds(double seconds);

    explicit LongTimer(QObject *parent = nullptr);

    //! (Re)starts the countdown: timeout() is emitted once, \a duration from now (negative: 0),
    //! never earlier, whatever the duration.
    void start(std::chrono::milliseconds duration);
    //! No timeout() until the next start().
    void stop();
    bool isActive() const { return m_active; }
    //! Time left until timeout(); 0 when inactive or due.
    std::chrono::milliseconds remaining() const;

    //! The longest single QTimer wait of the chain (default 24 h; clamped to [1 ms, INT_MAX ms]).
    //! Tests make it short, so that a "long" duration is tested in milliseconds.
    void setChunk(std::chrono::milliseconds chunk);
    std::chrono::milliseconds chunk() const { return m_chunk; }

Q_SIGNALS:
    void timeout();

private:
    void armNextChunk();
    void chunkElapsed();

    QTimer m_timer;
    QElapsedTimer m_clock; // monotonic
    std::chrono::milliseconds m_duration { 0 };
    std::chrono::milliseconds m_chunk { std::chrono::hours(24) };
    bool m_active = false;
};

} // namespace TaskConductor
