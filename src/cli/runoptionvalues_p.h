// SPDX-License-Identifier: MIT
#pragma once

// Private to parseRunOptions(): the readers of option values (runoptionvalues.cpp).

#include "runoptions.h"

#include <QtCore/qcommandlineparser.h>

#include <optional>

namespace TaskConductor {

struct NumberOption
{
    QCommandLineOption *option;
    double minimum;
    double maximum;
    bool whole;
};

//! The value of \a n, if set and valid; else nullopt, with the first problem in \a message.
std::optional<double> readNumber(const QCommandLineParser &parser, const NumberOption &n,
                                 QString &message);
//! Moves the ":::" and "::::" groups at the end of the command into argument sources.
bool splitArgumentSources(RunOptions &options, QString &message);

} // namespace TaskConductor
