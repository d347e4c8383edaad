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

} // namespace TaskConductor::OutputLines
