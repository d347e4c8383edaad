// SPDX-License-Identifier: MIT
#pragma once

#include <taskconductor/taskconductor_export.h>
#include <taskconductor/taskmetrics.h>
#include <taskconductor/types.h>

#include <QtCore/qbytearray.h>
#include <QtCore/qbytearrayview.h>
#include <QtCore/qlist.h>
#include <QtCore/qmetatype.h>
#include <QtCore/qstringlist.h>

#include <memory>
#include <optional>

QT_BEGIN_NAMESPACE
class QJsonObject;
QT_END_NAMESPACE

namespace TaskConductor {

//! One thing that happened to one task. A value type; which fields apply depends on kind():
//! - Started: command(), workingDirectory(), priority(), lane()
//! - Stdout / Stderr: line(); a batch (BrokerConfig::outputBatching) holds the lines of one
//!   read: lineCount(), lineAt(), lineBytes()
//! - Finished / Failed: exitCode() (0 for Finished), durationMs(); Failed also message() (why:
//!   crash, start failure)
//! - Canceled / Timeout: durationMs(); Canceled also message() when a dependency ended the task;
//!   Timeout also timeoutReason()
//! - Retrying: exitCode() of the failed attempt, delayMs() before the next one
//! - InternalError: message()
//! attempt() is the 1-based run the event belongs to (0 before the first run).
//! durationMs() counts from the launch of the first attempt (0 if it never launched).
//! Every terminal event carries metrics() (zero for a task that never ran).
class TASKCONDUCTOR_EXPORT TaskEvent
{
    Q_GADGET
    Q_PROPERTY(TaskConductor::EventKind kind READ kind CONSTANT)
    Q_PROPERTY(quint64 taskId READ taskId CONSTANT)
    Q_PROPERTY(int attempt READ attempt CONSTANT)
    Q_PROPERTY(QString line READ line CONSTANT)
    Q_PROPERTY(int exitCode READ exitCode CONSTANT)
    Q_PROPERTY(qint64 durationMs READ durationMs CONSTANT)
    Q_PROPERTY(qint64 delayMs READ delayMs CONSTANT)
    Q_PROPERTY(QString message READ message CONSTANT)
    Q_PROPERTY(QStringList command READ command CONSTANT)
    Q_PROPERTY(QString workingDirectory READ workingDirectory CONSTANT)
    Q_PROPERTY(int priority READ priority CONSTANT)
    Q_PROPERTY(QString lane READ lane CONSTANT)
    Q_PROPERTY(bool terminal READ isTerminal CONSTANT)
    Q_PROPERTY(TaskConductor::TimeoutReason timeoutReason READ timeoutReason CONSTANT)
    Q_PROPERTY(TaskConductor::TaskMetrics metrics READ metrics CONSTANT)

public:
    TaskEvent() = default;

    static TaskEvent started(TaskId id, int attempt, const QStringList &command,
                             const QString &workingDirectory, int priority = 0,
                             const QString &lane = {});
    static TaskEvent output(TaskId id, int attempt, OutputChannel channel, const QString &line);
    static TaskEvent output(TaskId id, int attempt, OutputChannel channel, QString &&line);
    //! A batch of lines of one channel: line i is \a bytes [\a bounds[2i], \a bounds[2i + 1]),
    //! UTF-8 as the process wrote it, without its line break. At least one line.
    static TaskEvent outputBatch(TaskId id, int attempt, OutputChannel channel, QByteArray bytes,
                                 QList<qsizetype> bounds);
    //! As above, with the lines in \a bytes followed by \a moreBytes, kept apart so that a read
    //! can be shared instead of copied (a bound of bytes.size() or more is in moreBytes).
    static TaskEvent outputBatch(TaskId id, int attempt, OutputChannel channel, QByteArray bytes,
                                 QList<qsizetype> bounds, QByteArray moreBytes);
    //! A batch of \a lines (at least one), each UTF-8 without a line break.
    static TaskEvent outputBatch(TaskId id, int attempt, OutputChannel channel,
                                 const QList<QByteArray> &lines);
    //! \a exitCode is the one the process exited with: a success, so 0.
    static TaskEvent finished(TaskId id, int attempt, qint64 durationMs, int exitCode = 0);
    static TaskEvent failed(TaskId id, int attempt, int exitCode, qint64 durationMs,
                            const QString &message = {});
    //! \a message: why, when not cancel() (e.g. "dependency 4 did not finish: it ended failed").
    static TaskEvent canceled(TaskId id, int attempt, qint64 durationMs,
                              const QString &message = {});
    static TaskEvent timeout(TaskId id, int attempt, qint64 durationMs,
                             TimeoutReason reason = TimeoutReason::Deadline);
    static TaskEvent retrying(TaskId id, int attempt, int exitCode, qint64 delayMs);
    static TaskEvent internalError(TaskId id, int attempt, const QString &message, bool terminal);

    EventKind kind() const { return m_kind; }
    TaskId taskId() const { return m_taskId; }
    int attempt() const { return m_attempt; }
    //! The line of an output event; for a batch, its lines joined by '\n' (no line holds one).
    QString line() const { return m_batch ? joinedLines() : m_text; }
    int exitCode() const { return m_exitCode; }
    qint64 durationMs() const { return m_durationMs; }
    qint64 delayMs() const { return m_delayMs; }
    QString message() const
    {
        return m_kind == EventKind::Stdout || m_kind == EventKind::Stderr ? QString() : m_text;
    }
    QStringList command() const { return m_command; }
    QString workingDirectory() const { return m_workingDirectory; }
    //! Of Started: the task's priority and lane (TaskDescriptor::priority(), lane()).
    int priority() const { return m_priority; }
    QString lane() const { return m_lane; }
    //! Of Timeout: which limit it ran into.
    TimeoutReason timeoutReason() const { return m_timeoutReason; }
    //! Of a terminal event: what the task cost (TaskMetrics).
    TaskMetrics metrics() const { return m_metrics; }
    //! Returns this event with \a metrics (set by the Broker on terminal events).
    TaskEvent withMetrics(const TaskMetrics &metrics) const
    {
        TaskEvent e = *this;
        e.m_metrics = metrics;
        return e;
    }
    //! "deadline", "idle": the name in JSON and logs.
    static QString timeoutReasonName(TimeoutReason reason);

    //! Lines this event carries: 1 for an output event, more for a batch, 0 for other kinds.
    qsizetype lineCount() const
    {
        if (m_batch)
            return m_batch->bounds.size() / 2;
        return m_kind == EventKind::Stdout || m_kind == EventKind::Stderr ? 1 : 0;
    }
    //! Line \a i (0 <= i < lineCount()) as text; a batch decodes it on each call, as UTF-8.
    QString lineAt(qsizetype i) const;
    //! The lines as text (lineAt() of each).
    QStringList lines() const;
    //! True for a batch: its lines are kept as bytes (lineBytes()), decoded only when asked.
    bool hasLineBytes() const { return bool(m_batch); }
    //! The bytes of line \a i of a batch, valid as long as the event; empty for other events.
    QByteArrayView lineBytes(qsizetype i) const
    {
        if (!m_batch)
            return {};
        // Inline: a host that walks a batch's lines calls this once per line.
        const qsizetype *const bounds = m_batch->bounds.constData() + 2 * i;
        const qsizetype inBytes = m_batch->bytes.size();
        return bounds[0] < inBytes
                ? QByteArrayView(m_batch->bytes.constData() + bounds[0], bounds[1] - bounds[0])
                : QByteArrayView(m_batch->moreBytes.constData() + (bounds[0] - inBytes),
                                 bounds[1] - bounds[0]);
    }
    //! Text of \a bytes as output events carry it: UTF-8, invalid sequences replaced (U+FFFD).
    static QString decodeLine(QByteArrayView bytes);

    //! True for the one event that ends its enqueue: Finished, Failed, Canceled, Timeout, and
    //! an InternalError that ended the task (queue full, invalid task).
    bool isTerminal() const { return m_terminal; }

    //! How the task ended, for a terminal event (Finished, Failed, TimedOut, Canceled, or
    //! Rejected for a terminal InternalError); nullopt for any other event.
    std::optional<Outcome> outcome() const;
    //! "finished", "failed", "timeout", "canceled", "rejected": the name in JSON, stores, models.
    static QString outcomeName(Outcome outcome);
    //! The inverse of outcomeName(); also reads "internalError" (older stores) as Rejected.
    static std::optional<Outcome> outcomeFromName(QStringView name);

    //! One readable line, not escaped: an output event's line as is, any other event as
    //! "<event> <details>", e.g. "finished (exit 0) in 12 ms" (eventtext.h, the one formatter).
    QString description() const;
    //! The JSON form: {"event": "finished", "id": 3, "attempt": 1, "exitCode": 0, ...} with the
    //! fields that apply to kind().
    QJsonObject toJson() const;
    //! toJson() as compact JSON text on one line (no line break in it, none appended), written
    //! directly: several times cheaper than QJsonDocument(toJson()).toJson(Compact). Members
    //! come in a fixed order: id, event, attempt, then the kind's fields.
    QString toJsonText() const;
    //! The lower-case event name used in JSON and logs: "started", "stdout", ... "internalError".
    static QString kindName(EventKind kind);

    friend TASKCONDUCTOR_EXPORT bool operator==(const TaskEvent &a, const TaskEvent &b);
    friend bool operator!=(const TaskEvent &a, const TaskEvent &b) { return !(a == b); }

private:
    TaskEvent(EventKind kind, TaskId id, int attempt)
        : m_kind(kind)
        , m_taskId(id)
        , m_attempt(attempt)
    { }

    EventKind m_kind = EventKind::InternalError;
    bool m_terminal = false;
    TimeoutReason m_timeoutReason = TimeoutReason::Deadline;
    TaskId m_taskId = 0;
    int m_attempt = 0;
    int m_exitCode = 0;
    int m_priority = 0;
    qint64 m_durationMs = 0;
    qint64 m_delayMs = 0;
    QString m_text; // line for output events, message otherwise
    QStringList m_command;
    QString m_workingDirectory;
    QString m_lane;
    // A batch's lines: one pointer, so that one-line events stay as cheap as they were.
    struct LineBatch
    {
        QByteArray bytes; // the lines, one copy of the read they came in
        QList<qsizetype> bounds; // begin and end of each line in bytes, then moreBytes
        QByteArray moreBytes; // lines that were not in the read (outputBatch())
    };
    std::shared_ptr<const LineBatch> m_batch;

    QString joinedLines() const;
    TaskMetrics m_metrics;
};

} // namespace TaskConductor

Q_DECLARE_METATYPE(TaskConductor::TaskEvent)
