// SPDX-License-Identifier: MIT
#include <taskconductor/taskstore.h>

#include <QtCore/qjsonarray.h>
#include <QtCore/qjsondocument.h>
#include <QtCore/qjsonobject.h>

namespace TaskConductor {

TaskStore::~TaskStore() = default;

QByteArray TaskStore::descriptorToJson(const TaskDescriptor &task)
{
    QJsonObject o;
    o.insert(QStringLiteral("command"), QJsonArray::fromStringList(task.command()));
    if (!task.workingDirectory().isEmpty())
        o.insert(QStringLiteral("workdir"), task.workingDirectory());
    const QHash<QString, QString> environment = task.environment();
    if (!environment.isEmpty()) {
        QJsonObject env;
        for (auto it = environment.cbegin(); it != environment.cend(); ++it)
            env.insert(it.key(), it.value());
        o.insert(QStringLiteral("env"), env);
    }
    if (!task.unsetEnvironment().isEmpty())
        o.insert(QStringLiteral("unsetEnv"), QJsonArray::fromStringList(task.unsetEnvironment()));
    if (task.timeoutSeconds() >= 0)
        o.insert(QStringLiteral("timeoutSeconds"), task.timeoutSeconds());
    if (!task.perTaskLogPath().isEmpty())
        o.insert(QStringLiteral("logPath"), task.perTaskLogPath());
    if (!task.name().isEmpty())
        o.insert(QStringLiteral("name"), task.name());
    if (const std::optional<RetryPolicy> retry = task.retryPolicy()) {
        o.insert(QStringLiteral("retry"),
                 QJsonObject { { QStringLiteral("count"), retry->count },
                               { QStringLiteral("delaySeconds"), retry->delaySeconds },
                               { QStringLiteral("backoffMultiplier"), retry->backoffMultiplier },
                               { QStringLiteral("maxDelaySeconds"), retry->maxDelaySeconds },
                               { QStringLiteral("jitterSeconds"), retry->jitterSeconds },
                               { QStringLiteral("retryOnTimeout"), retry->retryOnTimeout } });
    }
    return QJsonDocument(o).toJson(QJsonDocument::Compact);
}

std::optional<TaskDescriptor> TaskStore::descriptorFromJson(const QByteArray &json)
{
    QJsonParseError error;
    const QJsonDocument doc = QJsonDocument::fromJson(json, &error);
    if (error.error != QJsonParseError::NoError || !doc.isObject())
        return std::nullopt;
    const QJsonObject o = doc.object();
    const QJsonValue command = o.value(QLatin1String("command"));
    if (!command.isArray())
        return std::nullopt;
    TaskDescriptor task;
    QStringList argv;
    for (const QJsonValue &arg : command.toArray())
        argv.append(arg.toString());
    task.setCommand(argv);
    task.setWorkingDirectory(o.value(QLatin1String("workdir")).toString());
    const QJsonObject env = o.value(QLatin1String("env")).toObject();
    for (auto it = env.constBegin(); it != env.constEnd(); ++it)
        task.setEnvironmentVariable(it.key(), it.value().toString());
    for (const QJsonValue &name : o.value(QLatin1String("unsetEnv")).toArray())
        task.unsetEnvironmentVariable(name.toString());
    if (o.contains(QLatin1String("timeoutSeconds")))
        task.setTimeoutSeconds(o.value(QLatin1String("timeoutSeconds")).toDouble());
    task.setPerTaskLogPath(o.value(QLatin1String("logPath")).toString());
    task.setName(o.value(QLatin1String("name")).toString());
    if (o.contains(QLatin1String("retry"))) {
        const QJsonObject r = o.value(QLatin1String("retry")).toObject();
        RetryPolicy retry;
        retry.count = r.value(QLatin1String("count")).toInt();
        retry.delaySeconds = r.value(QLatin1String("delaySeconds")).toDouble();
        retry.backoffMultiplier = r.value(QLatin1String("backoffMultiplier")).toDouble();
        retry.maxDelaySeconds = r.value(QLatin1String("maxDelaySeconds")).toDouble();
        retry.jitterSeconds = r.value(QLatin1String("jitterSeconds")).toDouble();
        retry.retryOnTimeout = r.value(QLatin1String("retryOnTimeout")).toBool();
        task.setRetryPolicy(retry);
    }
    return task;
}

} // namespace TaskConductor
