// SPDX-License-Identifier: MIT
#pragma once

#include <taskconductor/types.h>

#include <QtCore/qhash.h>
#include <QtCore/qset.h>
#include <QtCore/qstringlist.h>

namespace TaskConductor {

//! The task file's names, in file order, for "after": a name refers to the task of an earlier
//! line; a name that no earlier line has, or that two lines have (once something refers to it),
//! is an error. Pure; used by the validation pass and while running.
class TaskNames
{
public:
    //! The ids of the tasks \a after names; empty \a error unless one is unknown or ambiguous.
    QList<TaskId> resolve(const QStringList &after, QString &error);
    //! \a error if a task named \a name may not come now: the name was given before and
    //! something refers to it.
    void check(const QString &name, QString &error) const;
    //! Task \a id, named \a name (empty: none), was read (after check()).
    void add(const QString &name, TaskId id);

private:
    // Keyed by a 64-bit hash of the name, not the name: a million long names would otherwise
    // stay in memory for the whole run. Two names colliding (about n^2 / 2^65) is negligible.
    static quint64 key(const QString &name);
    QHash<quint64, TaskId> m_ids;
    QSet<quint64> m_twice; // named by more than one line
    QSet<quint64> m_referenced;
};

} // namespace TaskConductor
