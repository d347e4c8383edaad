// SPDX-License-Identifier: MIT
#pragma once

#include <taskconductor/taskconductor_export.h>
#include <taskconductor/types.h>

#include <QtCore/qmetatype.h>
#include <QtCore/qstringlist.h>

#include <optional>

QT_BEGIN_NAMESPACE
class QJsonObject;
QT_END_NAMESPACE

namespace TaskConductor {

//! One thing that happened to one task. A value type; which fields apply depends on kind():
//! - Started: command(), workingDirectory(), priority(), lane()
//! - Stdout / Stderr: line()
//! - Finished / Failed: exitCode() (0 for Finished), durationMs(); Failed also message() (why:
//!   crash, start failure)
//! - Canceled / Timeout: durationMs(); Canceled also message() when a dependency ended the task
//! - Retrying: exitCode() of the failed attempt, delayMs() before the next one
//! - InternalError: message()
//! attempt() is the 1-based run the event belongs to (0 before the first run).
//! durationMs() counts from the launch of the first attempt (0 if it never launched).
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

public:
    TaskEvent() = default;

    static TaskEvent started(TaskId id, int attempt, const QStringList &command,
                             const QString &workingDirectory, int priority = 0,
                             const QString &lane = {});
    static TaskEvent output(TaskId id, int attempt, OutputChannel channel, const QString &line);
    //! \a exitCode is the one the process exited with: a success, so 0.
    static TaskEvent finished(TaskId id, int attempt, qint64 durationMs, int exitCode = 0);
    static TaskEvent failed(TaskId id, int attempt, int exitCode, qint64 durationMs,
                            const QString &message = {});
    //! \a message: why, when not cancel() (e.g. "dependency 4 did not finish: it ended failed").
    static TaskEvent canceled(TaskId id, int attempt, qint64 durationMs,
                              const QString &message = {});
    static TaskEvent timeout(TaskId id, int attempt, qint64 durationMs);
    static TaskEvent retrying(TaskId id, int attempt, int exitCode, qint64 delayMs);
    static TaskEvent internalError(TaskId id, int attempt, const QString &message, bool terminal);

    EventKind kind() const { return m_kind; }
    TaskId taskId() const { return m_taskId; }
    int attempt() const { return m_attempt; }
    QString line() const { return m_text; }
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
};

} // namespace TaskConductor

Q_DECLARE_METATYPE(TaskConductor::TaskEvent)
