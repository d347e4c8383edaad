// SPDX-License-Identifier: MIT
#pragma once

// Private to TaskConductor: the fields of the one JSON form of a TaskDescriptor and the reader
// that checks them one by one (taskdescriptorreader.cpp); the codec (taskdescriptorjson.cpp)
// writes the same names.

#include <taskconductor/eventtext.h>
#include <taskconductor/taskdescriptor.h>

#include <QtCore/qjsonobject.h>
#include <QtCore/qjsonvalue.h>

#include <initializer_list>

namespace TaskConductor::TaskDescriptorFields {

// The canonical names (the task file's), each with the older spellings that stores and QML
// code wrote before there was one vocabulary; those are read, never written.
struct Field
{
    QLatin1String name;
    std::initializer_list<QLatin1String> olderNames;
};

inline const Field Command { QLatin1String("command"), {} };
inline const Field Name { QLatin1String("name"), {} };
inline const Field Cwd { QLatin1String("cwd"),
                         { QLatin1String("workdir"), QLatin1String("workingDirectory") } };
inline const Field Env { QLatin1String("env"), { QLatin1String("environment") } };
inline const Field UnsetEnv { QLatin1String("unsetEnv"), { QLatin1String("unsetEnvironment") } };
inline const Field Timeout { QLatin1String("timeout"), { QLatin1String("timeoutSeconds") } };
inline const Field Log { QLatin1String("log"),
                         { QLatin1String("logPath"), QLatin1String("perTaskLogPath") } };
inline const Field Retries { QLatin1String("retries"), {} };
inline const Field Retry { QLatin1String("retry"), {} };
inline const Field Priority { QLatin1String("priority"), {} };
inline const Field Lane { QLatin1String("lane"), {} };
// Ids of tasks enqueued earlier (TaskDescriptor::dependencies()). The task file's "after" holds
// names instead, which the CLI resolves to ids before a task reaches the Broker or the store.
inline const Field After { QLatin1String("after"), {} };

inline const Field IdleTimeout { QLatin1String("idleTimeout"), {} };
inline const Field SuccessExitCodes { QLatin1String("successExitCodes"), {} };
inline const Field RetryExitCodes { QLatin1String("retryExitCodes"), {} };
inline const Field StopSignal { QLatin1String("stopSignal"), {} };
inline const Field MergeOutput { QLatin1String("mergeOutput"), {} };
inline const Field Stdin { QLatin1String("stdin"), {} };
inline const Field StdinBase64 { QLatin1String("stdinBase64"), {} };
inline const Field StdinFile { QLatin1String("stdinFile"), {} };
inline const Field StdinOpen { QLatin1String("stdinOpen"), {} };

inline const Field *const Fields[] = { &Command,
                                       &Name,
                                       &Cwd,
                                       &Env,
                                       &Timeout,
                                       &Retries,
                                       &Retry,
                                       &Priority,
                                       &Lane,
                                       &After,
                                       &Log,
                                       &IdleTimeout,
                                       &SuccessExitCodes,
                                       &RetryExitCodes,
                                       &StopSignal,
                                       &MergeOutput,
                                       &Stdin,
                                       &StdinBase64,
                                       &StdinFile,
                                       &StdinOpen,
                                       &UnsetEnv };

// execve() takes C strings: a NUL inside an argument or variable would silently cut it short.
inline bool hasNul(const QString &s)
{
    return s.contains(QChar(0));
}

//! "a string", "an array" …: what a value is, for error messages.
QString jsonTypeName(const QJsonValue &value);

//! True for a canonical name or an older spelling of a field.
bool isKnown(const QString &key);

// Reads one object, collecting the first problem as a sentence that names the field by the
// spelling the input used. Names from the input are escaped: errors are printed.
class Reader
{
public:
    Reader(const QJsonObject &object, QString *error)
        : m_object(object)
        , m_error(error)
    { }

    bool fail(const QString &message)
    {
        if (m_error)
            *m_error = message;
        return false;
    }
    bool typeError(const QString &field, const QString &expected, const QJsonValue &value)
    {
        return fail(QStringLiteral("\"%1\" must be %2, not %3")
                            .arg(field, expected, jsonTypeName(value)));
    }

    //! Finds \a field under its name or one older spelling; false if two spellings are given.
    bool find(const Field &field, QString *usedName, QJsonValue *value)
    {
        *value = QJsonValue(QJsonValue::Undefined);
        auto look = [&](QLatin1String name) {
            const auto it = m_object.constFind(name);
            if (it == m_object.constEnd())
                return true;
            if (!value->isUndefined())
                return fail(QStringLiteral("\"%1\" and \"%2\" are the same field; give one")
                                    .arg(*usedName, name));
            *usedName = name;
            *value = it.value();
            return true;
        };
        if (!look(field.name))
            return false;
        for (const QLatin1String older : field.olderNames) {
            if (!look(older))
                return false;
        }
        return true;
    }

    bool string(const Field &field, void (TaskDescriptor::*set)(const QString &),
                TaskDescriptor &task)
    {
        QString used;
        QJsonValue v;
        if (!find(field, &used, &v))
            return false;
        if (v.isUndefined())
            return true;
        if (!v.isString())
            return typeError(used, QStringLiteral("a string"), v);
        if (hasNul(v.toString()))
            return fail(QStringLiteral("\"%1\" contains a NUL character").arg(used));
        (task.*set)(v.toString());
        return true;
    }

    bool checkVariableName(const QString &field, const QString &name)
    {
        if (name.isEmpty() || name.contains(QLatin1Char('=')) || hasNul(name))
            return fail(QStringLiteral("\"%1\" has an invalid variable name \"%2\"")
                                .arg(field, escapeControlCharacters(name)));
        return true;
    }

    bool command(TaskDescriptor &task);
    bool environment(TaskDescriptor &task);
    bool timeout(TaskDescriptor &task);
    bool retry(TaskDescriptor &task, const RetryPolicy &defaults);
    bool priority(TaskDescriptor &task);
    bool dependencies(TaskDescriptor &task);
    bool idleTimeout(TaskDescriptor &task);
    bool exitCodes(const QString &field, const QJsonValue &value, QList<int> *codes);
    bool successExitCodes(TaskDescriptor &task);
    bool stopSignal(TaskDescriptor &task);
    bool mergeOutput(TaskDescriptor &task);
    bool standardInput(TaskDescriptor &task);

private:
    const QJsonObject &m_object;
    QString *m_error;
};

} // namespace TaskConductor::TaskDescriptorFields
