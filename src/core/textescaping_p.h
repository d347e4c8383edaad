// SPDX-License-Identifier: MIT
#pragma once

// Private to TaskConductor: which UTF-16 units the one escaping rule (eventtext.h) escapes,
// shared by the text formatter and the JSON writer so that the two cannot drift apart.

#include <QtCore/qstringview.h>

namespace TaskConductor::TextEscaping {

//! True for a unit that is escaped wherever it appears: C0 controls, DEL, C1 controls, the
//! Unicode line breaks (U+2028, U+2029) and the bidi controls that reorder what a terminal or
//! viewer shows (U+061C, U+200E, U+200F, U+202A-U+202E, U+2066-U+2069). Surrogates are
//! decided by isLoneSurrogate(), since it depends on the neighbours.
constexpr bool isUnsafe(char16_t c)
{
    if (c < 0x80)
        return c < 0x20 || c == 0x7f;
    if (c <= 0x9f)
        return true;
    if (c < 0x061c)
        return false;
    return c == 0x061c || c == 0x200e || c == 0x200f || (c >= 0x2028 && c <= 0x202e)
            || (c >= 0x2066 && c <= 0x2069);
}

//! For a surrogate at \a i: true when it is not half of a pair. A pair is kept as it is.
inline bool isLoneSurrogate(QStringView text, qsizetype i)
{
    const char16_t c = text[i].unicode();
    if (c >= 0xd800 && c <= 0xdbff)
        return i + 1 >= text.size() || !QChar::isLowSurrogate(text[i + 1].unicode());
    return i == 0 || !QChar::isHighSurrogate(text[i - 1].unicode());
}

inline bool isSurrogate(char16_t c)
{
    return c >= 0xd800 && c <= 0xdfff;
}

} // namespace TaskConductor::TextEscaping
