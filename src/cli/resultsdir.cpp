// SPDX-License-Identifier: MIT
#include "resultsdir.h"

#include <taskconductor/taskstore.h>

#include <QtCore/qdir.h>
#include <QtCore/qfile.h>
#include <QtCore/qfileinfo.h>
#include <QtCore/qjsondocument.h>
#include <QtCore/qjsonobject.h>
#include <QtCore/qsavefile.h>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>
#include <utility>

namespace TaskConductor {

namespace {

int openTruncated(const QString &path)
{
    return ::open(QFile::encodeName(path).constData(),
                  O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0666);
}

bool writeAll(int fd, QByteArrayView bytes)
{
    const char *data = bytes.data();
    qsizetype left = bytes.size();
    while (left > 0) {
        const ssize_t n = ::write(fd, data, size_t(left));
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return false;
        }
        data += n;
        left -= n;
    }
    return true;
}

} // namespace

ResultsDir::ResultsDir(const QString &directory)
    : m_directory(directory)
{ }

ResultsDir::~ResultsDir()
{
    for (Files &files : m_open)
        closeFiles(files);
}

bool ResultsDir::open(QString &error)
{
    if (!QDir().mkpath(m_directory) || !QFileInfo(m_directory).isDir()) {
        error = QStringLiteral("--results %1: cannot create the directory").arg(m_directory);
        return false;
    }
    return true;
}

QString ResultsDir::taskDirectory(TaskId id) const
{
    return m_directory + u'/' + QString::number(id);
}

void ResultsDir::fail(const QString &what)
{
    if (m_failed)
        return;
    m_failed = true;
    m_error = QStringLiteral("--results %1: %2 (the tasks go on)").arg(m_directory, what);
}

QString ResultsDir::takeError()
{
    return std::exchange(m_error, QString());
}

bool ResultsDir::openFiles(TaskId id, Files &files)
{
    closeFiles(files);
    const QString dir = taskDirectory(id);
    if (!QDir().mkpath(dir)) {
        fail(QStringLiteral("cannot create %1").arg(dir));
        return false;
    }
    files.out = openTruncated(dir + QStringLiteral("/stdout"));
    files.err = openTruncated(dir + QStringLiteral("/stderr"));
    if (files.out < 0 || files.err < 0) {
        fail(QStringLiteral("cannot create the output files in %1: %2")
                     .arg(dir, QString::fromLocal8Bit(std::strerror(errno))));
        closeFiles(files);
        return false;
    }
    return true;
}

void ResultsDir::closeFiles(Files &files)
{
    if (files.out >= 0)
        ::close(files.out);
    if (files.err >= 0)
        ::close(files.err);
    files = Files();
}

void ResultsDir::write(TaskId id, OutputChannel channel, QByteArrayView chunk)
{
    auto it = m_open.find(id);
    if (it == m_open.end())
        return; // its files could not be created: reported already
    const int fd = channel == OutputChannel::Stdout ? it->out : it->err;
    if (fd >= 0 && !writeAll(fd, chunk))
        fail(QStringLiteral("cannot write the output of task %1: %2")
                     .arg(id)
                     .arg(QString::fromLocal8Bit(std::strerror(errno))));
}

void ResultsDir::record(const TaskEvent &event, const TaskDescriptor &task)
{
    const TaskId id = event.taskId();
    if (event.kind() == EventKind::Started) {
        // Each attempt starts afresh: the files hold the bytes of the last one.
        Files files;
        if (openFiles(id, files))
            m_open.insert(id, files);
        return;
    }
    if (!event.isTerminal())
        return;
    if (auto it = m_open.find(id); it != m_open.end()) {
        closeFiles(*it);
        m_open.erase(it);
    } else {
        // Never started (a start failure, canceled while pending): empty output files.
        Files files;
        if (openFiles(id, files))
            closeFiles(files);
    }
    QJsonObject json;
    json.insert(QStringLiteral("id"), qint64(id));
    json.insert(QStringLiteral("descriptor"),
                QJsonDocument::fromJson(TaskStore::descriptorToJson(task)).object());
    json.insert(QStringLiteral("end"), event.toJson());
    QSaveFile file(taskDirectory(id) + QStringLiteral("/task.json"));
    if (!file.open(QIODevice::WriteOnly)
        || file.write(QJsonDocument(json).toJson(QJsonDocument::Indented)) < 0 || !file.commit())
        fail(QStringLiteral("cannot write %1: %2").arg(file.fileName(), file.errorString()));
}

} // namespace TaskConductor
