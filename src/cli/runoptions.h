// SPDX-License-Identifier: MIT
#pragma once

#include "argumentsource.h"
#include "haltpolicy.h"

#include <taskconductor/brokerconfig.h>

#include <QtCore/qstringlist.h>

namespace TaskConductor {

enum class EventFormat { Text, Json, None };
enum class ProgressMode { Auto, Always, Never };

//! Everything `taskconductor run` was asked to do. A value type, filled by parseRunOptions().
struct RunOptions
{
    BrokerConfig broker; //!< concurrency, queue depth, timeouts, retries, grace, logs, line size
    QString taskFile; //!< "-" for standard input; empty when command is set
    QStringList command; //!< the one task given after "--"
    EventFormat events = EventFormat::Text;
    ProgressMode progress = ProgressMode::Auto;
    QString storePath; //!< empty: no store
    bool fresh = false; //!< --fresh: discard the store's history first
    // What GNU parallel users expect (issue 16).
    QList<ArgumentSpec> argumentSources; //!< ":::" and "::::" after the command; empty: none
    HaltPolicy halt; //!< --halt
    bool group = false; //!< --group: a task's events printed together when it ends
    bool keepOrder = false; //!< --keep-order: grouped, and in input order
    QString resultsDirectory; //!< --results DIR; empty: none
    bool dryRun = false; //!< --dry-run: print each task's argv, run nothing
    qint64 maxTaskLineBytes = 16 * 1024 * 1024; //!< longest task-file or argument-file line
};

//! What the command line asks for.
enum class CommandLineResult {
    Run, //!< options are valid: run
    Exit, //!< --help or --version was printed: exit 0
    UsageError, //!< message is set: exit 2
};

//! Parses \a arguments (argv, program name first) with QCommandLineParser. Prints --help and
//! --version itself; leaves usage errors in \a message.
CommandLineResult parseRunOptions(const QStringList &arguments, RunOptions &options,
                                  QString &message);

} // namespace TaskConductor
