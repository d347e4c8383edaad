// SPDX-License-Identifier: MIT
#pragma once

#include "taskconductor_autotest_export.h"

#include <QtCore/qglobal.h>

namespace TaskConductor {

//! The resource usage of a child when it exits (CPU time, peak RSS), as wait4() would give it,
//! although QProcess reaps the child itself and keeps that to itself. How, and the limits: see
//! exitusage.cpp. Linux; elsewhere watch() returns -1.
class TASKCONDUCTOR_AUTOTEST_EXPORT ExitUsage
{
public:
    struct Usage
    {
        qint64 cpuMs = -1; //!< user + system, the child and the children it waited for
        qint64 maxRssKb = -1;
    };

    //! Starts watching child \a pid, which must not have exited yet. Returns a ticket for take(),
    //! or -1 when no more children can be watched (or the platform has no way).
    static int watch(qint64 pid);
    //! The usage read when the watched child exited (-1 fields if it was not seen), and the
    //! ticket is free again. Call it once the child was reaped (QProcess::finished).
    static Usage take(int ticket);
};

} // namespace TaskConductor
