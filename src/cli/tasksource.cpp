// SPDX-License-Identifier: MIT
#include "tasksource.h"

#include "linereader.h"

namespace TaskConductor {

TaskFileSource::TaskFileSource(std::unique_ptr<LineReader> reader, const TaskFileParser &parser,
                               QObject *parent)
    : TaskSource(parent)
    , m_reader(std::move(reader))
    , m_parser(parser)
{
    connect(m_reader.get(), &LineReader::readable, this, &TaskSource::readable);
}

TaskFileSource::~TaskFileSource() = default;

TaskSource::Status TaskFileSource::next(TaskFileLine &parsed, QByteArray &source)
{
    for (;;) {
        LineReader::Line line;
        switch (m_reader->next(line)) {
        case LineReader::Status::NeedMore:
            return Status::NeedMore;
        case LineReader::Status::End:
            return Status::End;
        case LineReader::Status::Error:
            parsed = TaskFileLine();
            parsed.kind = TaskFileLineKind::Invalid;
            parsed.error = QStringLiteral("read error: %1").arg(m_reader->errorString());
            return Status::Invalid;
        case LineReader::Status::Line:
            break;
        }
        if (line.tooLong) {
            parsed = TaskFileLine();
            parsed.kind = TaskFileLineKind::Invalid;
            parsed.lineNumber = line.number;
            parsed.error = QStringLiteral("line longer than --max-task-line-bytes");
            return Status::Invalid;
        }
        parsed = m_parser.parse(line.bytes, line.number);
        if (parsed.kind == TaskFileLineKind::Invalid)
            return Status::Invalid;
        if (parsed.kind == TaskFileLineKind::Task) {
            source = line.bytes;
            return Status::Task;
        }
    }
}

ArgumentTaskSource::ArgumentTaskSource(const CommandTemplate &command,
                                       std::unique_ptr<ArgumentProduct> product, QObject *parent)
    : TaskSource(parent)
    , m_command(command)
    , m_product(std::move(product))
{
    connect(m_product.get(), &ArgumentProduct::readable, this, &TaskSource::readable);
}

ArgumentTaskSource::~ArgumentTaskSource() = default;

TaskSource::Status ArgumentTaskSource::next(TaskFileLine &line, QByteArray &source)
{
    switch (m_product->next(m_arguments)) {
    case ArgumentProduct::Status::NeedMore:
        return Status::NeedMore;
    case ArgumentProduct::Status::End:
        return Status::End;
    case ArgumentProduct::Status::Error:
        line = TaskFileLine();
        line.kind = TaskFileLineKind::Invalid;
        line.error = m_product->errorString();
        return Status::Invalid;
    case ArgumentProduct::Status::Arguments:
        break;
    }
    ++m_sequence;
    line = TaskFileLine();
    line.kind = TaskFileLineKind::Task;
    line.lineNumber = m_sequence;
    line.task = TaskDescriptor(m_command.expand(m_arguments, m_sequence));
    line.task.setName(CommandTemplate::name(m_arguments));
    // What --store compares on a resumed run: the command this combination expanded to.
    source = line.task.command().join(QChar(0)).toUtf8();
    return Status::Task;
}

} // namespace TaskConductor
