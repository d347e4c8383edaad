// SPDX-License-Identifier: MIT
#pragma once

#include <taskconductor/executor.h>

#include <optional>

namespace TaskConductor {

//! The start failures that can be seen before forking (missing or forbidden working directory
//! or program, an argument list execve() would refuse), worded as QProcess words them; nullopt
//! when the launch may go ahead. \a environment is the child's complete one.
//! \a extraVariable ("NAME=value", or empty) is set over \a environment at the start (the
//! process marker), as exceedsExecLimits() takes it.
//! Whether predictStartFailure() predicts the exec's own failures (the program, the argument
//! list): not where the child execs the task itself, which reports them without QProcess.
enum class ExecFailures { Predict, LeaveToTheChild };

std::optional<ProcessEnd> predictStartFailure(const QStringList &command,
                                              const QString &workingDirectory,
                                              const QProcessEnvironment &environment,
                                              const QString &extraVariable = QString(),
                                              ExecFailures execFailures = ExecFailures::Predict);

//! QProcess's FailedToStart, typed: its errorString() ("chdir: ...", "execvp: ...", "Resource
//! error (fork failure): ...") tells what failed.
ProcessEnd startFailureFromQProcess(const QString &errorString);

} // namespace TaskConductor
