// SPDX-License-Identifier: MIT
#include <taskconductor/retrypolicy.h>

#include "longtimer.h"

#include <algorithm>
#include <cmath>

namespace TaskConductor {

std::chrono::milliseconds RetryPolicy::delayAfter(int attempt, double unitRandom) const
{
    const double base = std::max(0.0, delaySeconds);
    const double factor = std::pow(std::max(0.0, backoffMultiplier), std::max(0, attempt - 1));
    // pow() overflows to inf for long retry chains (and 0 * inf is NaN): such a delay is "huge".
    constexpr double hugeSeconds = LongTimer::MaxSeconds;
    double seconds = base == 0 ? 0.0 : base * factor;
    if (!std::isfinite(seconds) || seconds > hugeSeconds)
        seconds = hugeSeconds;
    if (maxDelaySeconds > 0)
        seconds = std::min(seconds, maxDelaySeconds);
    const double jitter = std::max(0.0, jitterSeconds);
    seconds += jitter * (2.0 * std::clamp(unitRandom, 0.0, 1.0) - 1.0);
    // A huge jitter would overflow the conversion to milliseconds: it saturates.
    return LongTimer::fromSeconds(seconds);
}

bool operator==(const RetryPolicy &a, const RetryPolicy &b)
{
    return a.count == b.count && a.delaySeconds == b.delaySeconds
            && a.backoffMultiplier == b.backoffMultiplier && a.maxDelaySeconds == b.maxDelaySeconds
            && a.jitterSeconds == b.jitterSeconds && a.retryOnTimeout == b.retryOnTimeout
            && a.retryExitCodes == b.retryExitCodes && a.retryOnSignal == b.retryOnSignal;
}

} // namespace TaskConductor
