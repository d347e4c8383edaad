// SPDX-License-Identifier: MIT
#include "brokerstatistics.h"

#include <algorithm>
#include <cmath>

namespace TaskConductor {

void StatisticsCollector::record(const TaskEvent &event)
{
    const std::optional<Outcome> outcome = event.outcome();
    if (!outcome || event.taskId() == 0)
        return;
    const TaskMetrics m = event.metrics();
    QMutexLocker lock(&m_mutex);
    ++m_totals.ended;
    switch (*outcome) {
    case Outcome::Finished:
        ++m_totals.finished;
        break;
    case Outcome::Failed:
        ++m_totals.failed;
        break;
    case Outcome::TimedOut:
        ++m_totals.timedOut;
        break;
    case Outcome::Canceled:
        ++m_totals.canceled;
        break;
    case Outcome::Rejected:
        ++m_totals.rejected;
        break;
    }
    m_totals.totalRunMs += m.runMs;
    m_totals.totalCpuMs += std::max<qint64>(0, m.cpuMs);
    m_totals.totalStdoutBytes += m.stdoutBytes;
    m_totals.totalStderrBytes += m.stderrBytes;
    if (event.attempt() == 0) // never left the queue: no wait to a start, no run
        return;
    m_queueMs[m_next] = m.queueMs;
    m_runMs[m_next] = m.runMs;
    m_next = (m_next + 1) % BrokerStatistics::SampleWindow;
    m_count = std::min(m_count + 1, BrokerStatistics::SampleWindow);
}

qint64 StatisticsCollector::percentile(const QList<qint64> &sorted, int percent)
{
    if (sorted.isEmpty())
        return 0;
    const auto rank = qsizetype(std::ceil(percent / 100.0 * double(sorted.size())));
    return sorted.at(std::clamp<qsizetype>(rank - 1, 0, sorted.size() - 1));
}

BrokerStatistics StatisticsCollector::snapshot() const
{
    QList<qint64> queue, run;
    BrokerStatistics s;
    {
        QMutexLocker lock(&m_mutex);
        s = m_totals;
        queue = QList<qint64>(m_queueMs.begin(), m_queueMs.begin() + m_count);
        run = QList<qint64>(m_runMs.begin(), m_runMs.begin() + m_count);
    }
    std::sort(queue.begin(), queue.end());
    std::sort(run.begin(), run.end());
    s.sampleCount = int(queue.size());
    s.queueMsP50 = percentile(queue, 50);
    s.queueMsP90 = percentile(queue, 90);
    s.queueMsP99 = percentile(queue, 99);
    s.runMsP50 = percentile(run, 50);
    s.runMsP90 = percentile(run, 90);
    s.runMsP99 = percentile(run, 99);
    return s;
}

} // namespace TaskConductor
