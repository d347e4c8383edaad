// SPDX-License-Identifier: MIT
#pragma once

#include "taskconductor_autotest_export.h"

#include <QtCore/qalgorithms.h>
#include <QtCore/qbytearray.h>
#include <QtCore/qbytearrayview.h>

#include <cstring>
#include <utility>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

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
        feed(
                chunk,
                [&](qsizetype begin, qsizetype end) {
                    onLine(QByteArrayView(chunk.data() + begin, end - begin));
                },
                onLine);
    }

    //! As feed(), for a consumer that keeps \a chunk: a line (or piece) that lies in it comes as
    //! its offsets, onChunkLine(begin, end); one completed from or cut out of the carried bytes
    //! comes as bytes, onLine(view). Either way in stream order.
    template<typename ChunkLineCallback, typename LineCallback>
    void feed(QByteArrayView chunk, ChunkLineCallback &&onChunkLine, LineCallback &&onLine)
    {
        const char *const data = chunk.data();
        const qsizetype size = chunk.size();
        qsizetype pos = 0;
        if (!m_carry.isEmpty()) {
            const void *newline = size > 0 ? std::memchr(data, '\n', size_t(size)) : nullptr;
            if (!newline) {
                m_carry.append(data, size);
                emitOverlong(onLine);
                return;
            }
            const qsizetype end = static_cast<const char *>(newline) - data;
            m_carry.append(data, end);
            emitBounded(stripCarriageReturn(QByteArrayView(m_carry)), onLine);
            m_carry.resize(0); // keeps the capacity for the next long line
            pos = end + 1;
        }
        pos = forEachNewline(data, pos, size, [&](qsizetype begin, qsizetype newline) {
            qsizetype end = newline;
            if (end > begin && data[end - 1] == '\r')
                --end;
            if (Q_LIKELY(end - begin <= m_maxLineBytes))
                onChunkLine(begin, end);
            else
                emitBoundedOffsets(QByteArrayView(data, end), begin, onChunkLine);
        });
        if (pos < size) {
            m_carry.append(data + pos, size - pos);
            emitOverlong(onLine);
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

    // Calls onLine(begin, newline) for each '\n' in data[from, size), with begin where the line
    // starts (from, then one past the previous '\n'); returns one past the last '\n' (or from).
    // With SSE2, sixteen bytes per compare and one bit per '\n' in a mask: memchr's call per
    // line cost more than the rest of a short line's splitting.
    template<typename NewlineCallback>
    static qsizetype forEachNewline(const char *data, qsizetype from, qsizetype size,
                                    NewlineCallback &&onLine)
    {
        qsizetype begin = from;
        qsizetype at = from;
#ifdef __SSE2__
        // Sixty-four bytes per step: a long line's blocks hold no '\n', which one test finds.
        const __m128i newlines = _mm_set1_epi8('\n');
        auto matches = [&](qsizetype offset) {
            return _mm_cmpeq_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i *>(data + offset)),
                                  newlines);
        };
        auto deliver = [&](qsizetype blockStart, quint64 mask) {
            while (mask) {
                const qsizetype newline = blockStart + qCountTrailingZeroBits(mask);
                mask &= mask - 1;
                onLine(begin, newline);
                begin = newline + 1;
            }
        };
        for (; size - at >= 64; at += 64) {
            const __m128i m0 = matches(at), m1 = matches(at + 16), m2 = matches(at + 32),
                          m3 = matches(at + 48);
            if (!_mm_movemask_epi8(_mm_or_si128(_mm_or_si128(m0, m1), _mm_or_si128(m2, m3))))
                continue;
            deliver(at,
                    quint64(quint16(_mm_movemask_epi8(m0)))
                            | quint64(quint16(_mm_movemask_epi8(m1))) << 16
                            | quint64(quint16(_mm_movemask_epi8(m2))) << 32
                            | quint64(quint16(_mm_movemask_epi8(m3))) << 48);
        }
        for (; size - at >= 16; at += 16)
            deliver(at, quint16(_mm_movemask_epi8(matches(at))));
#endif
        while (at < size) {
            const void *found = std::memchr(data + at, '\n', size_t(size - at));
            if (!found)
                break;
            const qsizetype newline = static_cast<const char *>(found) - data;
            onLine(begin, newline);
            begin = at = newline + 1;
        }
        return begin;
    }

    // emitBounded() for a line data[begin, data.size()) that lies in the chunk: pieces as offsets.
    template<typename ChunkLineCallback>
    void emitBoundedOffsets(QByteArrayView data, qsizetype begin, ChunkLineCallback &onChunkLine)
    {
        while (data.size() - begin > m_maxLineBytes) {
            const qsizetype cut = cutPosition(data.sliced(begin), m_maxLineBytes);
            onChunkLine(begin, begin + cut);
            begin += cut;
        }
        onChunkLine(begin, data.size());
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
