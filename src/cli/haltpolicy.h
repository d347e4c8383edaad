// SPDX-License-Identifier: MIT
#pragma once

#include <QtCore/qstring.h>

#include <optional>

namespace TaskConductor {

//! When a run stops early (--halt), as GNU parallel's --halt. A pure value type.
//!
//! "never" (the default); "soon,fail=N": after N failed tasks, start nothing new and let the
//! running ones end; "now,fail=N": cancel the running ones too; "success=N" counts tasks that
//! finished with exit 0 instead. N is a count (at least 1) or a percentage such as "10%": of
//! the tasks in the list when that is known, else of the tasks ended so far.
struct HaltPolicy
{
    enum class When { Never, Soon, Now };
    enum class Trigger { Fail, Success };

    When when = When::Never;
    Trigger trigger = Trigger::Fail;
    qint64 count = 0; //!< tasks; used when percent is 0
    double percent = 0; //!< (0, 100]; 0: count applies

    //! Parses the --halt value; nullopt with \a error if it is not one.
    static std::optional<HaltPolicy> parse(const QString &text, QString &error);

    //! Whether the run halts now: \a failed and \a succeeded tasks ended so far, of \a ended in
    //! all, in a list of \a total tasks (-1: unknown).
    bool reached(qint64 failed, qint64 succeeded, qint64 ended, qint64 total) const;

    //! "2 tasks failed (--halt now,fail=2)": why the run halted, for the summary.
    QString reason(qint64 failed, qint64 succeeded) const;
    //! The policy as written on the command line.
    QString toString() const;
};

} // namespace TaskConductor
