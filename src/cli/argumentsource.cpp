// SPDX-License-Identifier: MIT
#include "argumentsource.h"

#include "linereader.h"

#include <QtCore/qfile.h>

#include <cstdio>

namespace TaskConductor {

ArgumentProduct::ArgumentProduct(const QList<ArgumentSpec> &sources, qint64 maxLineBytes,
                                 QObject *parent)
    : QObject(parent)
    , m_sources(sources)
    , m_maxLineBytes(qMax<qint64>(1, maxLineBytes))
{ }

ArgumentProduct::~ArgumentProduct() = default;

QString ArgumentProduct::displayName(const QString &path) const
{
    return path == QLatin1String("-") ? QStringLiteral("<stdin>") : path;
}

bool ArgumentProduct::open()
{
    if (m_sources.isEmpty()) {
        m_done = true;
        return true;
    }
    // The other sources are read whole, once: every value of the first meets each of theirs.
    for (qsizetype i = 1; i < m_sources.size(); ++i) {
        ArgumentSpec &source = m_sources[i];
        if (!source.isFile())
            continue;
        QFile file;
        const bool opened = source.path == QLatin1String("-")
                ? file.open(stdin, QIODevice::ReadOnly)
                : (file.setFileName(source.path), file.open(QIODevice::ReadOnly));
        if (!opened) {
            m_error = QStringLiteral("%1: cannot open: %2")
                              .arg(displayName(source.path), file.errorString());
            return false;
        }
        qint64 lineNumber = 0;
        QByteArray line;
        while (!file.atEnd()) {
            line = file.readLine(m_maxLineBytes + 2);
            ++lineNumber;
            if (line.endsWith('\n'))
                line.chop(1);
            else if (!file.atEnd()) {
                m_error = QStringLiteral("%1:%2: line longer than --max-task-line-bytes (%3)")
                                  .arg(displayName(source.path))
                                  .arg(lineNumber)
                                  .arg(m_maxLineBytes);
                return false;
            }
            if (line.size() > m_maxLineBytes) {
                m_error = QStringLiteral("%1:%2: line longer than --max-task-line-bytes (%3)")
                                  .arg(displayName(source.path))
                                  .arg(lineNumber)
                                  .arg(m_maxLineBytes);
                return false;
            }
            source.values.append(QString::fromUtf8(line));
        }
        if (file.error() != QFileDevice::NoError) {
            m_error = QStringLiteral("%1: read error: %2")
                              .arg(displayName(source.path), file.errorString());
            return false;
        }
    }
    m_inner = QList<qsizetype>(m_sources.size() - 1, 0);
    for (qsizetype i = 1; i < m_sources.size(); ++i) {
        if (m_sources.at(i).values.isEmpty())
            m_done = true; // a product with an empty factor is empty
    }
    const ArgumentSpec &first = m_sources.first();
    if (first.isFile() && !m_done) {
        m_reader = std::make_unique<LineReader>(m_maxLineBytes);
        if (!m_reader->open(first.path)) {
            m_error = QStringLiteral("%1: cannot open: %2")
                              .arg(displayName(first.path), m_reader->errorString());
            return false;
        }
        connect(m_reader.get(), &LineReader::readable, this, &ArgumentProduct::readable);
    }
    return true;
}

qint64 ArgumentProduct::total() const
{
    if (m_sources.isEmpty())
        return 0;
    if (m_sources.first().isFile())
        return -1;
    qint64 total = 1;
    for (const ArgumentSpec &source : m_sources)
        total *= source.values.size();
    return total;
}

ArgumentProduct::Status ArgumentProduct::nextOuter()
{
    const ArgumentSpec &first = m_sources.first();
    if (!first.isFile()) {
        if (m_outerIndex >= first.values.size())
            return Status::End;
        m_outer = first.values.at(m_outerIndex++);
        return Status::Arguments;
    }
    LineReader::Line line;
    switch (m_reader->next(line)) {
    case LineReader::Status::NeedMore:
        return Status::NeedMore;
    case LineReader::Status::End:
        return Status::End;
    case LineReader::Status::Error:
        m_error = QStringLiteral("%1: read error: %2")
                          .arg(displayName(first.path), m_reader->errorString());
        return Status::Error;
    case LineReader::Status::Line:
        break;
    }
    if (line.tooLong) {
        m_error = QStringLiteral("%1:%2: line longer than --max-task-line-bytes (%3)")
                          .arg(displayName(first.path))
                          .arg(line.number)
                          .arg(m_maxLineBytes);
        return Status::Error;
    }
    m_outer = QString::fromUtf8(line.bytes);
    return Status::Arguments;
}

ArgumentProduct::Status ArgumentProduct::next(QStringList &arguments)
{
    if (m_done)
        return m_error.isEmpty() ? Status::End : Status::Error;
    if (!m_haveOuter) {
        const Status status = nextOuter();
        if (status != Status::Arguments) {
            if (status == Status::End || status == Status::Error) {
                m_done = true;
                m_reader.reset(); // closes the file now
            }
            return status;
        }
        m_haveOuter = true;
    }
    arguments.clear();
    arguments.reserve(m_sources.size());
    arguments.append(m_outer);
    for (qsizetype i = 1; i < m_sources.size(); ++i)
        arguments.append(m_sources.at(i).values.at(m_inner.at(i - 1)));
    // Advance the odometer, last source fastest; past its end, the next value of the first.
    qsizetype i = m_inner.size() - 1;
    for (; i >= 0; --i) {
        if (++m_inner[i] < m_sources.at(i + 1).values.size())
            break;
        m_inner[i] = 0;
    }
    if (i < 0)
        m_haveOuter = false;
    return Status::Arguments;
}

} // namespace TaskConductor
