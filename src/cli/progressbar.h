// SPDX-License-Identifier: MIT
#pragma once

#include "runcounts.h"

#include <QtCore/qelapsedtimer.h>
#include <QtCore/qobject.h>
#include <QtCore/qtimer.h>

#include <functional>

namespace TaskConductor {

//! One line on stderr, redrawn a few times a second: done/total, running, failed, rate, ETA.
//! Whoever writes to a terminal first calls hide(), so the bar never mixes into other lines.
class ProgressBar : public QObject
{
    Q_OBJECT

public:
    //! \a counts, \a running and \a blocked (tasks waiting for a dependency) are read at each
    //! redraw.
    ProgressBar(const RunCounts *counts, std::function<int()> running,
                std::function<int()> blocked = {}, QObject *parent = nullptr);

    void start();
    //! Erases the bar if it is drawn; the next tick draws it again.
    void hide();
    //! Draws the final state, ends its line and stops redrawing.
    void stop();

    //! The bar's text, e.g. "[#####     ] 50/100 done, 4 running, 1 failed, 12.5/s, ETA 4 s";
    //! ", 3 blocked" follows the running count when tasks wait for their dependencies.
    static QString render(const RunCounts &counts, int running, qint64 elapsedMs, int blocked = 0);

private:
    void draw();

    const RunCounts *m_counts;
    std::function<int()> m_running;
    std::function<int()> m_blocked;
    QTimer m_timer;
    QElapsedTimer m_clock;
    bool m_drawn = false;
};

} // namespace TaskConductor
