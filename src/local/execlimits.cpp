// SPDX-License-Identifier: MIT
#include "execlimits.h"

#include <QtCore/qfile.h>

#include <algorithm>
#include <limits>
#include <unistd.h>

namespace TaskConductor {

/*!
    Linux (fs/exec.c) refuses an exec with E2BIG when one argument or environment string,
    counted with its terminating NUL, is longer than MAX_ARG_STRLEN (32 pages), or when all of
    them together, plus one pointer per string, do not fit in the stack share for arguments:
    a quarter of RLIMIT_STACK, at least 32 pages and (since Linux 4.13) at most 6 MiB.
    glibc's sysconf(_SC_ARG_MAX) is that quarter without the 6 MiB cap, so it is never below the
    kernel's limit: refusing above it refuses nothing the kernel accepts. Above the cap but
    below sysconf() the exec still fails in the child, through QProcess.
*/

ExecLimits ExecLimits::current()
{
    ExecLimits limits = guaranteed(); // the same string limit
    const long argMax = ::sysconf(_SC_ARG_MAX);
    // No answer: no prediction (the exec decides).
    limits.maxTotalBytes = argMax > 0 ? qint64(argMax) : std::numeric_limits<qint64>::max();
    return limits;
}

ExecLimits ExecLimits::guaranteed()
{
    ExecLimits limits;
    const long page = ::sysconf(_SC_PAGESIZE);
    limits.maxStringBytes = 32 * qint64(page > 0 ? page : 4096);
    // ARG_MAX in linux/limits.h and glibc's floor of sysconf(_SC_ARG_MAX): the least share.
    limits.maxTotalBytes = 128 * 1024;
    return limits;
}

namespace {

// The bytes execve() copies for one string, NUL included, or fewer: QProcessEnvironment hands
// variables out as QString, and a byte that was not valid UTF-8 comes back as U+FFFD, three
// bytes in UTF-8 where the child gets one.
qint64 lowerBoundBytes(const QString &text)
{
    const qint64 invalid = text.count(QChar::ReplacementCharacter);
    return QFile::encodeName(text).size() - 2 * invalid + 1;
}

} // namespace

namespace {

// An upper bound of what execve() copies for \a strings: UTF-8 takes at most 3 bytes per UTF-16
// unit, computed without encoding anything.
struct UpperBound
{
    qint64 bytes = 0;
    bool longString = false;

    void add(const QString &s, const ExecLimits &limits)
    {
        const qint64 stringBytes = 3 * qint64(s.size()) + 1;
        longString = longString || stringBytes > limits.maxStringBytes;
        bytes += stringBytes + qint64(sizeof(char *));
    }
};

// The environment's bound, remembered for the environment last asked about: tasks share the
// Broker's environment (copy on write), so this is one pointer comparison per start instead of
// toStringList(), which built a "NAME=value" string per variable each time.
UpperBound environmentBound(const QProcessEnvironment &environment, const ExecLimits &limits)
{
    struct Cache
    {
        QProcessEnvironment environment;
        ExecLimits limits;
        UpperBound bound;
        bool valid = false;
    };
    static thread_local Cache cache;
    if (cache.valid && cache.limits.maxStringBytes == limits.maxStringBytes
        && cache.environment == environment)
        return cache.bound;
    UpperBound bound;
    const QStringList variables = environment.toStringList();
    for (const QString &s : variables)
        bound.add(s, limits);
    cache = { environment, limits, bound, true };
    return bound;
}

} // namespace

bool exceedsExecLimits(const QStringList &argv, const QProcessEnvironment &environment,
                       const ExecLimits &limits, const QString &extraVariable)
{
    // The common case, decided on upper bounds: nothing near a limit.
    // An empty environment makes QProcess pass the host's own: not counted, so not predicted.
    UpperBound bound = environmentBound(environment, limits);
    for (const QString &s : argv)
        bound.add(s, limits);
    if (!extraVariable.isEmpty())
        bound.add(extraVariable, limits);
    if (!bound.longString && bound.bytes <= limits.maxTotalBytes)
        return false;

    // Near a limit: the exact count of the environment the process gets.
    QProcessEnvironment effective = environment;
    if (!extraVariable.isEmpty()) {
        const qsizetype equals = extraVariable.indexOf(u'=');
        effective.insert(extraVariable.first(std::max<qsizetype>(equals, 0)),
                         equals < 0 ? QString() : extraVariable.sliced(equals + 1));
    }
    const QStringList variables = effective.toStringList();
    qint64 total = 0;
    for (const QStringList *strings : { &argv, &variables }) {
        for (const QString &s : *strings) {
            const qint64 bytes = lowerBoundBytes(s);
            if (bytes > limits.maxStringBytes)
                return true;
            total += bytes + qint64(sizeof(char *));
        }
    }
    return total > limits.maxTotalBytes;
}

} // namespace TaskConductor
