// SPDX-License-Identifier: MIT
#include "eventprinter.h"

#include "progressbar.h"

#include <taskconductor/eventtext.h>
#include <taskconductor/jsonobjectwriter.h>

#include <cstdio>
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

} // namespace TaskConductor
