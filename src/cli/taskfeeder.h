// SPDX-License-Identifier: MIT
#pragma once

#include "tasksource.h"

#include <QtCore/qobject.h>

#include <functional>
#include <memory>

namespace TaskConductor {

class Broker;

//! Reads task lines and hands the tasks on, never letting more than \a window tasks be in the
//! Broker at once (running, pending, blocked or waiting to retry): the backpressure that keeps a
//! task file of any length in bounded memory. Reads more whenever the Broker's counts change.
class TaskFeeder : public QObject
{
    Q_OBJECT

public:
    //! Called for each valid task, in file order, with the line it came from; it is expected to
    //! enqueue it on \a broker.
    using Enqueue = std::function<void(const TaskFileLine &line, QByteArrayView source)>;

    TaskFeeder(Broker &broker, std::unique_ptr<TaskSource> source, int window, Enqueue enqueue,
               QObject *parent = nullptr);
    ~TaskFeeder() override;

    //! Starts reading. done() follows once the input ends, is invalid, or stop() is called.
    void start();
    //! Reads no more; emits done() if it had not yet.
    void stop();
    bool isDone() const { return m_done; }

Q_SIGNALS:
    //! A line was invalid (or could not be read); nothing after it is read.
    void invalidLine(qint64 lineNumber, const QString &error);
    //! No more tasks will be handed on.
    void done();

private:
    void feed();
    void finish();

    Broker &m_broker;
    std::unique_ptr<TaskSource> m_source;
    int m_window;
    Enqueue m_enqueue;
    bool m_feeding = false;
    bool m_feedPosted = false;
    bool m_done = false;
};

} // namespace TaskConductor
