// SPDX-License-Identifier: MIT
// QmlBroker::enqueue()'s command and options, read into a TaskDescriptor (the one task
// vocabulary, with QML's older spellings).
#include "qmlbroker_p.h"

#include <QtCore/qjsonarray.h>
#include <QtCore/qjsonobject.h>
#include <QtCore/qprocess.h>
#include <QtQml/qjsvalue.h>

namespace TaskConductor {

namespace {

bool isNumber(const QVariant &value)
{
    switch (value.metaType().id()) {
    case QMetaType::Int:
    case QMetaType::UInt:
    case QMetaType::LongLong:
    case QMetaType::ULongLong:
    case QMetaType::Double:
    case QMetaType::Float:
        return true;
    default:
        return false;
    }
}

bool isString(const QVariant &value)
{
    return value.metaType() == QMetaType::fromType<QString>();
}

bool toStringList(const QVariant &value, QStringList *out)
{
    const QVariant v = plain(value);
    if (v.metaType() == QMetaType::fromType<QStringList>()) {
        *out = v.toStringList();
        return true;
    }
    if (v.metaType() != QMetaType::fromType<QVariantList>())
        return false;
    out->clear();
    for (const QVariant &item : v.toList()) {
        if (!isString(item))
            return false;
        out->append(item.toString());
    }
    return true;
}

} // namespace

bool QmlBrokerPrivate::parse(const QVariant &commandValue, const QVariantMap &options,
                             TaskDescriptor *task, QString *error) const
{
    QStringList command;
    const QVariant c = plain(commandValue);
    if (isString(c)) {
        command = QProcess::splitCommand(c.toString());
    } else if (!toStringList(c, &command)) {
        *error = QStringLiteral("the command must be a string or an array of strings");
        return false;
    }
    if (command.isEmpty() || command.first().isEmpty()) {
        *error = QStringLiteral("invalid task: empty command");
        return false;
    }
    // The options are the one task vocabulary (TaskDescriptor::fromJson(), README "Task
    // vocabulary"), which also reads the longer names QML code used before (workingDirectory,
    // environment, unsetEnvironment, timeoutSeconds, perTaskLogPath).
    QJsonObject json;
    for (auto it = options.cbegin(); it != options.cend(); ++it) {
        QJsonValue value = QJsonValue::fromVariant(plain(it.value()));
        if ((it.key() == QLatin1String("env") || it.key() == QLatin1String("environment"))
            && value.isObject()) {
            // As before the one vocabulary, a number is taken as its text ({ JOBS: 4 }).
            QJsonObject env = value.toObject();
            for (auto var = env.begin(); var != env.end(); ++var) {
                if (var.value().isDouble())
                    var.value() = QVariant(var.value().toDouble()).toString();
            }
            value = env;
        }
        json.insert(it.key(), value);
    }
    if (json.contains(QLatin1String("command"))) {
        *error = QStringLiteral("the command is enqueue()'s first argument, not an option");
        return false;
    }
    json.insert(QLatin1String("command"), QJsonArray::fromStringList(command));
    std::optional<TaskDescriptor> parsed = TaskDescriptor::fromJson(json, error, config.retry);
    if (!parsed)
        return false;
    *task = std::move(*parsed);
    return true;
}

} // namespace TaskConductor
