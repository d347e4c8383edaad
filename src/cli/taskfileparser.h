// SPDX-License-Identifier: MIT
#pragma once

#include <taskconductor/retrypolicy.h>
#include <taskconductor/taskdescriptor.h>

#include <QtCore/qbytearrayview.h>
#include <QtCore/qstring.h>

namespace TaskConductor {

//! What one physical line of a task file turned out to be.
enum class TaskFileLineKind {
    Skipped, //!< blank, or a comment starting with '#'
    Task, //!< a valid task object
    Invalid, //!< anything else; error says why
};

//! The result of parsing one line. A value type.
struct TaskFileLine
{
    TaskFileLineKind kind = TaskFileLineKind::Skipped;
    qint64 lineNumber = 0; //!< physical line, counted from 1
    TaskDescriptor task; //!< valid for Task only
    QStringList after; //!< for Task: "after", names of earlier tasks (resolved by TaskNames)
    QString error; //!< for Invalid: the problem, without the file name or line number
};

//! Turns one line of a JSON Lines task file into a TaskDescriptor or an error. Pure: no I/O, no
//! global state, never throws or crashes on any input (it is fuzzed).
//!
//! A task line is one JSON object in the one task vocabulary (TaskDescriptor::fromJson()):
//! "command" (array of strings, required, non-empty), "env" (object of strings; null unsets a
//! variable), "cwd", "log", "name", "lane" (strings), "timeout" (seconds, >= 0), "retries"
//! (integer >= 0) or "retry" (an object of RetryPolicy fields), "priority" (integer), and
//! "after": names of earlier tasks (where the codec has ids), left in TaskFileLine::after; the
//! controls "idleTimeout", "successExitCodes", "retryExitCodes", "stopSignal", "mergeOutput",
//! "stdin" or "stdinFile" ("stdinOpen" is refused: the tool writes no task's stdin).
//! Unknown fields are errors, so typos are caught, and so is a key given twice in one object
//! (JSON parsers would keep the last).
class TaskFileParser
{
public:
    //! \a retryDefaults is the policy a task's own "retries" count is applied to.
    explicit TaskFileParser(const RetryPolicy &retryDefaults = RetryPolicy());

    //! Parses \a line (without its line break; a trailing '\r' is ignored) found at physical
    //! line \a lineNumber. A UTF-8 byte order mark is skipped on line 1.
    TaskFileLine parse(QByteArrayView line, qint64 lineNumber) const;

    //! The most retries a task line may ask for.
    static constexpr int MaxRetries = TaskDescriptor::MaxRetries;
    //! The longest "timeout" a task line may ask for, in seconds (about 31.7 years, the most a
    //! Broker timer honours; --timeout and the retry options have the same bound).
    static constexpr double MaxSeconds = 1e9;

private:
    RetryPolicy m_retryDefaults;
};

} // namespace TaskConductor
