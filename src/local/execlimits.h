// SPDX-License-Identifier: MIT
#pragma once

#include "taskconductor_autotest_export.h"

#include <QtCore/qprocess.h>
#include <QtCore/qstringlist.h>

namespace TaskConductor {

//! The limits Linux's execve() puts on argv and envp, read once from sysconf().
struct TASKCONDUCTOR_AUTOTEST_EXPORT ExecLimits
{
    qint64 maxStringBytes = 0; //!< one string with its NUL (MAX_ARG_STRLEN: 32 pages)
    qint64 maxTotalBytes = 0; //!< all strings with their NULs plus one pointer each (ARG_MAX)

    //! This host's limits: 32 × sysconf(_SC_PAGESIZE) and sysconf(_SC_ARG_MAX). The latter
    //! reads RLIMIT_STACK, a system call.
    static ExecLimits current();
    //! Limits every Linux host has whatever its RLIMIT_STACK: 32 pages and 128 KiB. What fits in
    //! these fits in current(), without asking the kernel.
    static ExecLimits guaranteed();
};

//! True only if execve() of \a argv with \a environment certainly fails with E2BIG under
//! \a limits. Never true for what execve() would accept: sizes are counted as the kernel counts
//! them or less (e.g. without the program path it copies too), so a doubtful case goes on to
//! exec() and fails there, if at all. \a extraVariable ("NAME=value", or empty) is set over
//! \a environment (the process marker): so \a environment can stay shared between tasks, and
//! its size, the costly part (two thirds of the library's own CPU per spawn), is counted once
//! and remembered per thread while the same environment comes back. Unit-tested.
TASKCONDUCTOR_AUTOTEST_EXPORT bool exceedsExecLimits(const QStringList &argv,
                                                     const QProcessEnvironment &environment,
                                                     const ExecLimits &limits,
                                                     const QString &extraVariable = QString());

} // namespace TaskConductor
