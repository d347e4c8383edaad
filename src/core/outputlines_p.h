// SPDX-License-Identifier: MIT
#pragma once

// Private to TaskConductor: byte-level helpers shared by the line delivery (TaskRun), the
// events that carry lines as bytes (TaskEvent batches) and the byte-level writers.

#include <QtCore/qbytearrayview.h>

#include <cstring>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

namespace TaskConductor::OutputLines {

//! True when every byte of \a bytes is below 0x80 (eight at a time).
inline bool isAscii(QByteArrayView bytes)
{
    const char *p = bytes.data();
    const char *const end = p + bytes.size();
    for (; end - p >= 8; p += 8) {
        quint64 word;
        std::memcpy(&word, p, sizeof word);
        if (word & 0x8080808080808080ULL)
            return false;
    }
    for (; p < end; ++p) {
        if (uchar(*p) & 0x80)
            return false;
    }
    return true;
}

//! Writes \a bytes to \a out as UTF-16 (room for bytes.size() units) if every byte is ASCII,
//! and returns true; false at the first byte that is not (\a out then holds a part).
inline bool widenAscii(QByteArrayView bytes, char16_t *out)
{
    const char *const in = bytes.data();
    const qsizetype size = bytes.size();
    qsizetype i = 0;
#ifdef __SSE2__
    const __m128i zero = _mm_setzero_si128();
    for (; size - i >= 16; i += 16) {
        const __m128i chunk = _mm_loadu_si128(reinterpret_cast<const __m128i *>(in + i));
        if (_mm_movemask_epi8(chunk))
            return false;
        _mm_storeu_si128(reinterpret_cast<__m128i *>(out + i), _mm_unpacklo_epi8(chunk, zero));
        _mm_storeu_si128(reinterpret_cast<__m128i *>(out + i + 8), _mm_unpackhi_epi8(chunk, zero));
    }
    if (size - i >= 8) {
        const __m128i chunk = _mm_loadl_epi64(reinterpret_cast<const __m128i *>(in + i));
        if (_mm_movemask_epi8(chunk))
            return false;
        _mm_storeu_si128(reinterpret_cast<__m128i *>(out + i), _mm_unpacklo_epi8(chunk, zero));
        i += 8;
    }
#endif
    for (; i < size; ++i) {
        const uchar c = uchar(in[i]);
        if (c & 0x80)
            return false;
        out[i] = c;
    }
    return true;
}

//! How many bytes from the start of \a bytes are printable ASCII (0x20-0x7e) other than '\\'
//! and, if \a json, '"': what the escaping writers copy as they are. Eight bytes at a time.
inline qsizetype plainAsciiRun(const char *bytes, qsizetype size, bool json)
{
    constexpr quint64 ones = 0x0101010101010101ULL;
    constexpr quint64 highs = 0x8080808080808080ULL;
    // Any byte below n (n <= 128): the classic "hasless" test, exact as a yes/no.
    auto hasLess = [](quint64 w, quint64 n) { return (w - ones * n) & ~w & highs; };
    qsizetype i = 0;
    for (; size - i >= 8; i += 8) {
        quint64 w;
        std::memcpy(&w, bytes + i, sizeof w);
        // >= 0x7f: a high bit set, or one after adding 1 (no carry unless a high bit was set)
        const quint64 special = (w | (w + ones)) & highs;
        if (special || hasLess(w, 0x20) || hasLess(w ^ (ones * '\\'), 1)
            || (json && hasLess(w ^ (ones * '"'), 1)))
            break;
    }
    for (; i < size; ++i) {
        const uchar c = uchar(bytes[i]);
        if (c < 0x20 || c >= 0x7f || c == '\\' || (json && c == '"'))
            return i;
    }
    return size;
}

} // namespace TaskConductor::OutputLines
