// SPDX-License-Identifier: MIT
#include <taskconductor/jsonobjectwriter.h>
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

QByteArray TaskStore::metricsToJson(const TaskMetrics &metrics)
{
    QString text;
    JsonObjectWriter json(text);
    json.metricsMembers(metrics); // the names of the terminal event's members
    json.finish();
    return text.toUtf8();
}

TaskMetrics TaskStore::metricsFromJson(const QByteArray &json)
{
    const QJsonObject o = QJsonDocument::fromJson(json).object();
    TaskMetrics m;
    const auto read = [&o](const char *name, qint64 fallback) {
        return qint64(o.value(QLatin1String(name)).toDouble(double(fallback)));
    };
    m.queueMs = read("queueMs", m.queueMs);
    m.runMs = read("runMs", m.runMs);
    m.stdoutBytes = read("stdoutBytes", m.stdoutBytes);
    m.stderrBytes = read("stderrBytes", m.stderrBytes);
    m.stdoutLines = read("stdoutLines", m.stdoutLines);
    m.stderrLines = read("stderrLines", m.stderrLines);
    m.cpuMs = read("cpuMs", m.cpuMs);
    m.maxRssKb = read("maxRssKb", m.maxRssKb);
    return m;
}

} // namespace TaskConductor
