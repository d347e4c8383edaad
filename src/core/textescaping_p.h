// SPDX-License-Identifier: MIT
#pragma once

// Private to TaskConductor: which UTF-16 units the one escaping rule (eventtext.h) escapes,
// shared by the text formatter and the JSON writer so that the two cannot drift apart.

#include "outputlines_p.h"

#include <QtCore/qbytearrayview.h>
#include <QtCore/qstringview.h>

#include <QtCore/qalgorithms.h>

#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

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

//! How many bytes from the start of \a bytes the writers copy as they are: printable ASCII
//! (0x20-0x7e) other than '\\' and, if \a json, '"'. OutputLines::plainAsciiRun(), sixteen
//! bytes at a time with SSE2 (every x86-64): the escaping writers spend most of a log line here.
inline qsizetype plainRun(const char *bytes, qsizetype size, bool json)
{
#if defined(__SSE2__)
    if (size < 16)
        return OutputLines::plainAsciiRun(bytes, size, json);
    const __m128i space = _mm_set1_epi8(0x20);
    const __m128i del = _mm_set1_epi8(0x7f);
    const __m128i backslash = _mm_set1_epi8('\\');
    const __m128i quote = _mm_set1_epi8(json ? '"' : '\\');
    // Below 0x20 or from 0x80 on (a signed compare: those are negative), DEL, '\\', '"'.
    auto special = [&](const char *at) {
        const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i *>(at));
        __m128i hit = _mm_cmplt_epi8(v, space);
        hit = _mm_or_si128(hit, _mm_cmpeq_epi8(v, del));
        hit = _mm_or_si128(hit, _mm_cmpeq_epi8(v, backslash));
        hit = _mm_or_si128(hit, _mm_cmpeq_epi8(v, quote));
        return unsigned(_mm_movemask_epi8(hit));
    };
    qsizetype i = 0;
    for (; size - i >= 16; i += 16) {
        if (const unsigned hits = special(bytes + i))
            return i + qCountTrailingZeroBits(hits);
    }
    if (i == size)
        return size;
    // The last bytes, in the sixteen that end the line (bit k is byte size - 16 + k).
    if (const unsigned hits = special(bytes + size - 16) >> (16 - (size - i)))
        return i + qCountTrailingZeroBits(hits);
    return size;
#else
    return OutputLines::plainAsciiRun(bytes, size, json);
#endif
}

//! The two spellings of the one escaping rule: plain text (appendEscaped()) and the inside of a
//! JSON string (JsonObjectWriter).
enum class Rule { Text, Json };

// The pieces that differ between the rules (eventtext.cpp, jsonobjectwriter.cpp): the escape of
// one ASCII byte plainRun() stopped at, written at \a out (returns the end), and the text
// path for a line with a non-ASCII byte, which decodes it first (the decoder decides what
// invalid bytes become) and writes the escaped text, in UTF-8, at \a out.
char *writeTextEscape(char *out, uchar c);
char *writeJsonEscape(char *out, uchar c);
char *writeDecodedText(char *out, QByteArrayView utf8);
char *writeDecodedJson(char *out, QByteArrayView utf8);

//! \a utf8 escaped by \a rule, in UTF-8, written at \a out (room for 6 * utf8.size()); returns
//! the end. The one byte-level loop of both rules (writeEscapedUtf8(),
//! JsonObjectWriter::writeString()): plain ASCII runs are copied eight bytes at a time, other
//! ASCII bytes escaped one by one, and a non-ASCII byte starts the line over on the text path,
//! so that the bytes and the decoded text always give the same result.
template<Rule rule> char *writeEscapedBytes(char *out, QByteArrayView utf8)
{
    constexpr bool json = rule == Rule::Json;
    char *const start = out;
    const char *const bytes = utf8.data();
    const qsizetype size = utf8.size();
    qsizetype i = 0;
    for (;;) {
        const qsizetype run = plainRun(bytes + i, size - i, json);
        if (run > 0) // an empty view may have no data at all
            std::memcpy(out, bytes + i, size_t(run));
        out += run;
        i += run;
        if (i == size)
            return out;
        const uchar c = uchar(bytes[i]);
        if (c >= 0x80)
            return json ? writeDecodedJson(start, utf8) : writeDecodedText(start, utf8);
        out = json ? writeJsonEscape(out, c) : writeTextEscape(out, c);
        ++i;
    }
}

//! \a value in decimal, written so that it ends just before \a end (room for 20 characters);
//! returns where it begins. One digit loop for the byte writers and the text ones.
template<typename Char> Char *writeDecimalBefore(Char *end, qint64 value)
{
    Char *first = end;
    quint64 magnitude = value < 0 ? 0 - quint64(value) : quint64(value);
    do {
        *--first = Char('0' + magnitude % 10);
        magnitude /= 10;
    } while (magnitude != 0);
    if (value < 0)
        *--first = Char('-');
    return first;
}

} // namespace TaskConductor::TextEscaping
