// SPDX-License-Identifier: MIT
#include <taskconductor/taskdescriptor.h>

#include <memory>

namespace TaskConductor {

// Kept small on purpose: a queue of a million pending tasks holds a million of these.
class TaskDescriptorData : public QSharedData
{
public:
    QStringList command;
    QString workingDirectory;
    QHash<QString, QString> environment;
    QStringList unsetEnvironment;
    QString perTaskLogPath;
    QString name;
    std::shared_ptr<const RetryPolicy> retryPolicy; // rare; a pointer keeps the common case small
    double timeoutSeconds = -1;
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
    return d->workingDirectory;
}
void TaskDescriptor::setWorkingDirectory(const QString &directory)
{
    d->workingDirectory = directory;
}

QHash<QString, QString> TaskDescriptor::environment() const
{
    return d->environment;
}
void TaskDescriptor::setEnvironment(const QHash<QString, QString> &environment)
{
    d->environment = environment;
}

void TaskDescriptor::setEnvironmentVariable(const QString &name, const QString &value)
{
    d->environment.insert(name, value);
    d->unsetEnvironment.removeAll(name);
}

QStringList TaskDescriptor::unsetEnvironment() const
{
    return d->unsetEnvironment;
}
void TaskDescriptor::unsetEnvironmentVariable(const QString &name)
{
    d->environment.remove(name);
    if (!d->unsetEnvironment.contains(name))
        d->unsetEnvironment.append(name);
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
    return d->perTaskLogPath;
}
void TaskDescriptor::setPerTaskLogPath(const QString &path)
{
    d->perTaskLogPath = path;
}

QString TaskDescriptor::name() const
{
    return d->name;
}
void TaskDescriptor::setName(const QString &name)
{
    d->name = name;
}

std::optional<RetryPolicy> TaskDescriptor::retryPolicy() const
{
    if (!d->retryPolicy)
        return std::nullopt;
    return *d->retryPolicy;
}

void TaskDescriptor::setRetryPolicy(const std::optional<RetryPolicy> &policy)
{
    d->retryPolicy = policy ? std::make_shared<const RetryPolicy>(*policy) : nullptr;
}

bool operator==(const TaskDescriptor &a, const TaskDescriptor &b)
{
    if (a.d == b.d)
        return true;
    return a.d->command == b.d->command && a.d->workingDirectory == b.d->workingDirectory
            && a.d->environment == b.d->environment
            && a.d->unsetEnvironment == b.d->unsetEnvironment
            && a.d->perTaskLogPath == b.d->perTaskLogPath && a.d->name == b.d->name
            && a.retryPolicy() == b.retryPolicy() && a.d->timeoutSeconds == b.d->timeoutSeconds;
}

} // namespace TaskConductor
