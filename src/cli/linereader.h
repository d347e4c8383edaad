// SPDX-License-Identifier: MIT
#pragma once

#include <QtCore/qbytearray.h>
#include <QtCore/qobject.h>

#include <memory>

QT_BEGIN_NAMESPACE
class QSocketNotifier;
QT_END_NAMESPACE

namespace TaskConductor {

//! Reads a file or standard input line by line in bounded memory (at most maxLineBytes plus one
//! read chunk), without ever blocking on a pipe or terminal: when no complete line is there yet,
//! next() says so and readable() is emitted once more input arrives. Anything but a regular file
//! is a stream, read once as it comes; a stream's line longer than maxLineBytes is returned as
//! tooLong as soon as it is, and ends the input.
class LineReader : public QObject
{
    Q_OBJECT

public:
    struct Line
    {
        qint64 number = 0; //!< physical line, counted from 1
        QByteArray bytes; //!< without the '\n'; empty when tooLong
        bool tooLong = false; //!< longer than maxLineBytes: its content was dropped
    };
    enum class Status { Line, NeedMore, End, Error };

    explicit LineReader(qint64 maxLineBytes, QObject *parent = nullptr);
    ~LineReader() override;

    //! Opens \a path; "-" is standard input (not closed by the reader).
    bool open(const QString &path);
    //! A regular file, which can be opened and read a second time.
    bool isRegularFile() const { return m_regular; }
    //! The next line into \a line, or why there is none. After NeedMore, wait for readable().
    Status next(Line &line);
    QString errorString() const { return m_error; }

Q_SIGNALS:
    //! Input arrived after next() returned NeedMore.
    void readable();

private:
    bool takeLine(Line &line, bool atEof);
    void watch();

    qint64 m_maxLineBytes;
    int m_fd = -1;
    bool m_ownsFd = false;
    bool m_regular = false;
    bool m_eof = false;
    bool m_skippingLongLine = false;
    qint64 m_lineNumber = 0;
    QByteArray m_buffer;
    qsizetype m_start = 0; // m_buffer before this was already returned
    qsizetype m_scanned = 0; // bytes after m_start known to hold no '\n'
    QString m_error;
    std::unique_ptr<QSocketNotifier> m_notifier;
};

} // namespace TaskConductor
