// SPDX-License-Identifier: MIT
#include "taskfileparser.h"

#include <QtCore/qjsonarray.h>
#include <QtCore/qjsondocument.h>
#include <QtCore/qjsonobject.h>

#include <cmath>
#include <optional>

namespace TaskConductor {

namespace {

bool isBlank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

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

// execve() takes C strings: a NUL inside an argument or variable would silently cut it short.
bool hasNul(const QString &s)
{
    return s.contains(QChar(0));
}

// Collects the first problem; each check returns false once one is found.
class Checker
{
public:
    explicit Checker(const QJsonObject &object)
        : m_object(object)
    { }

    QString error;

    bool fail(const QString &message)
    {
        error = message;
        return false;
    }

    bool typeError(const QString &field, const QString &expected, const QJsonValue &value)
    {
        return fail(QStringLiteral("\"%1\" must be %2, not %3")
                            .arg(field, expected, jsonTypeName(value)));
    }

    std::optional<QString> optionalString(const QString &field)
    {
        const QJsonValue v = m_object.value(field);
        if (v.isUndefined())
            return QString();
        if (!v.isString()) {
            typeError(field, QStringLiteral("a string"), v);
            return std::nullopt;
        }
        if (hasNul(v.toString())) {
            fail(QStringLiteral("\"%1\" contains a NUL character").arg(field));
            return std::nullopt;
        }
        return v.toString();
    }

private:
    const QJsonObject &m_object;
};

const QStringList &knownFields()
{
    static const QStringList fields { QStringLiteral("command"), QStringLiteral("env"),
                                      QStringLiteral("cwd"),     QStringLiteral("timeout"),
                                      QStringLiteral("log"),     QStringLiteral("retries"),
                                      QStringLiteral("name") };
    return fields;
}

} // namespace

TaskFileParser::TaskFileParser(const RetryPolicy &retryDefaults)
    : m_retryDefaults(retryDefaults)
{ }

TaskFileLine TaskFileParser::parse(QByteArrayView line, qint64 lineNumber) const
{
    TaskFileLine result;
    result.lineNumber = lineNumber;
    auto invalid = [&](const QString &message) {
        result.kind = TaskFileLineKind::Invalid;
        result.error = message;
        return result;
    };

    if (lineNumber == 1 && line.startsWith("\xEF\xBB\xBF"))
        line = line.sliced(3);
    if (line.endsWith('\r'))
        line.chop(1);
    qsizetype first = 0;
    while (first < line.size() && isBlank(line.at(first)))
        ++first;
    if (first == line.size() || line.at(first) == '#')
        return result; // Skipped

    QJsonParseError parseError;
    const QJsonDocument document = QJsonDocument::fromJson(line.toByteArray(), &parseError);
    if (parseError.error != QJsonParseError::NoError) {
        // Qt's offset points just past the character that broke the parse: its 1-based column.
        return invalid(QStringLiteral("invalid JSON at column %1: %2")
                               .arg(qMax(1, parseError.offset))
                               .arg(parseError.errorString()));
    }
    if (!document.isObject())
        return invalid(document.isArray() ? QStringLiteral("expected a JSON object, found an array")
                                          : QStringLiteral("expected a JSON object"));
    const QJsonObject object = document.object();
    Checker check(object);

    for (auto it = object.constBegin(); it != object.constEnd(); ++it) {
        if (!knownFields().contains(it.key()))
            return invalid(QStringLiteral("unknown field \"%1\" (known: %2)")
                                   .arg(it.key(), knownFields().join(QStringLiteral(", "))));
    }

    const QJsonValue commandValue = object.value(QStringLiteral("command"));
    if (commandValue.isUndefined())
        return invalid(QStringLiteral("missing required field \"command\""));
    if (!commandValue.isArray()) {
        check.typeError(QStringLiteral("command"), QStringLiteral("an array of strings"),
                        commandValue);
        return invalid(check.error);
    }
    const QJsonArray commandArray = commandValue.toArray();
    if (commandArray.isEmpty())
        return invalid(QStringLiteral("\"command\" is empty"));
    QStringList command;
    command.reserve(commandArray.size());
    for (qsizetype i = 0; i < commandArray.size(); ++i) {
        const QJsonValue arg = commandArray.at(i);
        if (!arg.isString())
            return invalid(QStringLiteral("\"command\"[%1] must be a string, not %2")
                                   .arg(i)
                                   .arg(jsonTypeName(arg)));
        if (hasNul(arg.toString()))
            return invalid(QStringLiteral("\"command\"[%1] contains a NUL character").arg(i));
        command.append(arg.toString());
    }
    if (command.first().isEmpty())
        return invalid(QStringLiteral("\"command\"[0], the program, is empty"));
    TaskDescriptor task(command);

    const QJsonValue envValue = object.value(QStringLiteral("env"));
    if (!envValue.isUndefined()) {
        if (!envValue.isObject()) {
            check.typeError(QStringLiteral("env"), QStringLiteral("an object"), envValue);
            return invalid(check.error);
        }
        const QJsonObject env = envValue.toObject();
        for (auto it = env.constBegin(); it != env.constEnd(); ++it) {
            if (it.key().isEmpty() || it.key().contains(QLatin1Char('=')) || hasNul(it.key()))
                return invalid(QStringLiteral("\"env\" has an invalid variable name \"%1\"")
                                       .arg(it.key()));
            if (it.value().isNull()) {
                task.unsetEnvironmentVariable(it.key());
            } else if (it.value().isString() && !hasNul(it.value().toString())) {
                task.setEnvironmentVariable(it.key(), it.value().toString());
            } else {
                return invalid(QStringLiteral("\"env\".\"%1\" must be a string or null, not %2")
                                       .arg(it.key(), jsonTypeName(it.value())));
            }
        }
    }

    const auto cwd = check.optionalString(QStringLiteral("cwd"));
    const auto log = check.optionalString(QStringLiteral("log"));
    const auto name = check.optionalString(QStringLiteral("name"));
    if (!cwd || !log || !name)
        return invalid(check.error);
    task.setWorkingDirectory(*cwd);
    task.setPerTaskLogPath(*log);
    task.setName(*name);

    const QJsonValue timeoutValue = object.value(QStringLiteral("timeout"));
    if (!timeoutValue.isUndefined()) {
        const double timeout = timeoutValue.toDouble(-1);
        if (!timeoutValue.isDouble() || !std::isfinite(timeout) || timeout < 0)
            return invalid(QStringLiteral("\"timeout\" must be a number of seconds >= 0"));
        task.setTimeoutSeconds(timeout);
    }

    const QJsonValue retriesValue = object.value(QStringLiteral("retries"));
    if (!retriesValue.isUndefined()) {
        const double retries = retriesValue.toDouble(-1);
        if (!retriesValue.isDouble() || retries < 0 || retries > MaxRetries
            || std::floor(retries) != retries)
            return invalid(QStringLiteral("\"retries\" must be a whole number from 0 to %1")
                                   .arg(MaxRetries));
        RetryPolicy policy = m_retryDefaults;
        policy.count = int(retries);
        task.setRetryPolicy(policy);
    }

    result.kind = TaskFileLineKind::Task;
    result.task = task;
    return result;
}

} // namespace TaskConductor
