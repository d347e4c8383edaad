// SPDX-License-Identifier: MIT
#pragma once

#include <taskconductor/taskconductor_export.h>

#include <QtCore/qlist.h>
#include <QtCore/qobjectdefs.h>

#include <chrono>

namespace TaskConductor {

//! When and how often a failed task runs again. A value type; pure, no timers in it.
struct TASKCONDUCTOR_EXPORT RetryPolicy
{
    Q_GADGET
    Q_PROPERTY(int count MEMBER count)
    Q_PROPERTY(double delaySeconds MEMBER delaySeconds)
    Q_PROPERTY(double backoffMultiplier MEMBER backoffMultiplier)
    Q_PROPERTY(double maxDelaySeconds MEMBER maxDelaySeconds)
    Q_PROPERTY(double jitterSeconds MEMBER jitterSeconds)
    Q_PROPERTY(bool retryOnTimeout MEMBER retryOnTimeout)
    Q_PROPERTY(QList<int> retryExitCodes MEMBER retryExitCodes)
    Q_PROPERTY(bool retryOnSignal MEMBER retryOnSignal)

public:
    //! How many times a task runs again after a non-zero exit or crash (0: never).
    int count = 0;
    //! The delay before the first retry.
    double delaySeconds = 1.0;
    //! Each further retry waits this factor longer than the one before.
    double backoffMultiplier = 1.0;
    //! Cap of the delay before jitter is applied (0: no cap).
    double maxDelaySeconds = 300.0;
    //! The delay moves by a uniform random amount in [-jitter, +jitter], never below zero.
    double jitterSeconds = 0.0;
    //! A task that timed out is retried too (by default a timeout is final).
    bool retryOnTimeout = false;
    //! When not empty, only an exit with one of these codes is retried; other failing codes
    //! end the task at once (empty: every failing code is retried).
    QList<int> retryExitCodes;
    //! A crash (a signal ended the process) is retried too.
    bool retryOnSignal = true;

    //! Whether a failed attempt that exited with \a exitCode may be retried (count aside).
    bool retriesExitCode(int exitCode) const
    {
        return retryExitCodes.isEmpty() || retryExitCodes.contains(exitCode);
    }

    //! Delay before the run that follows failed attempt \a attempt (1-based), given a uniform
    //! random number \a unitRandom in [0, 1):
    //! min(delay * multiplier^(attempt-1), maxDelay) + jitter * (2 * unitRandom - 1), at least 0
    //! and at most 1e9 s (about 31.7 years; anything longer, infinity included, counts as that).
    std::chrono::milliseconds delayAfter(int attempt, double unitRandom) const;

    friend TASKCONDUCTOR_EXPORT bool operator==(const RetryPolicy &a, const RetryPolicy &b);
    friend bool operator!=(const RetryPolicy &a, const RetryPolicy &b) { return !(a == b); }
};

} // namespace TaskConductor
