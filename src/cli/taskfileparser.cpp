// SPDX-License-Identifier: MIT
#include "taskfileparser.h"

#include <taskconductor/eventtext.h>

#include <QtCore/qjsonarray.h>
#include <QtCore/qjsondocument.h>
#include <QtCore/qjsonobject.h>
#include <QtCore/qset.h>

#include <algorithm>
#include <optional>

namespace TaskConductor {

namespace {

bool isBlank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

// A JSON string's text from its opening quote at \a i; \a i ends past the closing quote.
// Escapes are decoded, so "comm\u0061nd" and "command" are the same key.
QString decodeString(QByteArrayView json, qsizetype &i)
{
    QString text;
    qsizetype runStart = ++i;
    auto flushRun = [&](qsizetype end) {
        text += QString::fromUtf8(json.sliced(runStart, end - runStart));
    };
    while (i < json.size() && json.at(i) != '"') {
        if (json.at(i) != '\\') {
            ++i;
            continue;
        }
        flushRun(i);
        const char escaped = i + 1 < json.size() ? json.at(i + 1) : '\0';
        i += 2;
        switch (escaped) {
        case 'u': {
            bool ok = false;
            const ushort unit = json.sliced(i, std::min<qsizetype>(4, json.size() - i))
                                        .toByteArray()
                                        .toUShort(&ok, 16);
            text += QChar(ok ? unit : 0xfffd);
            i += 4;
            break;
        }
        case 'n':
            text += QLatin1Char('\n');
            break;
        case 't':
            text += QLatin1Char('\t');
            break;
        case 'r':
            text += QLatin1Char('\r');
            break;
        case 'b':
            text += QLatin1Char('\b');
            break;
        case 'f':
            text += QLatin1Char('\f');
            break;
        default: // '"', '\\', '/'
            text += QLatin1Char(escaped);
            break;
        }
        runStart = i;
    }
    flushRun(std::min(i, json.size()));
    ++i;
    return text;
}

// QJsonDocument keeps the last of two equal keys without a word, so {"command": [...],
// "command": [...]} would run something the author did not mean. A light scan of the text
// (already known to be valid JSON) finds the first key that repeats within one object.
// Returns the error, or an empty string.
QString duplicateKeyError(QByteArrayView json)
{
    struct Frame
    {
        bool isObject;
        bool expectKey;
        QString name; // the key this object or array is the value of ("" at the top)
        QSet<QString> keys;
    };
    QList<Frame> stack;
    QString lastKey;
    for (qsizetype i = 0; i < json.size();) {
        const char c = json.at(i);
        if (c == '"') {
            Frame *frame = stack.isEmpty() ? nullptr : &stack.last();
            QString text = decodeString(json, i);
            if (frame && frame->isObject && frame->expectKey) {
                frame->expectKey = false;
                if (frame->keys.contains(text)) {
                    const QString key = escapeControlCharacters(text);
                    if (stack.size() == 1)
                        return QStringLiteral("field \"%1\" is given twice (only one may be)")
                                .arg(key);
                    return QStringLiteral("key \"%1\" is given twice in \"%2\"")
                            .arg(key, escapeControlCharacters(frame->name));
                }
                frame->keys.insert(text);
                lastKey = std::move(text);
            }
            continue;
        }
        if (c == '{' || c == '[') {
            const QString name = stack.isEmpty() ? QString()
                    : stack.last().isObject      ? lastKey
                                                 : stack.last().name;
            stack.append(Frame { c == '{', c == '{', name, {} });
        } else if (c == '}' || c == ']') {
            if (!stack.isEmpty())
                stack.removeLast();
        } else if (c == ',' && !stack.isEmpty() && stack.last().isObject) {
            stack.last().expectKey = true;
        }
        ++i;
    }
    return QString();
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
    const QString duplicate = duplicateKeyError(line);
    if (!duplicate.isEmpty())
        return invalid(duplicate);
    QJsonObject object = document.object();
    // "after" names earlier tasks of the file; the CLI resolves the names to the ids the codec
    // holds (TaskNames), so the codec does not see it.
    const QJsonValue after = object.take(QLatin1String("after"));
    if (!after.isUndefined()) {
        if (!after.isArray())
            return invalid(QStringLiteral("\"after\" must be an array of task names"));
        const QJsonArray names = after.toArray();
        for (qsizetype i = 0; i < names.size(); ++i) {
            const QString name = names.at(i).toString();
            if (!names.at(i).isString() || name.isEmpty() || name.contains(QChar(0)))
                return invalid(QStringLiteral("\"after\"[%1] must be a task name").arg(i));
            result.after.append(name);
        }
    }
    // The one codec: the same names and checks as the store and QML (TaskDescriptor::fromJson).
    QString error;
    const std::optional<TaskDescriptor> task =
            TaskDescriptor::fromJson(object, &error, m_retryDefaults);
    if (!task)
        return invalid(error);
    if (task->retryPolicy() && task->retryPolicy()->count > MaxRetries)
        return invalid(QStringLiteral("\"retry\".\"count\" must be at most %1").arg(MaxRetries));
    // Nothing would ever write to it: the task would wait for input for ever.
    if (task->stdinMode() == StdinMode::Open)
        return invalid(QStringLiteral("\"stdinOpen\" needs a host that writes the task's stdin; "
                                      "give \"stdin\" (text) or \"stdinFile\""));

    result.kind = TaskFileLineKind::Task;
    result.task = *task;
    return result;
}

} // namespace TaskConductor
