// SPDX-License-Identifier: MIT
#pragma once

#include <QtCore/qobject.h>

#include <memory>

QT_BEGIN_NAMESPACE
class QSocketNotifier;
QT_END_NAMESPACE

namespace TaskConductor {

//! Turns SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE, SIGUSR1 and SIGUSR2 into a Qt signal in the
//! event loop (the self-pipe trick): the signal handler only sets a flag and writes one byte to a
//! pipe; all the work happens in received(). One instance per process.
class SignalWatcher : public QObject
{
    Q_OBJECT

public:
    explicit SignalWatcher(QObject *parent = nullptr);
    ~SignalWatcher() override;

    //! Whether the handlers are installed (false if the pipe could not be made).
    bool isActive() const { return m_notifier != nullptr; }
    //! Emits received() now for signals that arrived but wait in the pipe, so that work already
    //! queued in the event loop (starting the next task) cannot overtake a stop. Cheap when
    //! nothing arrived: one flag is read.
    static void deliverPending();

Q_SIGNALS:
    //! \a signalNumber (SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, or SIGPIPE: the
    //! reader of stdout or stderr went away) arrived.
    void received(int signalNumber);

private:
    void drain();

    std::unique_ptr<QSocketNotifier> m_notifier;
};

} // namespace TaskConductor
