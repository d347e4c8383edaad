// SPDX-License-Identifier: MIT
#include "linereader.h"

#include <QtCore/qfile.h>
#include <QtCore/qsocketnotifier.h>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

namespace TaskConductor {

namespace {
constexpr qsizetype ChunkBytes = 64 * 1024;
}

LineReader::LineReader(qint64 maxLineBytes, QObject *parent)
    : QObject(parent)
    , m_maxLineBytes(qMax<qint64>(1, maxLineBytes))
{ }

LineReader::~LineReader()
{
    m_notifier.reset();
    if (m_ownsFd && m_fd >= 0)
        ::close(m_fd);
}

bool LineReader::open(const QString &path)
{
    if (path == QLatin1String("-")) {
        m_fd = STDIN_FILENO;
    } else {
        // Non-blocking: opening a FIFO would otherwise wait for a writer, deaf to signals.
        m_fd = ::open(QFile::encodeName(path).constData(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
        if (m_fd < 0) {
            m_error = QString::fromLocal8Bit(std::strerror(errno));
            return false;
        }
        m_ownsFd = true;
    }
    struct stat info;
    if (::fstat(m_fd, &info) != 0) {
        m_error = QString::fromLocal8Bit(std::strerror(errno));
        return false;
    }
    if (S_ISDIR(info.st_mode)) {
        m_error = QStringLiteral("is a directory");
        return false;
    }
    // Everything else (pipes, FIFOs, terminals, character devices) can be read only once, as it
    // comes: like standard input.
    m_regular = S_ISREG(info.st_mode);
    return true;
}

bool LineReader::takeLine(Line &line, bool atEof)
{
    const qsizetype newline = m_buffer.indexOf('\n', m_start + m_scanned);
    if (newline < 0) {
        m_scanned = m_buffer.size() - m_start;
        if (m_scanned > m_maxLineBytes && !m_regular) {
            // A stream may never end the line (/dev/zero): report it now; nothing after it
            // is read.
            line = Line { ++m_lineNumber, QByteArray(), true };
            m_buffer.clear();
            m_start = m_scanned = 0;
            m_eof = true;
            return true;
        }
        if (m_scanned > m_maxLineBytes) {
            // Too long to keep: drop it, remember to skip the rest, report it once it ends.
            m_skippingLongLine = true;
            m_buffer.clear();
            m_start = m_scanned = 0;
        }
        const bool pending = m_buffer.size() > m_start || m_skippingLongLine;
        if (!atEof || !pending)
            return false;
        // The last line has no '\n'.
        line = Line { ++m_lineNumber, m_skippingLongLine ? QByteArray() : m_buffer.mid(m_start),
                      m_skippingLongLine };
        m_buffer.clear();
        m_start = m_scanned = 0;
        m_skippingLongLine = false;
        return true;
    }
    const qsizetype length = newline - m_start;
    const bool tooLong = m_skippingLongLine || length > m_maxLineBytes;
    line = Line { ++m_lineNumber, tooLong ? QByteArray() : m_buffer.mid(m_start, length), tooLong };
    m_start = newline + 1;
    m_scanned = 0;
    m_skippingLongLine = false;
    return true;
}

LineReader::Status LineReader::next(Line &line)
{
    if (m_fd < 0)
        return Status::Error;
    // A stream that never pauses (/dev/zero, a fast pipe) must not hold the event loop: after a
    // few chunks without a line, the rest waits for the loop's next turn (signals get through).
    int chunks = 0;
    for (;;) {
        if (takeLine(line, m_eof))
            return Status::Line;
        if (m_eof)
            return Status::End;
        // Read only what is there: a pipe or terminal must never block the event loop.
        if (!m_regular) {
            if (++chunks > 16) {
                watch(); // level-triggered: fires at once, from the event loop
                return Status::NeedMore;
            }
            pollfd p { m_fd, POLLIN, 0 };
            const int ready = ::poll(&p, 1, 0);
            if (ready == 0 || (ready < 0 && errno == EINTR)) {
                watch();
                return Status::NeedMore;
            }
        }
        if (m_start > 0) { // one move per chunk, not one per line
            m_buffer.remove(0, m_start);
            m_start = 0;
        }
        const qsizetype old = m_buffer.size();
        m_buffer.resize(old + ChunkBytes);
        const ssize_t n = ::read(m_fd, m_buffer.data() + old, ChunkBytes);
        m_buffer.resize(old + qMax<ssize_t>(0, n));
        if (n == 0) {
            m_eof = true;
        } else if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                watch();
                return Status::NeedMore;
            }
            m_error = QString::fromLocal8Bit(std::strerror(errno));
            return Status::Error;
        }
    }
}

void LineReader::watch()
{
    if (!m_notifier) {
        m_notifier = std::make_unique<QSocketNotifier>(m_fd, QSocketNotifier::Read);
        connect(m_notifier.get(), &QSocketNotifier::activated, this, [this] {
            // Level-triggered: stay quiet until next() runs dry again.
            m_notifier->setEnabled(false);
            Q_EMIT readable();
        });
    }
    m_notifier->setEnabled(true);
}

} // namespace TaskConductor
