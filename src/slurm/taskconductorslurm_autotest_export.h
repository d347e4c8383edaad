// SPDX-License-Identifier: MIT
// As TASKCONDUCTOR_AUTOTEST_EXPORT (src/core/taskconductor_autotest_export.h), for the Slurm
// target's private classes. Not installed.
#pragma once

#include <taskconductor/taskconductorslurm_export.h>

#if defined(TASKCONDUCTOR_AUTOTEST_BUILD)
#define TASKCONDUCTORSLURM_AUTOTEST_EXPORT TASKCONDUCTORSLURM_EXPORT
#else
#define TASKCONDUCTORSLURM_AUTOTEST_EXPORT
#endif
