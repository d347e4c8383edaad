// SPDX-License-Identifier: MIT
#include "tasknames.h"

#include <taskconductor/eventtext.h>

namespace TaskConductor {

quint64 TaskNames::key(const QString &name)
{
    static_assert(sizeof(size_t) == 8, "a 64-bit key");
    return quint64(qHash(name, size_t(0x9e3779b97f4a7c15ull)));
}

QList<TaskId> TaskNames::resolve(const QStringList &after, QString &error)
{
    QList<TaskId> ids;
    for (const QString &name : after) {
        const quint64 k = key(name);
        const auto it = m_ids.constFind(k);
        if (it == m_ids.cend()) {
            error = QStringLiteral("\"after\" names \"%1\", which no earlier task has")
                            .arg(escapeControlCharacters(name));
            return {};
        }
        if (m_twice.contains(k)) {
            error = QStringLiteral("\"after\" names \"%1\", which more than one earlier task has")
                            .arg(escapeControlCharacters(name));
            return {};
        }
        m_referenced.insert(k);
        ids.append(*it);
    }
    return ids;
}

void TaskNames::check(const QString &name, QString &error) const
{
    if (!name.isEmpty() && m_referenced.contains(key(name)))
        error = QStringLiteral("the name \"%1\" is used again, and a task refers to it in "
                               "\"after\"")
                        .arg(escapeControlCharacters(name));
}

void TaskNames::add(const QString &name, TaskId id)
{
    if (name.isEmpty())
        return;
    const quint64 k = key(name);
    if (m_ids.contains(k))
        m_twice.insert(k);
    m_ids.insert(k, id);
}

} // namespace TaskConductor
