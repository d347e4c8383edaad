// SPDX-License-Identifier: MIT
#pragma once

#include "taskconductorslurm_autotest_export.h"

#include <QtCore/qprocess.h>
#include <QtCore/qstring.h>
#include <QtCore/qstringlist.h>

namespace TaskConductor::SlurmClient {

//! The full path of a Slurm client program, or its bare name if it is not on PATH.
QString program(const char *name);

//! Makes \a process, when started, end with its parent (SIGTERM when this thread's process
//! dies, even by SIGKILL) and lead its own process group (so a terminal's Ctrl-C reaches the
//! host only, which stops Slurm's programs its own way).
void bindToParent(QProcess &process);

//! Runs scancel without waiting: it returns within milliseconds and reports nothing we could
//! act on (an unknown or finished id is not an error to it).
void scancel(const QString &scancelProgram, const QStringList &arguments);

//! Minutes of a Slurm time ("30", "30:00", "2:00:00", "1-12", "1-00:00:00"); -1 for
//! "infinite", "UNLIMITED", "n/a" or anything unreadable.
TASKCONDUCTORSLURM_AUTOTEST_EXPORT int minutesOf(const QString &slurmTime);

//! What sinfo -h -o "%P %C %l" says about one partition.
struct PartitionSize
{
    int usableCpus = -1; //!< allocated + idle (not down or drained); -1 if unknown
    int maxMinutes = -1; //!< the partition's time limit; -1 if none or unknown
};

//! The size of \a partition (empty: the default one, marked '*') in \a sinfoOutput, summed over
//! its lines; for a comma-separated list, the largest of them.
TASKCONDUCTORSLURM_AUTOTEST_EXPORT PartitionSize partitionSize(const QString &sinfoOutput,
                                                               const QString &partition);

//! Whether a pending job's reason (squeue %r) can never clear by waiting: the request exceeds
//! the partition or a per-job limit, or names an account, QOS or constraint it may not use.
TASKCONDUCTORSLURM_AUTOTEST_EXPORT bool reasonIsFinal(const QString &reason);

//! Whether \a arguments set the option \a longName (or its short form \a shortName).
TASKCONDUCTORSLURM_AUTOTEST_EXPORT bool hasOption(const QStringList &arguments,
                                                  const QString &longName,
                                                  const QString &shortName = QString());

} // namespace TaskConductor::SlurmClient
