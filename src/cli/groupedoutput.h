// SPDX-License-Identifier: MIT
#pragma once

#include <taskconductor/taskevent.h>

#include <QtCore/qhash.h>
#include <QtCore/qlist.h>
#include <QtCore/qstring.h>

#include <functional>

namespace TaskConductor {

//! --group and --keep-order: holds each task's events until its terminal event, then releases
//! them together, so that no other task's lines come in between. With keepOrder, tasks are
//! released in input order (their ordinal, from 1): a task that ends early waits for every
//! task before it. Memory: a task's output is held until it ends (and, with keepOrder, until
//! the tasks before it ended), as GNU parallel does; use --results for unbounded output.
class GroupedOutput
{
public:
    //! Receives the released events, in order.
    using Print = std::function<void(const TaskEvent &event, const QString &name)>;

    GroupedOutput(bool keepOrder, Print print);

    //! An event of the task with input position \a ordinal (1-based; 0: outside the input,
    //! e.g. resumed from a store, never waited for).
    void add(qint64 ordinal, const TaskEvent &event, const QString &name);
    //! Input position \a ordinal will have no events (e.g. an earlier run finished it).
    void skip(qint64 ordinal);
    //! Releases whatever is held, in order (the run is over, or being stopped).
    void flushAll();
    //! Events held now (for tests and memory checks).
    qsizetype heldEvents() const;

private:
    struct Held
    {
        QList<TaskEvent> events;
        QString name;
        bool done = false;
    };
    void release(Held &held);
    void releaseInOrder();

    bool m_keepOrder;
    Print m_print;
    QHash<qint64, Held> m_held; //!< by ordinal; ordinal 0 tasks by -task id
    qint64 m_nextToRelease = 1; //!< keepOrder: the first ordinal not yet released
};

} // namespace TaskConductor
