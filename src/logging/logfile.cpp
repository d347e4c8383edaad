// SPDX-License-Identifier: MIT
#include "logfile.h"

#include <taskconductor/rotatingfilesink.h>

#include <QtCore/qfileinfo.h>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace TaskConductor {

namespace {
constexpr qsizetype WriteThreshold = 64 * 1024; // bytes buffered before a write(2) anyway
}

QString rotatedLogName(const QString &path, int index)
{
    return path + QLatin1Char('.') + QString::number(index);
}

LogFile::LogFile(const QString &path, qint64 rotationBytes, int backups, ErrorReporter reporter)
    : m_path(path)
    , m_rotationBytes(std::max<qint64>(0, rotationBytes))
    , m_backups(std::max(1, backups))
    , m_reporter(std::move(reporter))
    , m_file(path)
{ }

LogFile::~LogFile()
{
    close();
}

void LogFile::fail(const QString &message)
{
    m_failing = true;
    m_buffer.clear();
    if (m_file.isOpen())
        m_file.close();
    if (!m_reported && m_reporter) {
        m_reported = true;
        m_reporter(message);
    }
}

bool LogFile::ensureOpen()
{
    if (m_file.isOpen())
        return true;
    // Unbuffered: our own buffer decides when write(2) happens, so a failure is seen at once.
    // Devices (/dev/full, a FIFO) cannot seek, which Append would try.
    const QFileInfo info(m_path);
    m_regularFile = !info.exists() || info.isFile();
    const QIODevice::OpenMode mode = m_regularFile
            ? QIODevice::WriteOnly | QIODevice::Append | QIODevice::Unbuffered
            : QIODevice::WriteOnly | QIODevice::Unbuffered;
    if (!openFile(mode))
        return false;
    m_size = m_regularFile ? m_file.size() : 0; // one stat per open; then the size is tracked
    return true;
}

// Opens m_path, or reports why not. QFile cannot say O_NOFOLLOW: without following, the file
// is opened with open(2) (mode 0666 less the umask, as QFile creates files) and handed over.
bool LogFile::openFile(QIODevice::OpenMode mode)
{
    if (m_followLinks) {
        if (m_file.open(mode))
            return true;
        fail(QStringLiteral("log file '%1' cannot be opened: %2 (lines are dropped until it can)")
                     .arg(m_path, m_file.errorString()));
        return false;
    }
    const int flags = O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW
            | (mode.testFlag(QIODevice::Append) ? O_APPEND : 0);
    const int fd = ::open(QFile::encodeName(m_path).constData(), flags, 0666);
    if (fd < 0) {
        const int error = errno;
        if (error == ELOOP) {
            fail(QStringLiteral("log file '%1' is a symbolic link that was not there when the "
                                "task was enqueued; it is not followed (lines are dropped until "
                                "it is gone)")
                         .arg(m_path));
        } else {
            fail(QStringLiteral("log file '%1' cannot be opened: %2 (lines are dropped until it "
                                "can)")
                         .arg(m_path, QString::fromLocal8Bit(::strerror(error))));
        }
        return false;
    }
    if (!m_file.open(fd, mode, QFileDevice::AutoCloseHandle)) {
        ::close(fd);
        fail(QStringLiteral("log file '%1' cannot be opened: %2 (lines are dropped until it can)")
                     .arg(m_path, m_file.errorString()));
        return false;
    }
    return true;
}

// Whether the open file is still the one at m_path. Following links, only a deletion counts;
// otherwise the same inode must be there, so a link put in its place is noticed.
bool LogFile::stillAtPath() const
{
    if (m_followLinks)
        return QFile::exists(m_path);
    struct stat atPath;
    struct stat open;
    return ::lstat(QFile::encodeName(m_path).constData(), &atPath) == 0
            && ::fstat(m_file.handle(), &open) == 0 && atPath.st_dev == open.st_dev
            && atPath.st_ino == open.st_ino;
}

bool LogFile::writeBuffer()
{
    if (m_buffer.isEmpty())
        return true;
    // write(2) directly: QFile reports a short write (a disk filling up mid-buffer) as success
    // with no error text ("Unknown error"), and the errno of the write that failed is the
    // reason the user needs.
    const int fd = m_file.handle();
    qint64 written = 0;
    int error = 0;
    while (written < m_buffer.size()) {
        const ssize_t n =
                ::write(fd, m_buffer.constData() + written, size_t(m_buffer.size() - written));
        if (n > 0) {
            written += n;
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else {
            error = n < 0 ? errno : EIO;
            break;
        }
    }
    if (written != m_buffer.size()) {
        // Cut a partly written line off again, so the file never holds half a line. The bytes
        // that did fit mark where the device ran full: a later write that only refills the
        // space freed by this cut does not end the failure episode.
        m_failedAtSize = std::max(m_failedAtSize, m_size + written);
        if (written > 0 && m_regularFile)
            m_file.resize(m_size);
        fail(QStringLiteral("log file '%1' cannot be written: %2 (lines are dropped until it can)")
                     .arg(m_path, QString::fromLocal8Bit(::strerror(error))));
        return false;
    }
    m_size += written;
    // Emptied, not freed: refilling a kept buffer costs a copy per line, while a new one is
    // shared with the first line appended and then grown (QByteArray::append), which had cost
    // more than formatting the line. A buffer a huge line grew is given back.
    if (m_buffer.capacity() > 4 * WriteThreshold)
        m_buffer.clear();
    else
        m_buffer.resize(0);
    if (m_size > m_failedAtSize) {
        m_reported = false; // the file grew past the failure: the next failure is a new episode
        m_failedAtSize = 0;
    }
    return true;
}

void LogFile::rotate()
{
    m_file.close();
    QFile::remove(rotatedLogName(m_path, m_backups));
    for (int i = m_backups - 1; i >= 1; --i) {
        const QString from = rotatedLogName(m_path, i);
        if (QFile::exists(from))
            QFile::rename(from, rotatedLogName(m_path, i + 1));
    }
    if (!QFile::rename(m_path, rotatedLogName(m_path, 1)) && QFile::exists(m_path)) {
        // Keep appending to the old file rather than lose lines; say so once, and try again
        // only after the next flush, not at every line.
        m_rotationBlocked = true;
        if (!m_rotationReported && m_reporter) {
            m_rotationReported = true;
            m_reporter(QStringLiteral("log file '%1' cannot be rotated to '%2'; it grows on")
                               .arg(m_path, rotatedLogName(m_path, 1)));
        }
    } else {
        m_rotationReported = false;
        m_failedAtSize = 0; // a new, empty file
    }
    ensureOpen();
}

void LogFile::append(const QByteArray &line)
{
    if (m_failing || !ensureOpen())
        return; // dropped: memory stays bounded while the file cannot be written
    const qint64 total = m_size + m_buffer.size();
    if (m_rotationBytes > 0 && m_regularFile && !m_rotationBlocked && total > 0
        && total + line.size() > m_rotationBytes) {
        if (!writeBuffer())
            return;
        rotate();
        if (m_failing)
            return;
    }
    if (m_buffer.capacity() == 0)
        m_buffer.reserve(WriteThreshold + 4096); // room for the lines of one write(2)
    const qsizetype at = m_buffer.size();
    m_buffer.resize(at + line.size()); // within the capacity: no allocation, no sharing
    std::memcpy(m_buffer.data() + at, line.constData(), size_t(line.size()));
    if (m_buffer.size() >= WriteThreshold)
        writeBuffer();
}

void LogFile::flush()
{
    m_rotationBlocked = false;
    if (m_failing) {
        m_failing = false; // try again: the next append() reopens
        if (m_file.isOpen())
            m_file.close();
        return;
    }
    if (m_file.isOpen() && m_regularFile && !stillAtPath()) {
        // Deleted (or moved away, or replaced) while open: what we write would vanish with the
        // inode, so the buffer goes to the file at the path instead. A failing reopen (a link
        // that is not followed) reports itself.
        m_file.close();
        if (!ensureOpen())
            return;
        if (!m_reported && m_reporter) {
            m_reported = true;
            m_reporter(QStringLiteral("log file '%1' was deleted or replaced while open; it is "
                                      "opened again at its path")
                               .arg(m_path));
        }
    }
    if (m_file.isOpen())
        writeBuffer();
}

void LogFile::close()
{
    flush();
    if (m_file.isOpen())
        m_file.close();
}

} // namespace TaskConductor
