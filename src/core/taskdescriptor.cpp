// SPDX-License-Identifier: MIT
#include <taskconductor/taskdescriptor.h>

#include <algorithm>
#include <memory>

namespace TaskConductor {

// Kept small on purpose: a queue of a million pending tasks holds a million of these, and most
// tasks set nothing but a command (and maybe a timeout). Everything else lives in Extras, which
// exists only once something in it is set: 48 bytes instead of 160 for a command-only task.
class TaskDescriptorData : public QSharedData
{
public:
    struct Extras
    {
        QString workingDirectory;
        QHash<QString, QString> environment;
        QStringList unsetEnvironment;
        QString perTaskLogPath;
        QString name;
        std::optional<RetryPolicy> retryPolicy;
        QString lane;
        QList<TaskId> dependencies;
        double idleTimeoutSeconds = -1;
        QList<int> successExitCodes;
        int stopSignal = 0;
        OutputMode outputMode = OutputMode::Separate;
        StdinMode stdinMode = StdinMode::Null;
        QByteArray stdinData;
        QString stdinFile;

        friend bool operator==(const Extras &a, const Extras &b)
        {
            // The order in which variables were unset changes nothing (and JSON sorts them).
            auto sorted = [](QStringList names) {
                names.sort();
                return names;
            };
            return a.workingDirectory == b.workingDirectory && a.environment == b.environment
                    && (a.unsetEnvironment == b.unsetEnvironment
                        || sorted(a.unsetEnvironment) == sorted(b.unsetEnvironment))
                    && a.perTaskLogPath == b.perTaskLogPath && a.name == b.name
                    && a.retryPolicy == b.retryPolicy && a.lane == b.lane
                    && a.dependencies == b.dependencies
                    && a.idleTimeoutSeconds == b.idleTimeoutSeconds
                    && a.successExitCodes == b.successExitCodes && a.stopSignal == b.stopSignal
                    && a.outputMode == b.outputMode && a.stdinMode == b.stdinMode
                    && a.stdinData == b.stdinData && a.stdinFile == b.stdinFile;
        }
    };

    TaskDescriptorData() = default;
    TaskDescriptorData(const TaskDescriptorData &other)
        : QSharedData(other)
        , priority(other.priority)
        , command(other.command)
        , timeoutSeconds(other.timeoutSeconds)
        , extras(other.extras ? std::make_unique<Extras>(*other.extras) : nullptr)
    { }
    TaskDescriptorData &operator=(const TaskDescriptorData &) = delete;

    //! The extras, or a shared empty set when none were ever set.
    const Extras &readExtras() const
    {
        static const Extras none;
        return extras ? *extras : none;
    }
    Extras &writeExtras()
    {
        if (!extras)
            extras = std::make_unique<Extras>();
        return *extras;
    }

    int priority = 0; // first: it fills the padding after QSharedData's 4-byte count
    QStringList command;
    double timeoutSeconds = -1;
    std::unique_ptr<Extras> extras;
};

TaskDescriptor::TaskDescriptor()
    : d(new TaskDescriptorData)
{ }

TaskDescriptor::TaskDescriptor(const QStringList &command)
    : d(new TaskDescriptorData)
{
    d->command = command;
}

TaskDescriptor::TaskDescriptor(const TaskDescriptor &other) = default;
TaskDescriptor::TaskDescriptor(TaskDescriptor &&other) noexcept = default;
TaskDescriptor &TaskDescriptor::operator=(const TaskDescriptor &other) = default;
TaskDescriptor &TaskDescriptor::operator=(TaskDescriptor &&other) noexcept = default;
TaskDescriptor::~TaskDescriptor() = default;

QStringList TaskDescriptor::command() const
{
    return d->command;
}
void TaskDescriptor::setCommand(const QStringList &command)
{
    d->command = command;
}

QString TaskDescriptor::workingDirectory() const
{
    return d->readExtras().workingDirectory;
}
void TaskDescriptor::setWorkingDirectory(const QString &directory)
{
    d->writeExtras().workingDirectory = directory;
}

QHash<QString, QString> TaskDescriptor::environment() const
{
    return d->readExtras().environment;
}
void TaskDescriptor::setEnvironment(const QHash<QString, QString> &environment)
{
    d->writeExtras().environment = environment;
}

void TaskDescriptor::setEnvironmentVariable(const QString &name, const QString &value)
{
    auto &extras = d->writeExtras();
    extras.environment.insert(name, value);
    extras.unsetEnvironment.removeAll(name);
}

QStringList TaskDescriptor::unsetEnvironment() const
{
    return d->readExtras().unsetEnvironment;
}
void TaskDescriptor::unsetEnvironmentVariable(const QString &name)
{
    auto &extras = d->writeExtras();
    extras.environment.remove(name);
    if (!extras.unsetEnvironment.contains(name))
        extras.unsetEnvironment.append(name);
}

double TaskDescriptor::timeoutSeconds() const
{
    return d->timeoutSeconds;
}
void TaskDescriptor::setTimeoutSeconds(double seconds)
{
    d->timeoutSeconds = seconds < 0 ? -1 : seconds;
}
void TaskDescriptor::resetTimeoutSeconds()
{
    d->timeoutSeconds = -1;
}

QString TaskDescriptor::perTaskLogPath() const
{
    return d->readExtras().perTaskLogPath;
}
void TaskDescriptor::setPerTaskLogPath(const QString &path)
{
    d->writeExtras().perTaskLogPath = path;
}

QString TaskDescriptor::name() const
{
    return d->readExtras().name;
}
void TaskDescriptor::setName(const QString &name)
{
    d->writeExtras().name = name;
}

std::optional<RetryPolicy> TaskDescriptor::retryPolicy() const
{
    return d->readExtras().retryPolicy;
}

void TaskDescriptor::setRetryPolicy(const std::optional<RetryPolicy> &policy)
{
    d->writeExtras().retryPolicy = policy;
}

int TaskDescriptor::priority() const
{
    return d->priority;
}
void TaskDescriptor::setPriority(int priority)
{
    d->priority = priority;
}

QString TaskDescriptor::lane() const
{
    return d->readExtras().lane;
}
void TaskDescriptor::setLane(const QString &lane)
{
    d->writeExtras().lane = lane;
}

QList<TaskId> TaskDescriptor::dependencies() const
{
    return d->readExtras().dependencies;
}
void TaskDescriptor::setDependencies(const QList<TaskId> &ids)
{
    d->writeExtras().dependencies = ids;
}
void TaskDescriptor::addDependency(TaskId id)
{
    d->writeExtras().dependencies.append(id);
}

double TaskDescriptor::idleTimeoutSeconds() const
{
    return d->readExtras().idleTimeoutSeconds;
}
void TaskDescriptor::setIdleTimeoutSeconds(double seconds)
{
    d->writeExtras().idleTimeoutSeconds = seconds < 0 ? -1 : seconds;
}
void TaskDescriptor::resetIdleTimeoutSeconds()
{
    if (d->extras)
        d->writeExtras().idleTimeoutSeconds = -1;
}

QList<int> TaskDescriptor::successExitCodes() const
{
    return d->readExtras().successExitCodes;
}
void TaskDescriptor::setSuccessExitCodes(const QList<int> &codes)
{
    d->writeExtras().successExitCodes = codes;
}
bool TaskDescriptor::isSuccessExitCode(int exitCode) const
{
    const QList<int> &codes = d->readExtras().successExitCodes;
    return codes.isEmpty() ? exitCode == 0 : codes.contains(exitCode);
}

int TaskDescriptor::stopSignal() const
{
    return d->readExtras().stopSignal;
}
void TaskDescriptor::setStopSignal(int signal)
{
    d->writeExtras().stopSignal = std::max(0, signal);
}

OutputMode TaskDescriptor::outputMode() const
{
    return d->readExtras().outputMode;
}
void TaskDescriptor::setOutputMode(OutputMode mode)
{
    d->writeExtras().outputMode = mode;
}

StdinMode TaskDescriptor::stdinMode() const
{
    return d->readExtras().stdinMode;
}
void TaskDescriptor::setStdinMode(StdinMode mode)
{
    d->writeExtras().stdinMode = mode;
}
QByteArray TaskDescriptor::stdinData() const
{
    return d->readExtras().stdinData;
}
void TaskDescriptor::setStdinData(const QByteArray &data)
{
    auto &extras = d->writeExtras();
    extras.stdinData = data;
    extras.stdinMode = StdinMode::Data;
}
QString TaskDescriptor::stdinFile() const
{
    return d->readExtras().stdinFile;
}
void TaskDescriptor::setStdinFile(const QString &path)
{
    auto &extras = d->writeExtras();
    extras.stdinFile = path;
    extras.stdinMode = StdinMode::File;
}

bool operator==(const TaskDescriptor &a, const TaskDescriptor &b)
{
    if (a.d == b.d)
        return true;
    return a.d->command == b.d->command && a.d->timeoutSeconds == b.d->timeoutSeconds
            && a.d->priority == b.d->priority && a.d->readExtras() == b.d->readExtras();
}

} // namespace TaskConductor
