// SPDX-License-Identifier: MIT
#pragma once

namespace TaskConductor {

//! What one running task costs in file descriptors: QProcess holds about 4 (measured on Qt 6.4).
constexpr int fileDescriptorsPerRunningTask = 4;

//! How many running tasks the soft RLIMIT_NOFILE leaves room for, after the descriptors open
//! now; -1 when there is no limit.
int runningTasksThatFitFdLimit();

} // namespace TaskConductor
