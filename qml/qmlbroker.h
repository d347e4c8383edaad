// SPDX-License-Identifier: MIT
#pragma once

#include <taskconductor/brokerconfig.h>
#include <taskconductor/tasklistmodel.h>

#include <QtCore/qobject.h>
#include <QtCore/qvariant.h>
#include <QtQml/qqmlregistration.h>

#include <memory>

namespace TaskConductor {

class QmlBrokerPrivate;

//! The Broker as a QML type: the configuration (a BrokerConfig value), enqueue()/cancel(), the
//! counts, the events as signals, and a live TaskListModel of its tasks.
//!
//! Contracts:
//! - The configuration is read when the engine starts: at the first enqueue(), and at the
//!   first enqueue() after reset(). Changes while `active` wait for the next reset().
//! - enqueue() returns the task's id (a number; ids stay far below 2^53), or 0 when the command
//!   or options are invalid; either way a refused enqueue emits rejected() with the reason and
//!   sets lastError before enqueue() returns.
//! - reset() never blocks: the old engine's tasks are canceled and it is deleted once idle.
//! - pause(), pauseLane() and drain() hold before the first enqueue() and across reset() too:
//!   `paused` and the paused lanes belong to this object, and each new engine starts with them.
class QmlBroker : public QObject
{
    Q_OBJECT
    QML_NAMED_ELEMENT(Broker)

    //! The whole BrokerConfig as a QML value type: `config.maxConcurrentTasks: 2`. Fields QML
    //! cannot express (sinks, handlers, executor, store) keep their defaults.
    Q_PROPERTY(TaskConductor::BrokerConfig config READ config WRITE setConfig NOTIFY configChanged)
    //! BrokerConfig::retry, also at the top (`retry.count: 1`): Qt 6.4 QML cannot set a field of
    //! a value type inside a value type.
    Q_PROPERTY(TaskConductor::RetryPolicy retry READ retry WRITE setRetry NOTIFY configChanged)
    //! BrokerConfig::defaultEnvironment, as a JavaScript object of strings.
    Q_PROPERTY(QVariantMap defaultEnvironment READ defaultEnvironment WRITE setDefaultEnvironment
                       NOTIFY configChanged)
    //! BrokerConfig::laneLimits, as a JavaScript object: `laneLimits: { net: 2 }`.
    Q_PROPERTY(QVariantMap laneLimits READ laneLimits WRITE setLaneLimits NOTIFY configChanged)
    //! Whether pause() or drain() holds new starts (resume() lets them go).
    Q_PROPERTY(bool paused READ isPaused NOTIFY pausedChanged)

    Q_PROPERTY(bool active READ isActive NOTIFY activeChanged)
    Q_PROPERTY(int runningCount READ runningCount NOTIFY countsChanged)
    Q_PROPERTY(int pendingCount READ pendingCount NOTIFY countsChanged)
    Q_PROPERTY(int retryWaitingCount READ retryWaitingCount NOTIFY countsChanged)
    Q_PROPERTY(int blockedCount READ blockedCount NOTIFY countsChanged)
    Q_PROPERTY(int finishedCount READ finishedCount NOTIFY countsChanged)
    Q_PROPERTY(int failedCount READ failedCount NOTIFY countsChanged)
    Q_PROPERTY(int canceledCount READ canceledCount NOTIFY countsChanged)
    Q_PROPERTY(int rejectedCount READ rejectedCount NOTIFY countsChanged)
    Q_PROPERTY(int acceptedCount READ acceptedCount NOTIFY countsChanged)
    Q_PROPERTY(int doneCount READ doneCount NOTIFY countsChanged)
    Q_PROPERTY(bool idle READ isIdle NOTIFY countsChanged)
    Q_PROPERTY(QString lastError READ lastError NOTIFY lastErrorChanged)
    Q_PROPERTY(TaskConductor::TaskListModel *tasks READ tasks CONSTANT)

public:
    explicit QmlBroker(QObject *parent = nullptr);
    ~QmlBroker() override;

    //! Queues \a command: an array of strings (argv), or one string split into argv as
    //! QProcess::splitCommand() does (quotes group words; no shell, no expansion).
    //! \a options: the task vocabulary (README), e.g. name, cwd, env (object), timeout, log,
    //! retries or retry (object), priority (a whole number), lane (a name), after (an array of
    //! ids enqueue() returned: the task waits, blocked, until they all finished). Unknown keys
    //! and wrong types refuse it.
    Q_INVOKABLE quint64 enqueue(const QVariant &command, const QVariantMap &options = {});
    //! As Broker::cancel(): true when the task will end as canceled.
    Q_INVOKABLE bool cancel(quint64 id);
    Q_INVOKABLE void cancelAll();
    //! Writes \a text (as UTF-8) to the stdin of running task \a id (enqueued with
    //! `stdinOpen: true`): "written", or the refusal "bufferFull" (write again later) or
    //! "notOpen" (Broker::writeStdin()).
    Q_INVOKABLE QString writeStdin(quint64 id, const QString &text);
    //! Ends task \a id's stdin once what was written is taken; false when it was not open.
    Q_INVOKABLE bool closeStdin(quint64 id);
    //! Broker::statistics() as an object (ended, finished, ..., totalCpuMs, queueMsP50 ...,
    //! runMsP99); all 0 before the first enqueue.
    Q_INVOKABLE QVariantMap statistics() const;
    //! Cancels everything, clears the counts and the task list; the next enqueue() starts an
    //! engine with the current properties.
    Q_INVOKABLE void reset();
    //! As Broker::pause(): nothing new starts (running tasks go on; due retries wait).
    Q_INVOKABLE void pause();
    //! As Broker::resume().
    Q_INVOKABLE void resume();
    //! As Broker::drain(): pause(), then drained() once nothing runs.
    Q_INVOKABLE void drain();
    //! As Broker::pauseLane() and resumeLane(), for the tasks of lane \a lane ("": the default).
    Q_INVOKABLE void pauseLane(const QString &lane);
    Q_INVOKABLE void resumeLane(const QString &lane);
    Q_INVOKABLE bool isLanePaused(const QString &lane) const;

    TaskListModel *tasks() const;
    bool isActive() const;
    int runningCount() const;
    int pendingCount() const;
    int retryWaitingCount() const;
    //! Tasks waiting for their dependencies (state "blocked" in the task list).
    int blockedCount() const;
    bool isPaused() const;
    //! Tasks that ended with exit code 0.
    int finishedCount() const;
    //! Tasks that failed (non-zero exit, crash, start failure) or timed out.
    int failedCount() const;
    int canceledCount() const;
    //! Enqueues refused (queue full, invalid command or options).
    int rejectedCount() const;
    //! Enqueues that were not refused.
    int acceptedCount() const;
    //! Accepted tasks that ended: finished + failed + canceled.
    int doneCount() const;
    bool isIdle() const;
    //! Why the last enqueue was refused; cleared by reset().
    QString lastError() const;

    BrokerConfig config() const;
    //! Takes \a config for the next engine; emits configChanged() only when a value differs.
    void setConfig(const BrokerConfig &config);
    RetryPolicy retry() const;
    void setRetry(const RetryPolicy &policy);
    QVariantMap defaultEnvironment() const;
    void setDefaultEnvironment(const QVariantMap &value);
    QVariantMap laneLimits() const;
    void setLaneLimits(const QVariantMap &value);

Q_SIGNALS:
    void configChanged();
    void activeChanged();
    void countsChanged();
    void lastErrorChanged();
    void pausedChanged();
    //! After drain(): nothing runs any more (the queue stays paused). Once per drain().
    void drained();

    //! A task's attempt started, with the task's priority and lane (as the model's roles).
    void started(quint64 id, const QStringList &command, const QString &workingDirectory,
                 int priority, const QString &lane);
    void stdoutLine(quint64 id, const QString &line);
    void stderrLine(quint64 id, const QString &line);
    void finished(quint64 id, int exitCode, double durationMs);
    void failed(quint64 id, int exitCode, double durationMs, const QString &message);
    void canceled(quint64 id, double durationMs);
    void timedOut(quint64 id, double durationMs);
    void retrying(quint64 id, int attempt, int exitCode, double delayMs);
    //! A notice that ends no task (e.g. cancel of a task that is already stopping).
    void internalError(quint64 id, const QString &message);
    //! An enqueue was refused; \a id is 0 when it was refused before it got an id.
    void rejected(quint64 id, const QString &message);

private:
    std::unique_ptr<QmlBrokerPrivate> d;
    friend class QmlBrokerPrivate;
};

} // namespace TaskConductor
