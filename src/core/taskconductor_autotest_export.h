// SPDX-License-Identifier: MIT
// Private classes that tests exercise directly (LineSplitter, ProcessMarker, ...) are exported
// only from a library built with its tests, as qtbase's Q_AUTOTEST_EXPORT: the installed library
// exports its public API and nothing else. Not installed.
#pragma once

#include <taskconductor/taskconductor_export.h>

#if defined(TASKCONDUCTOR_AUTOTEST_BUILD)
#define TASKCONDUCTOR_AUTOTEST_EXPORT TASKCONDUCTOR_EXPORT
#else
#define TASKCONDUCTOR_AUTOTEST_EXPORT
#endif
