// SPDX-License-Identifier: MIT
// Reads a TaskDescriptor's JSON form field by field (TaskDescriptor::fromJson()), with one
// sentence per problem that names the field.
#include "taskdescriptorfields_p.h"

#include <taskconductor/eventtext.h>

#include <QtCore/qjsonarray.h>

#include <cmath>
#include <limits>

namespace TaskConductor::TaskDescriptorFields {

QString jsonTypeName(const QJsonValue &value)
{
    switch (value.type()) {
    case QJsonValue::Null:
        return QStringLiteral("null");
    case QJsonValue::Bool:
        return QStringLiteral("a boolean");
    case QJsonValue::Double:
        return QStringLiteral("a number");
    case QJsonValue::String:
        return QStringLiteral("a string");
    case QJsonValue::Array:
        return QStringLiteral("an array");
    case QJsonValue::Object:
        return QStringLiteral("an object");
    case QJsonValue::Undefined:
        break;
    }
    return QStringLiteral("undefined");
}

namespace {

bool isWholeNumber(const QJsonValue &value, double min, double max)
{
    const double n = value.toDouble(-1);
    return value.isDouble() && n >= min && n <= max && std::floor(n) == n;
}

} // namespace

bool Reader::command(TaskDescriptor &task)
{
    QString used;
    QJsonValue value;
    if (!find(Command, &used, &value))
        return false;
    if (value.isUndefined())
        return fail(QStringLiteral("missing required field \"command\""));
    if (!value.isArray())
        return typeError(used, QStringLiteral("an array of strings"), value);
    const QJsonArray array = value.toArray();
    if (array.isEmpty())
        return fail(QStringLiteral("\"command\" is empty"));
    QStringList command;
    command.reserve(array.size());
    for (qsizetype i = 0; i < array.size(); ++i) {
        const QJsonValue arg = array.at(i);
        if (!arg.isString())
            return fail(QStringLiteral("\"command\"[%1] must be a string, not %2")
                                .arg(i)
                                .arg(jsonTypeName(arg)));
        if (hasNul(arg.toString()))
            return fail(QStringLiteral("\"command\"[%1] contains a NUL character").arg(i));
        command.append(arg.toString());
    }
    if (command.first().isEmpty())
        return fail(QStringLiteral("\"command\"[0], the program, is empty"));
    task.setCommand(command);
    return true;
}

bool Reader::environment(TaskDescriptor &task)
{
    QString used;
    QJsonValue value;
    if (!find(Env, &used, &value))
        return false;
    if (!value.isUndefined()) {
        if (!value.isObject())
            return typeError(used, QStringLiteral("an object"), value);
        const QJsonObject env = value.toObject();
        for (auto it = env.constBegin(); it != env.constEnd(); ++it) {
            if (!checkVariableName(used, it.key()))
                return false;
            if (it.value().isNull()) {
                task.unsetEnvironmentVariable(it.key());
            } else if (!it.value().isString()) {
                return fail(QStringLiteral("\"%1\".\"%2\" must be a string or null, not %3")
                                    .arg(used, escapeControlCharacters(it.key()),
                                         jsonTypeName(it.value())));
            } else if (hasNul(it.value().toString())) {
                return fail(QStringLiteral("\"%1\".\"%2\" contains a NUL character, which "
                                           "cannot be passed to a process")
                                    .arg(used, escapeControlCharacters(it.key())));
            } else {
                task.setEnvironmentVariable(it.key(), it.value().toString());
            }
        }
    }
    // Older stores and QML code list the variables to remove in an array of their own.
    if (!find(UnsetEnv, &used, &value))
        return false;
    if (value.isUndefined())
        return true;
    if (!value.isArray())
        return typeError(used, QStringLiteral("an array of strings"), value);
    for (const QJsonValue &name : value.toArray()) {
        if (!name.isString())
            return typeError(used, QStringLiteral("an array of strings"), value);
        if (!checkVariableName(used, name.toString()))
            return false;
        task.unsetEnvironmentVariable(name.toString());
    }
    return true;
}

bool Reader::timeout(TaskDescriptor &task)
{
    QString used;
    QJsonValue value;
    if (!find(Timeout, &used, &value))
        return false;
    if (value.isUndefined())
        return true;
    const double seconds = value.toDouble(-1);
    // At most what a Broker timer honours (LongTimer::MaxSeconds, about 31.7 years).
    constexpr double MaxTimeoutSeconds = 1e9;
    if (!value.isDouble() || !std::isfinite(seconds) || seconds < 0 || seconds > MaxTimeoutSeconds)
        return fail(QStringLiteral("\"%1\" must be a number of seconds from 0 to 1000000000")
                            .arg(used));
    task.setTimeoutSeconds(seconds);
    return true;
}

bool Reader::idleTimeout(TaskDescriptor &task)
{
    QString used;
    QJsonValue value;
    if (!find(IdleTimeout, &used, &value))
        return false;
    if (value.isUndefined())
        return true;
    const double seconds = value.toDouble(-1);
    constexpr double MaxTimeoutSeconds = 1e9; // as "timeout"
    if (!value.isDouble() || !std::isfinite(seconds) || seconds < 0 || seconds > MaxTimeoutSeconds)
        return fail(QStringLiteral("\"%1\" must be a number of seconds from 0 to 1000000000")
                            .arg(used));
    task.setIdleTimeoutSeconds(seconds);
    return true;
}

bool Reader::exitCodes(const QString &field, const QJsonValue &value, QList<int> *codes)
{
    const QString expected = QStringLiteral("\"%1\" must be an array of exit codes (whole "
                                            "numbers from 0 to 255)")
                                     .arg(field);
    if (!value.isArray())
        return fail(expected);
    codes->clear();
    for (const QJsonValue &code : value.toArray()) {
        if (!isWholeNumber(code, 0, 255))
            return fail(expected);
        codes->append(int(code.toDouble()));
    }
    return true;
}

bool Reader::successExitCodes(TaskDescriptor &task)
{
    QString used;
    QJsonValue value;
    if (!find(SuccessExitCodes, &used, &value))
        return false;
    if (value.isUndefined())
        return true;
    QList<int> codes;
    if (!exitCodes(used, value, &codes))
        return false;
    task.setSuccessExitCodes(codes);
    return true;
}

bool Reader::stopSignal(TaskDescriptor &task)
{
    QString used;
    QJsonValue value;
    if (!find(StopSignal, &used, &value))
        return false;
    if (value.isUndefined())
        return true;
    if (value.isString()) {
        if (const int signal = TaskDescriptor::stopSignalFromName(value.toString())) {
            task.setStopSignal(signal);
            return true;
        }
    } else if (isWholeNumber(value, 1, 64)) {
        task.setStopSignal(int(value.toDouble()));
        return true;
    }
    return fail(QStringLiteral("\"%1\" must be one of \"TERM\", \"INT\", \"HUP\", \"QUIT\", "
                               "\"USR1\", \"USR2\", \"KILL\" (or a signal number)")
                        .arg(used));
}

bool Reader::mergeOutput(TaskDescriptor &task)
{
    QString used;
    QJsonValue value;
    if (!find(MergeOutput, &used, &value))
        return false;
    if (value.isUndefined())
        return true;
    if (!value.isBool())
        return typeError(used, QStringLiteral("a boolean"), value);
    task.setOutputMode(value.toBool() ? OutputMode::Merged : OutputMode::Separate);
    return true;
}

bool Reader::standardInput(TaskDescriptor &task)
{
    QString given;
    for (const Field *field : { &Stdin, &StdinBase64, &StdinFile, &StdinOpen }) {
        QString used;
        QJsonValue value;
        if (!find(*field, &used, &value))
            return false;
        if (value.isUndefined())
            continue;
        if (!given.isEmpty())
            return fail(QStringLiteral("\"%1\" and \"%2\" both set the standard input; give one")
                                .arg(given, used));
        given = used;
        if (field == &StdinOpen) {
            if (!value.isBool())
                return typeError(used, QStringLiteral("a boolean"), value);
            if (value.toBool())
                task.setStdinMode(StdinMode::Open);
            continue;
        }
        if (!value.isString())
            return typeError(used, QStringLiteral("a string"), value);
        const QString text = value.toString();
        if (field == &Stdin) {
            task.setStdinData(text.toUtf8());
        } else if (field == &StdinBase64) {
            const auto decoded = QByteArray::fromBase64Encoding(
                    text.toLatin1(), QByteArray::AbortOnBase64DecodingErrors);
            if (!decoded)
                return fail(QStringLiteral("\"%1\" must be base64").arg(used));
            task.setStdinData(*decoded);
        } else {
            if (text.isEmpty() || hasNul(text))
                return fail(QStringLiteral("\"%1\" must be a file name").arg(used));
            task.setStdinFile(text);
        }
    }
    return true;
}

bool Reader::retry(TaskDescriptor &task, const RetryPolicy &defaults)
{
    QString usedRetries, usedRetry;
    QJsonValue retries, retry;
    if (!find(Retries, &usedRetries, &retries) || !find(Retry, &usedRetry, &retry))
        return false;
    if (!retries.isUndefined() && !retry.isUndefined())
        return fail(QStringLiteral("\"retries\" and \"retry\" both set the retry policy; give "
                                   "one (\"retry\".\"count\" is the number of retries)"));
    QString usedCodes;
    QJsonValue codes;
    if (!find(RetryExitCodes, &usedCodes, &codes))
        return false;
    RetryPolicy policy = defaults;
    if (!codes.isUndefined()) {
        if (retry.isObject() && retry.toObject().contains(RetryExitCodes.name))
            return fail(QStringLiteral("\"retryExitCodes\" and \"retry\".\"retryExitCodes\" "
                                       "are the same field; give one"));
        if (!exitCodes(usedCodes, codes, &policy.retryExitCodes))
            return false;
    }
    if (!retries.isUndefined()) {
        if (!isWholeNumber(retries, 0, TaskDescriptor::MaxRetries))
            return fail(QStringLiteral("\"retries\" must be a whole number from 0 to %1")
                                .arg(TaskDescriptor::MaxRetries));
        policy.count = int(retries.toDouble());
        task.setRetryPolicy(policy);
        return true;
    }
    if (retry.isUndefined()) {
        if (!codes.isUndefined())
            task.setRetryPolicy(policy);
        return true;
    }
    if (!retry.isObject())
        return typeError(usedRetry, QStringLiteral("an object"), retry);
    const QJsonObject o = retry.toObject();
    for (auto it = o.constBegin(); it != o.constEnd(); ++it) {
        const QString &key = it.key();
        const QJsonValue &v = it.value();
        const double n = v.toDouble(-1);
        const bool seconds = v.isDouble() && std::isfinite(n) && n >= 0;
        if (key == QLatin1String("count")) {
            // Not capped at MaxRetries: whatever RetryPolicy holds must read back from a store.
            if (!isWholeNumber(v, 0, std::numeric_limits<int>::max()))
                return fail(QStringLiteral("\"retry\".\"count\" must be a whole number >= 0"));
            policy.count = int(n);
        } else if (key == QLatin1String("retryOnTimeout")) {
            if (!v.isBool())
                return typeError(QStringLiteral("retry\".\"retryOnTimeout"),
                                 QStringLiteral("a boolean"), v);
            policy.retryOnTimeout = v.toBool();
        } else if (key == QLatin1String("retryOnSignal")) {
            if (!v.isBool())
                return typeError(QStringLiteral("retry\".\"retryOnSignal"),
                                 QStringLiteral("a boolean"), v);
            policy.retryOnSignal = v.toBool();
        } else if (key == RetryExitCodes.name) {
            if (!exitCodes(QStringLiteral("retry\".\"retryExitCodes"), v, &policy.retryExitCodes))
                return false;
        } else if (key == QLatin1String("delaySeconds") || key == QLatin1String("maxDelaySeconds")
                   || key == QLatin1String("jitterSeconds")
                   || key == QLatin1String("backoffMultiplier")) {
            if (!seconds)
                return fail(QStringLiteral("\"retry\".\"%1\" must be a number >= 0").arg(key));
            if (key == QLatin1String("delaySeconds"))
                policy.delaySeconds = n;
            else if (key == QLatin1String("maxDelaySeconds"))
                policy.maxDelaySeconds = n;
            else if (key == QLatin1String("jitterSeconds"))
                policy.jitterSeconds = n;
            else
                policy.backoffMultiplier = n;
        } else {
            return fail(
                    QStringLiteral("\"retry\" has an unknown field \"%1\" (known: count, "
                                   "delaySeconds, backoffMultiplier, maxDelaySeconds, "
                                   "jitterSeconds, retryOnTimeout, retryExitCodes, retryOnSignal)")
                            .arg(escapeControlCharacters(key)));
        }
    }
    task.setRetryPolicy(policy);
    return true;
}

bool Reader::priority(TaskDescriptor &task)
{
    QString used;
    QJsonValue value;
    if (!find(Priority, &used, &value))
        return false;
    if (value.isUndefined())
        return true;
    if (!isWholeNumber(value, std::numeric_limits<int>::min(), std::numeric_limits<int>::max()))
        return fail(QStringLiteral("\"priority\" must be a whole number from %1 to %2")
                            .arg(std::numeric_limits<int>::min())
                            .arg(std::numeric_limits<int>::max()));
    task.setPriority(int(value.toDouble()));
    return true;
}

bool Reader::dependencies(TaskDescriptor &task)
{
    QString used;
    QJsonValue value;
    if (!find(After, &used, &value))
        return false;
    if (value.isUndefined())
        return true;
    if (!value.isArray())
        return typeError(used, QStringLiteral("an array of task ids"), value);
    const QJsonArray ids = value.toArray();
    QList<TaskId> dependencies;
    dependencies.reserve(ids.size());
    for (qsizetype i = 0; i < ids.size(); ++i) {
        // Ids up to 2^53: what a JSON number holds exactly.
        if (!isWholeNumber(ids.at(i), 1, 9007199254740992.0))
            return fail(
                    QStringLiteral("\"after\"[%1] must be a task id (a whole number >= 1)").arg(i));
        dependencies.append(TaskId(ids.at(i).toDouble()));
    }
    task.setDependencies(dependencies);
    return true;
}

bool isKnown(const QString &key)
{
    for (const Field *field : Fields) {
        if (key == field->name)
            return true;
        for (const QLatin1String older : field->olderNames) {
            if (key == older)
                return true;
        }
    }
    return false;
}

} // namespace TaskConductor::TaskDescriptorFields
