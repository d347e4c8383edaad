// SPDX-License-Identifier: MIT
// The one JSON form of a TaskDescriptor: the task file, the store and QML's enqueue options all
// read and write a task through TaskDescriptor::toJson() and fromJson().
#include "taskdescriptorfields_p.h"

#include <taskconductor/eventtext.h>
#include <taskconductor/taskdescriptor.h>

#include <QtCore/qjsonarray.h>
#include <QtCore/qjsonobject.h>
#include <QtCore/qstringconverter.h>

#include <csignal>

namespace TaskConductor {

using namespace TaskDescriptorFields;

namespace {

// The stop signals a task may name ("stopSignal"), as supervisord's stopsignal; any other
// signal set through the API is written and read as its number.
struct SignalName
{
    QLatin1String name;
    int number;
};
const SignalName SignalNames[] = {
    { QLatin1String("TERM"), SIGTERM }, { QLatin1String("INT"), SIGINT },
    { QLatin1String("HUP"), SIGHUP },   { QLatin1String("QUIT"), SIGQUIT },
    { QLatin1String("USR1"), SIGUSR1 }, { QLatin1String("USR2"), SIGUSR2 },
    { QLatin1String("KILL"), SIGKILL },
};

QJsonArray intArray(const QList<int> &values)
{
    QJsonArray array;
    for (const int value : values)
        array.append(value);
    return array;
}

} // namespace

QJsonObject TaskDescriptor::toJson() const
{
    QJsonObject o;
    o.insert(Command.name, QJsonArray::fromStringList(command()));
    if (!name().isEmpty())
        o.insert(Name.name, name());
    if (!workingDirectory().isEmpty())
        o.insert(Cwd.name, workingDirectory());
    const QHash<QString, QString> environment = this->environment();
    const QStringList unset = unsetEnvironment();
    if (!environment.isEmpty() || !unset.isEmpty()) {
        QJsonObject env;
        for (auto it = environment.cbegin(); it != environment.cend(); ++it)
            env.insert(it.key(), it.value());
        for (const QString &variable : unset)
            env.insert(variable, QJsonValue::Null);
        o.insert(Env.name, env);
    }
    if (timeoutSeconds() >= 0)
        o.insert(Timeout.name, timeoutSeconds());
    if (!perTaskLogPath().isEmpty())
        o.insert(Log.name, perTaskLogPath());
    if (const std::optional<RetryPolicy> retry = retryPolicy()) {
        o.insert(
                Retry.name,
                QJsonObject { { QStringLiteral("count"), retry->count },
                              { QStringLiteral("delaySeconds"), retry->delaySeconds },
                              { QStringLiteral("backoffMultiplier"), retry->backoffMultiplier },
                              { QStringLiteral("maxDelaySeconds"), retry->maxDelaySeconds },
                              { QStringLiteral("jitterSeconds"), retry->jitterSeconds },
                              { QStringLiteral("retryOnTimeout"), retry->retryOnTimeout },
                              { QStringLiteral("retryExitCodes"), intArray(retry->retryExitCodes) },
                              { QStringLiteral("retryOnSignal"), retry->retryOnSignal } });
    }
    if (idleTimeoutSeconds() >= 0)
        o.insert(IdleTimeout.name, idleTimeoutSeconds());
    if (!successExitCodes().isEmpty())
        o.insert(SuccessExitCodes.name, intArray(successExitCodes()));
    if (const int signal = stopSignal()) {
        const auto known =
                std::find_if(std::begin(SignalNames), std::end(SignalNames),
                             [signal](const SignalName &s) { return s.number == signal; });
        o.insert(StopSignal.name,
                 known != std::end(SignalNames) ? QJsonValue(known->name) : QJsonValue(signal));
    }
    if (outputMode() == OutputMode::Merged)
        o.insert(MergeOutput.name, true);
    switch (stdinMode()) {
    case StdinMode::Null:
        break;
    case StdinMode::Data: {
        const QByteArray data = stdinData();
        // Text stays readable in a task file or a store; other bytes travel as base64.
        QStringDecoder decoder(QStringDecoder::Utf8, QStringDecoder::Flag::Stateless);
        const QString text = decoder(data);
        if (!decoder.hasError() && !hasNul(text))
            o.insert(Stdin.name, text);
        else
            o.insert(StdinBase64.name, QString::fromLatin1(data.toBase64()));
        break;
    }
    case StdinMode::File:
        o.insert(StdinFile.name, stdinFile());
        break;
    case StdinMode::Open:
        o.insert(StdinOpen.name, true);
        break;
    }
    if (priority() != 0)
        o.insert(Priority.name, priority());
    if (!lane().isEmpty())
        o.insert(Lane.name, lane());
    if (!dependencies().isEmpty()) {
        QJsonArray after;
        for (const TaskId id : dependencies())
            after.append(qint64(id));
        o.insert(After.name, after);
    }
    return o;
}

std::optional<TaskDescriptor> TaskDescriptor::fromJson(const QJsonObject &object, QString *error,
                                                       const RetryPolicy &retryDefaults)
{
    Reader read(object, error);
    for (auto it = object.constBegin(); it != object.constEnd(); ++it) {
        if (!isKnown(it.key())) {
            read.fail(QStringLiteral("unknown field \"%1\" (known: %2)")
                              .arg(escapeControlCharacters(it.key()), knownFieldNames()));
            return std::nullopt;
        }
    }
    TaskDescriptor task;
    if (!read.command(task) || !read.environment(task)
        || !read.string(Cwd, &TaskDescriptor::setWorkingDirectory, task)
        || !read.string(Log, &TaskDescriptor::setPerTaskLogPath, task)
        || !read.string(Name, &TaskDescriptor::setName, task) || !read.timeout(task)
        || !read.retry(task, retryDefaults) || !read.priority(task)
        || !read.string(Lane, &TaskDescriptor::setLane, task) || !read.dependencies(task)
        || !read.idleTimeout(task) || !read.successExitCodes(task) || !read.stopSignal(task)
        || !read.mergeOutput(task) || !read.standardInput(task))
        return std::nullopt;
    return task;
}

int TaskDescriptor::stopSignalFromName(QStringView name)
{
    if (name.startsWith(u"SIG"))
        name = name.sliced(3);
    for (const SignalName &known : SignalNames) {
        if (name == known.name)
            return known.number;
    }
    return 0;
}

QString TaskDescriptor::knownFieldNames()
{
    // The canonical names only: the older spellings are read but not advertised.
    QStringList names;
    for (const Field *field : Fields) {
        if (field != &UnsetEnv && field != &StdinBase64)
            names.append(field->name);
    }
    return names.join(QStringLiteral(", "));
}

} // namespace TaskConductor
