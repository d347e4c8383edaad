// SPDX-License-Identifier: MIT
#pragma once

namespace TaskConductor {

//! What one running task costs in file descriptors: QProcess holds about 4 (measured on Qt 6.4),
//! and a per-task log one more.
constexpr int fileDescriptorsPerRunningTask = 5;
//! What a start needs on top while QProcess forks (its stdin file, the start-up pipe, the child's
//! ends of the output pipes), and what the host keeps in reserve for its own files.
constexpr int fileDescriptorsToStartATask = 4 + 4;

//! The soft RLIMIT_NOFILE; -1 when there is none.
long fileDescriptorLimit();
//! The descriptors this process has open now (0 when /proc cannot tell).
long openFileDescriptors();
//! How many running tasks the soft RLIMIT_NOFILE leaves room for, after the descriptors open
//! now; -1 when there is no limit.
int runningTasksThatFitFdLimit();
//! Whether one more task can start now without running out of descriptors.
bool anotherTaskFitsFdLimit();

} // namespace TaskConductor
