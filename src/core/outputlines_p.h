// SPDX-License-Identifier: MIT
#pragma once

// Private to TaskConductor: byte-level helpers shared by the line delivery (TaskRun), the
// events that carry lines as bytes (TaskEvent batches) and the byte-level writers.

#include <QtCore/qbytearrayview.h>

#include <cstring>

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
