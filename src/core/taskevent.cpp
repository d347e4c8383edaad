// SPDX-License-Identifier: MIT
#include <taskconductor/taskevent.h>

#include <taskconductor/jsonobjectwriter.h>

#include "outputlines_p.h"

#include <QtCore/qjsonarray.h>
#include <QtCore/qjsonobject.h>

namespace TaskConductor {

TaskEvent TaskEvent::started(TaskId id, int attempt, const QStringList &command,
                             const QString &workingDirectory, int priority, const QString &lane)
{
    TaskEvent e(EventKind::Started, id, attempt);
    e.m_command = command;
    e.m_workingDirectory = workingDirectory;
    e.m_priority = priority;
    e.m_lane = lane;
    return e;
}

TaskEvent TaskEvent::output(TaskId id, int attempt, OutputChannel channel, const QString &line)
{
    TaskEvent e(channel == OutputChannel::Stdout ? EventKind::Stdout : EventKind::Stderr, id,
                attempt);
    e.m_text = line;
    return e;
}

TaskEvent TaskEvent::output(TaskId id, int attempt, OutputChannel channel, QString &&line)
{
    TaskEvent e(channel == OutputChannel::Stdout ? EventKind::Stdout : EventKind::Stderr, id,
                attempt);
    e.m_text = std::move(line);
    return e;
}

TaskEvent TaskEvent::outputBatch(TaskId id, int attempt, OutputChannel channel, QByteArray bytes,
                                 QList<qsizetype> bounds)
{
    return outputBatch(id, attempt, channel, std::move(bytes), std::move(bounds), QByteArray());
}

TaskEvent TaskEvent::outputBatch(TaskId id, int attempt, OutputChannel channel, QByteArray bytes,
                                 QList<qsizetype> bounds, QByteArray moreBytes)
{
    Q_ASSERT(!bounds.isEmpty() && bounds.size() % 2 == 0);
    TaskEvent e(channel == OutputChannel::Stdout ? EventKind::Stdout : EventKind::Stderr, id,
                attempt);
    e.m_batch = std::make_shared<const LineBatch>(
            LineBatch { std::move(bytes), std::move(bounds), std::move(moreBytes) });
    return e;
}

TaskEvent TaskEvent::outputBatch(TaskId id, int attempt, OutputChannel channel,
                                 const QList<QByteArray> &lines)
{
    QByteArray bytes;
    QList<qsizetype> bounds;
    bounds.reserve(2 * lines.size());
    for (const QByteArray &line : lines) {
        bounds.append(bytes.size());
        bytes.append(line);
        bounds.append(bytes.size());
    }
    return outputBatch(id, attempt, channel, std::move(bytes), std::move(bounds));
}

QString TaskEvent::decodeLine(QByteArrayView bytes)
{
    // Most output is ASCII, where Latin-1 decodes the same bytes at a fraction of UTF-8's
    // per-call cost (a fifth of a short line's instructions went to the UTF-8 decoder).
    return OutputLines::isAscii(bytes) ? QString::fromLatin1(bytes) : QString::fromUtf8(bytes);
}

QString TaskEvent::lineAt(qsizetype i) const
{
    if (!m_batch)
        return i == 0 ? m_text : QString();
    return decodeLine(lineBytes(i));
}

QStringList TaskEvent::lines() const
{
    QStringList out;
    const qsizetype count = lineCount();
    out.reserve(count);
    for (qsizetype i = 0; i < count; ++i)
        out.append(lineAt(i));
    return out;
}

QString TaskEvent::joinedLines() const
{
    QString out;
    const qsizetype count = lineCount();
    for (qsizetype i = 0; i < count; ++i) {
        if (i > 0)
            out.append(u'\n');
        out.append(lineAt(i));
    }
    return out;
}

TaskEvent TaskEvent::finished(TaskId id, int attempt, qint64 durationMs, int exitCode)
{
    TaskEvent e(EventKind::Finished, id, attempt);
    e.m_terminal = true;
    e.m_exitCode = exitCode;
    e.m_durationMs = durationMs;
    return e;
}

TaskEvent TaskEvent::failed(TaskId id, int attempt, int exitCode, qint64 durationMs,
                            const QString &message)
{
    TaskEvent e(EventKind::Failed, id, attempt);
    e.m_terminal = true;
    e.m_exitCode = exitCode;
    e.m_durationMs = durationMs;
    e.m_text = message;
    return e;
}

TaskEvent TaskEvent::canceled(TaskId id, int attempt, qint64 durationMs, const QString &message)
{
    TaskEvent e(EventKind::Canceled, id, attempt);
    e.m_terminal = true;
    e.m_durationMs = durationMs;
    e.m_text = message;
    return e;
}

TaskEvent TaskEvent::timeout(TaskId id, int attempt, qint64 durationMs, TimeoutReason reason)
{
    TaskEvent e(EventKind::Timeout, id, attempt);
    e.m_terminal = true;
    e.m_durationMs = durationMs;
    e.m_timeoutReason = reason;
    return e;
}

QString TaskEvent::timeoutReasonName(TimeoutReason reason)
{
    return reason == TimeoutReason::Idle ? QStringLiteral("idle") : QStringLiteral("deadline");
}

bool operator==(const TaskMetrics &a, const TaskMetrics &b)
{
    return a.queueMs == b.queueMs && a.runMs == b.runMs && a.stdoutBytes == b.stdoutBytes
            && a.stderrBytes == b.stderrBytes && a.stdoutLines == b.stdoutLines
            && a.stderrLines == b.stderrLines && a.cpuMs == b.cpuMs && a.maxRssKb == b.maxRssKb;
}

TaskEvent TaskEvent::retrying(TaskId id, int attempt, int exitCode, qint64 delayMs)
{
    TaskEvent e(EventKind::Retrying, id, attempt);
    e.m_exitCode = exitCode;
    e.m_delayMs = delayMs;
    return e;
}

TaskEvent TaskEvent::internalError(TaskId id, int attempt, const QString &message, bool terminal)
{
    TaskEvent e(EventKind::InternalError, id, attempt);
    e.m_terminal = terminal;
    e.m_text = message;
    return e;
}

QString TaskEvent::kindName(EventKind kind)
{
    switch (kind) {
    case EventKind::Started:
        return QStringLiteral("started");
    case EventKind::Stdout:
        return QStringLiteral("stdout");
    case EventKind::Stderr:
        return QStringLiteral("stderr");
    case EventKind::Finished:
        return QStringLiteral("finished");
    case EventKind::Failed:
        return QStringLiteral("failed");
    case EventKind::Canceled:
        return QStringLiteral("canceled");
    case EventKind::Timeout:
        return QStringLiteral("timeout");
    case EventKind::Retrying:
        return QStringLiteral("retrying");
    case EventKind::InternalError:
        return QStringLiteral("internalError");
    }
    return QString();
}

std::optional<Outcome> TaskEvent::outcome() const
{
    if (!m_terminal)
        return std::nullopt;
    switch (m_kind) {
    case EventKind::Finished:
        return Outcome::Finished;
    case EventKind::Failed:
        return Outcome::Failed;
    case EventKind::Timeout:
        return Outcome::TimedOut;
    case EventKind::Canceled:
        return Outcome::Canceled;
    case EventKind::InternalError:
        return Outcome::Rejected;
    case EventKind::Started:
    case EventKind::Stdout:
    case EventKind::Stderr:
    case EventKind::Retrying:
        break;
    }
    return std::nullopt;
}

QString TaskEvent::outcomeName(Outcome outcome)
{
    switch (outcome) {
    case Outcome::Finished:
        return QStringLiteral("finished");
    case Outcome::Failed:
        return QStringLiteral("failed");
    case Outcome::TimedOut:
        return QStringLiteral("timeout");
    case Outcome::Canceled:
        return QStringLiteral("canceled");
    case Outcome::Rejected:
        return QStringLiteral("rejected");
    }
    return QString();
}

std::optional<Outcome> TaskEvent::outcomeFromName(QStringView name)
{
    for (const Outcome outcome : { Outcome::Finished, Outcome::Failed, Outcome::TimedOut,
                                   Outcome::Canceled, Outcome::Rejected }) {
        if (name == outcomeName(outcome))
            return outcome;
    }
    if (name == u"internalError") // how stores written before Outcome name a rejection
        return Outcome::Rejected;
    return std::nullopt;
}

// description() is written by the one text formatter, in eventtext.cpp.

QJsonObject TaskEvent::toJson() const
{
    QJsonObject o;
    o.insert(QStringLiteral("event"), kindName(m_kind));
    o.insert(QStringLiteral("id"), qint64(m_taskId));
    o.insert(QStringLiteral("attempt"), m_attempt);
    switch (m_kind) {
    case EventKind::Started:
        o.insert(QStringLiteral("command"), QJsonArray::fromStringList(m_command));
        o.insert(QStringLiteral("workdir"), m_workingDirectory);
        o.insert(QStringLiteral("priority"), m_priority);
        o.insert(QStringLiteral("lane"), m_lane);
        break;
    case EventKind::Stdout:
    case EventKind::Stderr:
        o.insert(QStringLiteral("line"), m_text);
        break;
    case EventKind::Finished:
        o.insert(QStringLiteral("exitCode"), m_exitCode);
        o.insert(QStringLiteral("durationMs"), m_durationMs);
        break;
    case EventKind::Failed:
        o.insert(QStringLiteral("exitCode"), m_exitCode);
        o.insert(QStringLiteral("durationMs"), m_durationMs);
        if (!m_text.isEmpty())
            o.insert(QStringLiteral("message"), m_text);
        break;
    case EventKind::Canceled:
        o.insert(QStringLiteral("durationMs"), m_durationMs);
        if (!m_text.isEmpty())
            o.insert(QStringLiteral("message"), m_text);
        break;
    case EventKind::Timeout:
        o.insert(QStringLiteral("durationMs"), m_durationMs);
        o.insert(QStringLiteral("reason"), timeoutReasonName(m_timeoutReason));
        break;
    case EventKind::Retrying:
        o.insert(QStringLiteral("exitCode"), m_exitCode);
        o.insert(QStringLiteral("delayMs"), m_delayMs);
        break;
    case EventKind::InternalError:
        o.insert(QStringLiteral("message"), m_text);
        o.insert(QStringLiteral("terminal"), m_terminal);
        break;
    }
    if (m_terminal) {
        o.insert(QStringLiteral("queueMs"), m_metrics.queueMs);
        o.insert(QStringLiteral("runMs"), m_metrics.runMs);
        o.insert(QStringLiteral("stdoutBytes"), m_metrics.stdoutBytes);
        o.insert(QStringLiteral("stderrBytes"), m_metrics.stderrBytes);
        o.insert(QStringLiteral("stdoutLines"), m_metrics.stdoutLines);
        o.insert(QStringLiteral("stderrLines"), m_metrics.stderrLines);
        if (m_metrics.cpuMs >= 0)
            o.insert(QStringLiteral("cpuMs"), m_metrics.cpuMs);
        if (m_metrics.maxRssKb >= 0)
            o.insert(QStringLiteral("maxRssKb"), m_metrics.maxRssKb);
    }
    return o;
}

QString TaskEvent::toJsonText() const
{
    QString out;
    out.reserve(64 + m_text.size());
    JsonObjectWriter json(out);
    json.eventMembers(*this);
    json.finish();
    return out;
}

bool operator==(const TaskEvent &a, const TaskEvent &b)
{
    return a.m_kind == b.m_kind && a.m_terminal == b.m_terminal && a.m_taskId == b.m_taskId
            && a.m_attempt == b.m_attempt && a.m_exitCode == b.m_exitCode
            && a.m_durationMs == b.m_durationMs && a.m_delayMs == b.m_delayMs
            && a.lineCount() == b.lineCount() && a.line() == b.line() && a.message() == b.message()
            && a.m_command == b.m_command && a.m_workingDirectory == b.m_workingDirectory
            && a.m_priority == b.m_priority && a.m_lane == b.m_lane
            && a.m_timeoutReason == b.m_timeoutReason && a.m_metrics == b.m_metrics;
}

} // namespace TaskConductor
