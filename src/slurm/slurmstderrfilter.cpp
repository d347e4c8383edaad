// SPDX-License-Identifier: MIT
#include "slurmstderrfilter.h"

#include <QtCore/qregularexpression.h>

#include <cstring>

namespace TaskConductor {

namespace {
constexpr QByteArrayView srunPrefix = "srun: ";
constexpr QByteArrayView stepdPrefix = "slurmstepd";
constexpr qsizetype maxMessageBytes = 4096; // longer "messages" are cut; memory stays bounded
constexpr int maxMessages = 32;

// Whether \a start could still become (or already is) the beginning of \a prefix.
bool agrees(QByteArrayView start, QByteArrayView prefix)
{
    const qsizetype n = std::min(start.size(), prefix.size());
    return std::memcmp(start.data(), prefix.data(), size_t(n)) == 0;
}
} // namespace

void SlurmStderrFilter::decide()
{
    const QByteArrayView line(m_line);
    const bool srun = agrees(line, srunPrefix);
    const bool stepd = agrees(line, stepdPrefix);
    if (!srun && !stepd)
        m_kind = Line::Task;
    else if ((srun && line.size() >= srunPrefix.size())
             || (stepd && line.size() >= stepdPrefix.size()))
        m_kind = Line::Slurm;
}

void SlurmStderrFilter::keepMessage()
{
    const QString message = QString::fromUtf8(m_line).trimmed();
    static const QRegularExpression taskState(
            QStringLiteral("^srun: error: [^:]+: task \\d+: (.+)$"));
    const QRegularExpressionMatch match = taskState.match(message);
    if (match.hasMatch())
        m_taskState = match.captured(1);
    if (m_messages.size() == maxMessages)
        m_messages.removeFirst();
    m_messages.append(message);
    m_line.clear();
}

void SlurmStderrFilter::feed(QByteArrayView chunk, const Sink &sink)
{
    while (!chunk.isEmpty()) {
        const void *nl = std::memchr(chunk.data(), '\n', size_t(chunk.size()));
        const qsizetype lineEnd =
                nl ? static_cast<const char *>(nl) - chunk.data() + 1 : chunk.size();
        const QByteArrayView piece = chunk.first(lineEnd);
        chunk = chunk.sliced(lineEnd);
        const bool complete = nl != nullptr;

        if (m_kind == Line::Undecided) {
            m_line.append(piece);
            decide();
            if (m_kind == Line::Undecided && complete)
                m_kind = Line::Task; // shorter than either prefix
            if (m_kind == Line::Task) {
                sink(m_line); // what was held, then the rest of the line as it comes
                m_line.clear();
            } else if (m_kind == Line::Slurm) {
                m_line.truncate(maxMessageBytes);
                if (complete)
                    keepMessage();
            }
        } else if (m_kind == Line::Task) {
            sink(piece);
        } else if (m_line.size() < maxMessageBytes) {
            m_line.append(piece.first(std::min(piece.size(), maxMessageBytes - m_line.size())));
            if (complete)
                keepMessage();
        } else if (complete) {
            keepMessage();
        }
        if (complete)
            m_kind = Line::Undecided;
    }
}

void SlurmStderrFilter::flush(const Sink &sink)
{
    if (m_kind == Line::Undecided && !m_line.isEmpty())
        sink(m_line); // a short last line without break: too short to be srun's
    else if (m_kind == Line::Slurm)
        keepMessage();
    m_line.clear();
    m_kind = Line::Undecided;
}

} // namespace TaskConductor
