// SPDX-License-Identifier: MIT
#pragma once

#include <QtCore/qbytearray.h>
#include <QtCore/qfile.h>
#include <QtCore/qstring.h>

#include <functional>

namespace TaskConductor {

//! One append-only log file: buffered lines, a tracked size, rotation before the size would
//! pass rotationBytes, and write errors reported once per failure episode, with the errno text
//! (an episode ends with a successful write that takes the file past the size at which the
//! last write failed, or with a rotation). Never throws, never blocks beyond a write(2).
class LogFile
{
public:
    using ErrorReporter = std::function<void(const QString &message)>;

    //! \a rotationBytes 0: never rotate; \a backups: rotated files kept (at least 1).
    LogFile(const QString &path, qint64 rotationBytes, int backups, ErrorReporter reporter);
    ~LogFile(); // flushes

    QString path() const { return m_path; }
    //! false: the file is opened with O_NOFOLLOW, so a symbolic link put at path() is refused
    //! (reported once, lines dropped until it is gone) instead of written through; replacing
    //! the file while it is open is noticed at the next flush. Default: true.
    void setFollowSymbolicLinks(bool follow) { m_followLinks = follow; }
    //! Appends \a line (ending in '\n'); rotates first if it would not fit.
    void append(const QByteArray &line);
    //! Writes the buffer out; reopens a file that failed or was deleted.
    void flush();
    //! flush(), then closes the file (the next append() reopens it).
    void close();

private:
    bool ensureOpen();
    bool openFile(QIODevice::OpenMode mode);
    bool stillAtPath() const;
    bool writeBuffer();
    void rotate();
    void fail(const QString &message);

    QString m_path;
    qint64 m_rotationBytes;
    int m_backups;
    ErrorReporter m_reporter;
    QFile m_file;
    QByteArray m_buffer;
    qint64 m_size = 0; // bytes in the file, tracked from open on
    bool m_regularFile = true; // only regular files rotate or can be deleted under us
    bool m_followLinks = true;
    bool m_failing = false; // lines are dropped until the next flush() reopens the file
    bool m_reported = false; // this failure episode was reported
    qint64 m_failedAtSize = 0; // size at which a write last failed; growing past it ends it
    bool m_rotationBlocked = false; // a rename failed: no new attempt before the next flush
    bool m_rotationReported = false; // the failing rotation was reported
};

} // namespace TaskConductor
