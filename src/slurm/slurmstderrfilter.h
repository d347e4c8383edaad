// SPDX-License-Identifier: MIT
#pragma once

#include "taskconductorslurm_autotest_export.h"

#include <QtCore/qbytearray.h>
#include <QtCore/qbytearrayview.h>
#include <QtCore/qstringlist.h>

#include <functional>

namespace TaskConductor {

//! Separates srun's own messages from a task's stderr. srun -Q still writes its errors (and
//! slurmstepd its notices) into the stream it forwards the task's stderr on: lines that start
//! with "srun: " or "slurmstepd" are kept as messages, every other byte goes to the sink
//! unchanged and as soon as it is known not to start such a line. Pure: no I/O, bounded memory.
class TASKCONDUCTORSLURM_AUTOTEST_EXPORT SlurmStderrFilter
{
public:
    using Sink = std::function<void(QByteArrayView taskBytes)>;

    //! Feeds \a chunk; the task's bytes among it go to \a sink before feed() returns.
    void feed(QByteArrayView chunk, const Sink &sink);
    //! The stream ended: a held partial line is delivered (or kept, if it is srun's).
    void flush(const Sink &sink);
    //! srun's and slurmstepd's lines so far, without line breaks, oldest first (at most 32).
    QStringList messages() const { return m_messages; }
    //! The state srun reported for the task ("Exited with exit code 7", "Segmentation fault"),
    //! from its last "srun: error: NODE: task N: STATE" line; empty if none.
    QString taskState() const { return m_taskState; }

private:
    enum class Line { Undecided, Task, Slurm };
    void decide();
    void keepMessage();

    QByteArray m_line; // the current line while Undecided or Slurm
    Line m_kind = Line::Undecided;
    QStringList m_messages;
    QString m_taskState;
};

} // namespace TaskConductor
