// SPDX-License-Identifier: MIT
#include <taskconductor/taskstore.h>

#include <QtCore/qjsondocument.h>
#include <QtCore/qjsonobject.h>

namespace TaskConductor {

TaskStore::~TaskStore() = default;

QByteArray TaskStore::descriptorToJson(const TaskDescriptor &task)
{
    return QJsonDocument(task.toJson()).toJson(QJsonDocument::Compact);
}

std::optional<TaskDescriptor> TaskStore::descriptorFromJson(const QByteArray &json)
{
    QJsonParseError error;
    const QJsonDocument doc = QJsonDocument::fromJson(json, &error);
    if (error.error != QJsonParseError::NoError || !doc.isObject())
        return std::nullopt;
    // The one codec; it also reads the names stores wrote before it ("workdir", "unsetEnv",
    // "timeoutSeconds", "logPath").
    return TaskDescriptor::fromJson(doc.object());
}

} // namespace TaskConductor
