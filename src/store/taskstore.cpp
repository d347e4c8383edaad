// SPDX-License-Identifier: MIT
#include <taskconductor/taskstore.h>

#include <QtCore/qjsondocument.h>
#include <QtCore/qjsonobject.h>

#include <limits>

namespace TaskConductor {

TaskStore::~TaskStore() = default;

bool TaskStore::recordExecutorIdentity(const QByteArray &)
{
    return true;
}

QByteArray TaskStore::executorIdentity()
{
    return {};
}

QByteArray TaskStore::descriptorToJson(const TaskDescriptor &task)
{
    return QJsonDocument(task.toJson()).toJson(QJsonDocument::Compact);
}

std::optional<StoredTask> TaskStore::task(TaskId id)
{
    HistoryQuery query;
    query.state = TaskState::Done;
    query.limit = std::numeric_limits<int>::max();
    for (const StoredTask &task : history(query)) {
        if (task.id == id)
            return task;
    }
    for (const StoredTask &task : unfinishedTasks()) {
        if (task.id == id)
            return task;
    }
    return std::nullopt;
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
