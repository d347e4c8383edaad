// SPDX-License-Identifier: MIT
#include "eventprinter.h"

#include "progressbar.h"

#include <taskconductor/eventtext.h>
#include <taskconductor/jsonobjectwriter.h>

#include <cstdio>
#include <cstring>
#include <unistd.h>

namespace TaskConductor {

EventPrinter::EventPrinter(EventFormat format, ProgressBar *bar)
    : m_format(format)
    , m_bar(bar)
    , m_stdoutIsTerminal(::isatty(STDOUT_FILENO) == 1)
    , m_stderrIsTerminal(::isatty(STDERR_FILENO) == 1)
{ }

void EventPrinter::appendJson(QString &out, const TaskEvent &event, const QString &name)
{
    JsonObjectWriter json(out);
    json.eventMembers(event);
    json.member(u"name", name.isEmpty() ? QString() : name);
    json.finish();
}

void EventPrinter::print(const TaskEvent &event, const QString &name)
{
    if (m_format == EventFormat::None)
        return;
    const bool toStderr = m_format == EventFormat::Text && event.kind() == EventKind::Stderr;
    FILE *stream = toStderr ? stderr : stdout;
    if (m_bar && (toStderr ? m_stderrIsTerminal : m_stdoutIsTerminal))
        m_bar->hide();
    if (event.hasLineBytes())
        return printLines(event, name, stream);

    // One event per output line, millions a second: the buffers are reused, not allocated.
    m_text.resize(0);
    if (m_format == EventFormat::Json) {
        appendJson(m_text, event, name);
    } else {
        // The one text formatter and escaping rule: a child cannot drive the terminal (escape
        // sequences, C1 controls, bidi overrides) or forge a line of its own (a lone '\r').
        m_text.append(u'[');
        if (name.isEmpty()) {
            m_text.append(u'#');
            m_text.append(QString::number(event.taskId()));
        } else {
            appendEscaped(m_text, name);
        }
        m_text.append(u"] ");
        appendEventText(m_text, event);
    }
    m_text.append(u'\n');
    m_bytes.resize(m_encoder.requiredSpace(m_text.size()));
    const char *end = m_encoder.appendToBuffer(m_bytes.data(), m_text);
    std::fwrite(m_bytes.constData(), 1, size_t(end - m_bytes.constData()), stream);
    // Interleaving with stderr stays readable on a terminal; pipes and files keep full buffering.
    if (toStderr || m_stdoutIsTerminal)
        std::fflush(stream);
}

void EventPrinter::printLines(const TaskEvent &batch, const QString &name, FILE *stream)
{
    // A batch (BrokerConfig::outputBatching): one line per output line, exactly as print()
    // writes a one-line event, but straight from the bytes into one buffer, one write.
    // What comes before and after the line is formatted once, by the same writers as print():
    // JSON from a one-line event with an empty line, cut around its "line" string.
    m_text.resize(0);
    if (m_format == EventFormat::Json) {
        const OutputChannel channel =
                batch.kind() == EventKind::Stdout ? OutputChannel::Stdout : OutputChannel::Stderr;
        appendJson(m_text, TaskEvent::output(batch.taskId(), batch.attempt(), channel, QString()),
                   name);
        // The first "line" member: id, event and attempt come before it and cannot hold it.
        constexpr QStringView member = u",\"line\":";
        const qsizetype at = m_text.indexOf(member) + member.size();
        m_prefix = QStringView(m_text).first(at).toUtf8();
        m_suffix = QStringView(m_text).sliced(at + 2).toUtf8(); // after the empty string ""
    } else {
        m_text.append(u'[');
        if (name.isEmpty()) {
            m_text.append(u'#');
            m_text.append(QString::number(batch.taskId()));
        } else {
            appendEscaped(m_text, name);
        }
        m_text.append(u"] ");
        m_prefix = m_text.toUtf8();
        m_suffix.resize(0);
    }
    m_suffix.append('\n');
    // One reservation for the whole batch, then a cursor: QByteArray::append per piece cost
    // more than the escaping itself.
    const qsizetype count = batch.lineCount();
    qsizetype room = count * (m_prefix.size() + m_suffix.size() + 2);
    for (qsizetype i = 0; i < count; ++i)
        room += 6 * batch.lineBytes(i).size();
    m_bytes.resize(room);
    char *out = m_bytes.data();
    const bool json = m_format == EventFormat::Json;
    for (qsizetype i = 0; i < count; ++i) {
        std::memcpy(out, m_prefix.constData(), size_t(m_prefix.size()));
        out += m_prefix.size();
        out = json ? JsonObjectWriter::writeString(out, batch.lineBytes(i))
                   : writeEscapedUtf8(out, batch.lineBytes(i));
        std::memcpy(out, m_suffix.constData(), size_t(m_suffix.size()));
        out += m_suffix.size();
    }
    m_bytes.truncate(out - m_bytes.constData());
    std::fwrite(m_bytes.constData(), 1, size_t(m_bytes.size()), stream);
    if (stream == stderr || m_stdoutIsTerminal)
        std::fflush(stream);
}

} // namespace TaskConductor
