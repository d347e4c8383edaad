// SPDX-License-Identifier: MIT
// libFuzzer target for LineSplitter. Input: byte 0 picks maxLineBytes, byte 1 seeds how the rest
// is cut into chunks; the rest is the child's output. Invariants (a violation aborts):
// - no piece is longer than maxLineBytes or holds a '\n';
// - the pieces, joined, are the input without its line breaks ("\n" and the '\r' of "\r\n");
// - how the stream is cut into chunks changes nothing: same pieces as one feed() of everything;
// - the splitter never holds back more than maxLineBytes (+1 for a '\r' that may end a line).
#include "linesplitter.h"

#include <QtCore/qbytearray.h>
#include <QtCore/qlist.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>

using TaskConductor::LineSplitter;

namespace {

void check(bool ok, const char *what)
{
    if (!ok) {
        std::fprintf(stderr, "invariant broken: %s\n", what);
        std::abort();
    }
}

QList<QByteArray> splitInChunks(QByteArrayView input, qsizetype max, uint32_t seed)
{
    LineSplitter splitter(max);
    QList<QByteArray> pieces;
    auto collect = [&](QByteArrayView line) { pieces.append(line.toByteArray()); };
    qsizetype pos = 0;
    while (pos < input.size()) {
        seed = seed * 1103515245u + 12345u; // any deterministic chunking will do
        const qsizetype size = std::min<qsizetype>(input.size() - pos, 1 + (seed >> 16) % 97);
        splitter.feed(input.sliced(pos, size), collect);
        check(splitter.carriedBytes() <= splitter.maxLineBytes() + 1,
              "carried bytes exceed maxLineBytes + 1");
        pos += size;
    }
    splitter.flush(collect);
    check(splitter.carriedBytes() == 0, "flush left bytes behind");
    return pieces;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    const qsizetype max = 1 + data[0] % 64; // LineSplitter raises it to at least 4
    const uint32_t seed = data[1];
    const QByteArrayView input(reinterpret_cast<const char *>(data) + 2, qsizetype(size) - 2);

    LineSplitter whole(max);
    const qsizetype limit = whole.maxLineBytes();
    QList<QByteArray> pieces;
    auto collect = [&](QByteArrayView line) { pieces.append(line.toByteArray()); };
    whole.feed(input, collect);
    whole.flush(collect);

    QByteArray joined;
    for (const QByteArray &piece : pieces) {
        check(piece.size() <= limit, "a piece is longer than maxLineBytes");
        check(!piece.contains('\n'), "a piece holds a line break");
        joined += piece;
    }
    QByteArray expected = input.toByteArray();
    expected.replace("\r\n", "\n");
    expected.replace("\n", "");
    check(joined == expected, "the pieces do not join up to the input without line breaks");
    check(splitInChunks(input, max, seed) == pieces, "chunking changed the pieces");
    return 0;
}
