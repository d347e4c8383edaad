// SPDX-License-Identifier: MIT
#include "linesplitter.h"

namespace TaskConductor {

qsizetype LineSplitter::cutPosition(QByteArrayView bytes, qsizetype limit)
{
    if (bytes.size() <= limit)
        return bytes.size();
    // bytes[limit] starts the next piece; move the cut back while it is a continuation byte
    // (10xxxxxx), at most 3 bytes: a UTF-8 sequence is at most 4 bytes long.
    qsizetype cut = limit;
    for (int back = 0; back < 3 && cut > 1; ++back) {
        if ((uchar(bytes.at(cut)) & 0xC0) != 0x80)
            return cut;
        --cut;
    }
    return (uchar(bytes.at(cut)) & 0xC0) != 0x80 ? cut : limit;
}

} // namespace TaskConductor
