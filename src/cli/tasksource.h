// SPDX-License-Identifier: MIT
#pragma once

#include "argumentsource.h"
#include "commandtemplate.h"
#include "taskfileparser.h"

#include <QtCore/qobject.h>

#include <memory>

namespace TaskConductor {

class LineReader;

//! Where the tasks of a run come from, one at a time, never blocking: the seam between the
//! input (a task file, argument lists) and the TaskFeeder's backpressure.
class TaskSource : public QObject
{
    Q_OBJECT

public:
    enum class Status {
        Task, //!< \a line holds the next task
        NeedMore, //!< nothing yet: readable() follows when there may be
        End, //!< no more tasks
        Invalid, //!< \a line's lineNumber (0: none) and error say what was wrong; nothing follows
    };

    using QObject::QObject;
    //! The next task into \a line (kind Task) and what it came from into \a source (the
    //! task-file line; for --store's digests), or why there is none.
    virtual Status next(TaskFileLine &line, QByteArray &source) = 0;

Q_SIGNALS:
    //! Input arrived after next() returned NeedMore.
    void readable();
};

//! Tasks from a JSON Lines task file (or standard input), one per line.
class TaskFileSource : public TaskSource
{
    Q_OBJECT

public:
    TaskFileSource(std::unique_ptr<LineReader> reader, const TaskFileParser &parser,
                   QObject *parent = nullptr);
    ~TaskFileSource() override;
    Status next(TaskFileLine &line, QByteArray &source) override;

private:
    std::unique_ptr<LineReader> m_reader;
    TaskFileParser m_parser;
};

//! Tasks from a command template and argument sources (":::", "::::"): one per combination,
//! numbered from 1 ({#}), named by its arguments.
class ArgumentTaskSource : public TaskSource
{
    Q_OBJECT

public:
    //! \a product must be open.
    ArgumentTaskSource(const CommandTemplate &command, std::unique_ptr<ArgumentProduct> product,
                       QObject *parent = nullptr);
    ~ArgumentTaskSource() override;
    Status next(TaskFileLine &line, QByteArray &source) override;

private:
    CommandTemplate m_command;
    std::unique_ptr<ArgumentProduct> m_product;
    QStringList m_arguments;
    qint64 m_sequence = 0;
};

} // namespace TaskConductor
