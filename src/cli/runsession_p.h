// SPDX-License-Identifier: MIT
#pragma once

// Shared by RunSession's files (runsession.cpp, runsessionvalidation.cpp, runsessionsignals.cpp).

#include <QtCore/qstring.h>

#include <cstdio>

namespace TaskConductor {

//! One line on stderr, after whatever stdout holds, so the two stay in order on a terminal.
inline void printError(const QString &message)
{
    std::fflush(stdout);
    std::fprintf(stderr, "taskconductor: %s\n", qPrintable(message));
    std::fflush(stderr);
}

} // namespace TaskConductor
