// SPDX-License-Identifier: MIT
#pragma once

#include <taskconductor/retrypolicy.h>
#include <taskconductor/taskconductor_export.h>
#include <taskconductor/types.h>

#include <QtCore/qbytearray.h>
#include <QtCore/qhash.h>
#include <QtCore/qshareddata.h>
#include <QtCore/qstringlist.h>

#include <optional>

QT_BEGIN_NAMESPACE
class QJsonObject;
QT_END_NAMESPACE

namespace TaskConductor {

class TaskDescriptorData;

//! What to run: an argv command (never a shell string), its environment changes, working
//! directory, timeout, per-task log file and retry policy; and when: priority, lane and the
//! tasks it waits for. An implicitly shared value type:
//! copies are cheap, so one descriptor can be enqueued many times.
class TASKCONDUCTOR_EXPORT TaskDescriptor
{
    Q_GADGET
    Q_PROPERTY(QStringList command READ command WRITE setCommand)
    Q_PROPERTY(QString workingDirectory READ workingDirectory WRITE setWorkingDirectory)
    Q_PROPERTY(double timeoutSeconds READ timeoutSeconds WRITE setTimeoutSeconds RESET
                       resetTimeoutSeconds)
    Q_PROPERTY(QString perTaskLogPath READ perTaskLogPath WRITE setPerTaskLogPath)
    Q_PROPERTY(QString name READ name WRITE setName)
    Q_PROPERTY(int priority READ priority WRITE setPriority)
    Q_PROPERTY(QString lane READ lane WRITE setLane)
    Q_PROPERTY(QList<quint64> dependencies READ dependencies WRITE setDependencies)
    Q_PROPERTY(double idleTimeoutSeconds READ idleTimeoutSeconds WRITE setIdleTimeoutSeconds RESET
                       resetIdleTimeoutSeconds)
    Q_PROPERTY(QList<int> successExitCodes READ successExitCodes WRITE setSuccessExitCodes)
    Q_PROPERTY(int stopSignal READ stopSignal WRITE setStopSignal)
    Q_PROPERTY(TaskConductor::OutputMode outputMode READ outputMode WRITE setOutputMode)
    Q_PROPERTY(TaskConductor::StdinMode stdinMode READ stdinMode WRITE setStdinMode)
    Q_PROPERTY(QByteArray stdinData READ stdinData WRITE setStdinData)
    Q_PROPERTY(QString stdinFile READ stdinFile WRITE setStdinFile)

public:
    TaskDescriptor();
    //! A task that runs \a command: command[0] is the program, the rest its arguments.
    explicit TaskDescriptor(const QStringList &command);
    TaskDescriptor(const TaskDescriptor &other);
    TaskDescriptor(TaskDescriptor &&other) noexcept;
    TaskDescriptor &operator=(const TaskDescriptor &other);
    TaskDescriptor &operator=(TaskDescriptor &&other) noexcept;
    ~TaskDescriptor();

    //! argv; an empty command is rejected at enqueue with a terminal internalError.
    QStringList command() const;
    void setCommand(const QStringList &command);

    //! Empty: the broker's defaultWorkingDirectory, else the host's current directory.
    QString workingDirectory() const;
    void setWorkingDirectory(const QString &directory);

    //! Variables set for this task, over the host environment and the broker's defaults.
    QHash<QString, QString> environment() const;
    void setEnvironment(const QHash<QString, QString> &environment);
    void setEnvironmentVariable(const QString &name, const QString &value);
    //! Variables removed for this task, even if the host or the broker's defaults set them.
    QStringList unsetEnvironment() const;
    void unsetEnvironmentVariable(const QString &name);

    //! Seconds after which the task is stopped and ends with `timeout`; 0 means no timeout.
    //! Any length is honoured up to 1e9 s (about 31.7 years); a longer one counts as 1e9 s.
    //! Unset (the default, reported as -1): the broker's defaultTimeoutSeconds applies.
    double timeoutSeconds() const;
    void setTimeoutSeconds(double seconds);
    void resetTimeoutSeconds();

    //! A file that receives this task's output and termination (empty: none).
    QString perTaskLogPath() const;
    void setPerTaskLogPath(const QString &path);

    //! A label for logs, CLIs and UIs; not used to run anything.
    QString name() const;
    void setName(const QString &name);

    //! A retry policy for this task only; unset: the broker's.
    std::optional<RetryPolicy> retryPolicy() const;
    void setRetryPolicy(const std::optional<RetryPolicy> &policy);

    //! Among pending tasks, higher priority starts first; equal priority keeps FIFO order.
    //! Never preempts a running task. Default 0.
    int priority() const;
    void setPriority(int priority);

    //! The lane whose cap (BrokerConfig::laneLimits) this task counts against; empty: the
    //! default lane, bounded only by maxConcurrentTasks.
    QString lane() const;
    void setLane(const QString &lane);

    //! Tasks that must end `finished` before this one queues (state Blocked until then); if one
    //! ends any other way, this task ends `canceled` naming it. Each must be enqueued before
    //! this task, on the same Broker.
    QList<TaskId> dependencies() const;
    void setDependencies(const QList<TaskId> &ids);
    void addDependency(TaskId id);

    //! Seconds without output on either stream after which the task is stopped and ends with
    //! `timeout` (reason Idle), retried as a timeout is; 0 means none. Counts from the start of
    //! each attempt. Unset (reported as -1): the broker's defaultIdleTimeoutSeconds applies.
    double idleTimeoutSeconds() const;
    void setIdleTimeoutSeconds(double seconds);
    void resetIdleTimeoutSeconds();

    //! Exit codes that end the task as `finished` (with that code); empty means { 0 }.
    QList<int> successExitCodes() const;
    void setSuccessExitCodes(const QList<int> &codes);
    //! Whether an exit with \a exitCode is a success for this task.
    bool isSuccessExitCode(int exitCode) const;

    //! The signal that asks the task's process group to stop (cancel, timeout, destruction);
    //! SIGKILL follows after the kill grace. 0 (the default): the broker's defaultStopSignal.
    int stopSignal() const;
    void setStopSignal(int signal);

    //! Separate (the default) or Merged: stderr into stdout, in the order the process wrote.
    OutputMode outputMode() const;
    void setOutputMode(OutputMode mode);

    //! What the task reads on stdin: nothing (/dev/null, the default), stdinData(), the file
    //! stdinFile(), or a pipe the host writes (Broker::writeStdin(), closeStdin()).
    StdinMode stdinMode() const;
    void setStdinMode(StdinMode mode);
    //! Bytes written to the task's stdin, which is then closed; setting them sets StdinMode::Data.
    QByteArray stdinData() const;
    void setStdinData(const QByteArray &data);
    //! A file the task reads as its stdin; setting it sets StdinMode::File. A file that cannot
    //! be opened fails the start ("failed to start").
    QString stdinFile() const;
    void setStdinFile(const QString &path);

    //! The one JSON form of a task, whose names the task file, the store and QML share (README,
    //! "Task vocabulary"): "command", and as set "name", "cwd", "env" (an unset variable as
    //! null), "timeout" (seconds), "log", "retry" (every RetryPolicy field), "priority" (when
    //! not 0), "lane", "after" (the dependencies' ids; the task file's "after" holds names,
    //! which the CLI resolves to ids first), "idleTimeout" (seconds), "successExitCodes",
    //! "stopSignal" (a name such as "INT", else the number), "mergeOutput" (true), "stdin"
    //! (text; "stdinBase64" for bytes that are not UTF-8), "stdinFile", "stdinOpen" (true).
    QJsonObject toJson() const;
    //! Reads the JSON form, also "retries" (a count over \a retryDefaults; a partial "retry"
    //! is completed from them too), "retryExitCodes" (over the policy "retries" or "retry" or
    //! the defaults give) and the older spellings stores and QML code used ("workdir",
    //! "workingDirectory", "environment", "unsetEnv", "unsetEnvironment", "timeoutSeconds",
    //! "logPath", "perTaskLogPath"). Unknown fields, wrong types, NUL characters: nullopt and,
    //! in \a error, one sentence naming the field, with outside text escaped (eventtext.h).
    static std::optional<TaskDescriptor> fromJson(const QJsonObject &object,
                                                  QString *error = nullptr,
                                                  const RetryPolicy &retryDefaults = {});
    //! "command, name, cwd, env, timeout, retries, retry, priority, lane, after, log, ...": the
    //! canonical field names.
    static QString knownFieldNames();
    //! The signal a "stopSignal" name stands for: "TERM", "INT", "HUP", "QUIT", "USR1", "USR2",
    //! "KILL" (also with "SIG" before it); 0 for any other name.
    static int stopSignalFromName(QStringView name);
    //! The most retries "retries" (the task file's count) may ask for.
    static constexpr int MaxRetries = 1000;

    //! Equal when they run the same: the order of unsetEnvironment() does not matter.
    friend TASKCONDUCTOR_EXPORT bool operator==(const TaskDescriptor &a, const TaskDescriptor &b);
    friend bool operator!=(const TaskDescriptor &a, const TaskDescriptor &b) { return !(a == b); }

private:
    QSharedDataPointer<TaskDescriptorData> d;
};

} // namespace TaskConductor
