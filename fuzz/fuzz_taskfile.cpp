// SPDX-License-Identifier: MIT
// libFuzzer target for the CLI's task-file parser. Input: one line of a task file. Invariants
// (a violation aborts): any input is skipped, one valid task, or one clear error; a task has a
// non-empty command whose program is not empty, a timeout >= 0 and at most MaxRetries retries;
// an error says why, with no control character (names from the line are escaped by the one
// escaping rule); the same line always gives the same answer.
#include "taskfileparser.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>

using namespace TaskConductor;

namespace {

void check(bool ok, const char *what)
{
    if (!ok) {
        std::fprintf(stderr, "invariant broken: %s\n", what);
        std::abort();
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QByteArrayView line(reinterpret_cast<const char *>(data), qsizetype(size));
    const TaskFileParser parser;
    const TaskFileLine result = parser.parse(line, 1);
    check(result.lineNumber == 1, "the line number changed");
    switch (result.kind) {
    case TaskFileLineKind::Skipped:
        check(result.error.isEmpty(), "a skipped line carries an error");
        break;
    case TaskFileLineKind::Task: {
        const QStringList command = result.task.command();
        check(!command.isEmpty() && !command.first().isEmpty(), "a task without a program");
        check(result.error.isEmpty(), "a valid task carries an error");
        const double timeout = result.task.timeoutSeconds();
        check(timeout == -1 || timeout >= 0, "a negative timeout");
        if (const auto retry = result.task.retryPolicy())
            check(retry->count >= 0 && retry->count <= TaskFileParser::MaxRetries,
                  "retries out of range");
        break;
    }
    case TaskFileLineKind::Invalid:
        check(!result.error.trimmed().isEmpty(), "an invalid line without a reason");
        for (const QChar c : result.error) {
            const char16_t u = c.unicode();
            check(u >= 0x20 && !(u >= 0x7f && u <= 0x9f) && !(u >= 0x202a && u <= 0x202e)
                          && !(u >= 0x2066 && u <= 0x2069),
                  "an error holds a control character");
        }
        break;
    default:
        check(false, "an unknown line kind");
    }
    const TaskFileLine again = parser.parse(line, 1);
    check(again.kind == result.kind && again.error == result.error, "the parser is not pure");
    return 0;
}
