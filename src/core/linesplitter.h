// SPDX-License-Identifier: MIT
#pragma once

#include "taskconductor_autotest_export.h"

#include <QtCore/qbytearray.h>
#include <QtCore/qbytearrayview.h>

#include <cstring>
#include <utility>

namespace TaskConductor {

//! Splits a byte stream into lines. Pure: no I/O, no Qt objects, unit-tested on its own.
//! - A line ends at '\n'; a '\r' right before it is dropped. Line breaks are not delivered.
//! - Bytes after the last '\n' are carried to the next feed(); flush() delivers them.
//! - A line longer than maxLineBytes is delivered in pieces of at most maxLineBytes, cut before
//!   a UTF-8 lead byte where one is near, so memory stays bounded by maxLineBytes (+ 1).
//! Lines are delivered as views valid only during the callback.
class TASKCONDUCTOR_AUTOTEST_EXPORT LineSplitter
{
public:
    explicit LineSplitter(qsizetype maxLineBytes = 1024 * 1024)
        : m_maxLineBytes(maxLineBytes < 4 ? 4 : maxLineBytes)
    { }

    template<typename LineCallback> void feed(QByteArrayView chunk, LineCallback &&onLine)
    {
        const char *data = chunk.data();
        qsizetype pos = 0;
        const qsizetype size = chunk.size();
        while (pos < size) {
            const void *newline = std::memchr(data + pos, '\n', size_t(size - pos));
            if (!newline) {
                m_carry.append(data + pos, size - pos);
                emitOverlong(onLine);
                return;
            }
            const qsizetype end = static_cast<const char *>(newline) - data;
            if (m_carry.isEmpty()) {
                emitBounded(stripCarriageReturn(QByteArrayView(data + pos, end - pos)), onLine);
            } else {
                m_carry.append(data + pos, end - pos);
                emitBounded(stripCarriageReturn(QByteArrayView(m_carry)), onLine);
                m_carry.resize(0); // keeps the capacity for the next long line
            }
            pos = end + 1;
        }
    }

    //! Delivers the carried partial line, if any (at end of stream).
    template<typename LineCallback> void flush(LineCallback &&onLine)
    {
        if (m_carry.isEmpty())
            return;
        const QByteArray rest = std::exchange(m_carry, QByteArray());
        emitBounded(QByteArrayView(rest), onLine);
    }

    //! Bytes of an unfinished line held back; never more than maxLineBytes + 1 (a final '\r').
    qsizetype carriedBytes() const { return m_carry.size(); }
    qsizetype maxLineBytes() const { return m_maxLineBytes; }
    void reset() { m_carry.clear(); }

    //! Where to cut \a bytes so that the first piece has at most \a limit bytes and does not
    //! end inside a UTF-8 sequence (unless the bytes are not UTF-8 there). 0 < result <= limit.
    static qsizetype cutPosition(QByteArrayView bytes, qsizetype limit);

private:
    static QByteArrayView stripCarriageReturn(QByteArrayView line)
    {
        return line.endsWith('\r') ? line.chopped(1) : line;
    }

    template<typename LineCallback> void emitBounded(QByteArrayView line, LineCallback &onLine)
    {
        while (line.size() > m_maxLineBytes) {
            const qsizetype cut = cutPosition(line, m_maxLineBytes);
            onLine(line.first(cut));
            line = line.sliced(cut);
        }
        onLine(line);
    }

    // A carried partial line may not grow past the limit: deliver full pieces now. A '\r' at
    // its end may be half of a "\r\n" that the next chunk completes, so it stays with the bytes
    // before it: else a line of exactly maxLineBytes would gain an empty piece when a chunk
    // boundary fell between '\r' and '\n' (found by fuzz_linesplitter).
    template<typename LineCallback> void emitOverlong(LineCallback &onLine)
    {
        const qsizetype heldCarriageReturn = m_carry.endsWith('\r') ? 1 : 0;
        if (m_carry.size() - heldCarriageReturn <= m_maxLineBytes)
            return;
        qsizetype consumed = 0;
        QByteArrayView rest(m_carry);
        while (rest.size() - heldCarriageReturn > m_maxLineBytes) {
            const qsizetype cut = cutPosition(rest, m_maxLineBytes);
            onLine(rest.first(cut));
            rest = rest.sliced(cut);
            consumed += cut;
        }
        m_carry.remove(0, consumed);
    }

    QByteArray m_carry;
    qsizetype m_maxLineBytes;
};

} // namespace TaskConductor
