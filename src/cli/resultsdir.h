// SPDX-License-Identifier: MIT
#pragma once

#include <taskconductor/taskdescriptor.h>
#include <taskconductor/taskevent.h>
#include <taskconductor/types.h>

#include <QtCore/qbytearrayview.h>
#include <QtCore/qhash.h>
#include <QtCore/qstring.h>

namespace TaskConductor {

//! --results DIR: for every task, DIR/<id>/stdout and DIR/<id>/stderr hold exactly the bytes
//! its last attempt wrote (written as they come, through BrokerConfig::rawOutputHandler), and
//! DIR/<id>/task.json its descriptor and terminal event, written when it ends. Files are open
//! only while their task runs. A write error is reported once (by error()) and the tasks go on.
class ResultsDir
{
public:
    explicit ResultsDir(const QString &directory);
    ~ResultsDir();
    ResultsDir(const ResultsDir &) = delete;
    ResultsDir &operator=(const ResultsDir &) = delete;

    //! Creates the directory if needed. False, with \a error, if it cannot.
    bool open(QString &error);

    //! Follows \a event of \a task: `started` (re)creates the output files, a terminal event
    //! closes them and writes task.json.
    void record(const TaskEvent &event, const TaskDescriptor &task);
    //! Appends \a chunk of task \a id's output (for BrokerConfig::rawOutputHandler).
    void write(TaskId id, OutputChannel channel, QByteArrayView chunk);

    //! The first write error, once: then empty until another episode (there is none: once).
    QString takeError();

private:
    struct Files
    {
        int out = -1;
        int err = -1;
    };
    QString taskDirectory(TaskId id) const;
    bool openFiles(TaskId id, Files &files);
    void closeFiles(Files &files);
    void fail(const QString &what);

    QString m_directory;
    QHash<TaskId, Files> m_open;
    QString m_error;
    bool m_failed = false;
};

} // namespace TaskConductor
