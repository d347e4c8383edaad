// SPDX-License-Identifier: MIT
#pragma once

#include <QtCore/qstringlist.h>

namespace TaskConductor {

//! `taskconductor status --store FILE [--json]`: one line per task of the store (id, state,
//! attempts, exit code or signal, duration, start time, name) and a counts line; with --json
//! one object per task and nothing else on stdout. Opens the store read-only, so it reads a
//! store that a run is writing, without waiting for it or taking its lock. \a arguments is
//! argv, program name first. Returns the exit status: 0, or 2 (usage error, unreadable store).
int runStatusCommand(const QStringList &arguments);

} // namespace TaskConductor
