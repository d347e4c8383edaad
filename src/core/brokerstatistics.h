// SPDX-License-Identifier: MIT
#pragma once

#include "taskconductor_autotest_export.h"

#include <taskconductor/taskevent.h>
#include <taskconductor/taskmetrics.h>

#include <QtCore/qmutex.h>

#include <array>

namespace TaskConductor {

//! Broker::statistics(): totals of every terminal event, and the queue wait and run time of the
//! last BrokerStatistics::SampleWindow tasks that were launched, in a ring. record() in the
//! Broker's thread, snapshot() from any thread. Pure; unit-tested.
class TASKCONDUCTOR_AUTOTEST_EXPORT StatisticsCollector
{
public:
    //! Counts terminal \a event (anything else is ignored).
    void record(const TaskEvent &event);
    //! The totals and the nearest-rank percentiles of the ring.
    BrokerStatistics snapshot() const;
    //! The nearest-rank \a percent percentile of \a sorted (ascending); 0 when empty.
    static qint64 percentile(const QList<qint64> &sorted, int percent);

private:
    mutable QMutex m_mutex;
    BrokerStatistics m_totals;
    std::array<qint64, BrokerStatistics::SampleWindow> m_queueMs {};
    std::array<qint64, BrokerStatistics::SampleWindow> m_runMs {};
    int m_next = 0; // the ring's next slot
    int m_count = 0; // samples in the ring
};

} // namespace TaskConductor
