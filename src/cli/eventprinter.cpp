// SPDX-License-Identifier: MIT
#include "eventprinter.h"

#include "progressbar.h"

#include "eventjson_p.h"

#include <cstdio>
#include <unistd.h>

namespace TaskConductor {

namespace {

// A child's output must not drive the terminal (escape sequences) or forge a line of its own
// (a lone '\r'): control characters other than tab are shown as \xHH.
QString escapeControls(const QString &text)
{
    QString out;
    out.reserve(text.size());
    for (const QChar c : text) {
        const char16_t u = c.unicode();
        if ((u < 0x20 && u != u'\t') || u == 0x7f)
            out += QStringLiteral("\\x%1").arg(int(u), 2, 16, QLatin1Char('0'));
        else
            out += c;
    }
    return out;
}

} // namespace

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

    if (m_format == EventFormat::Json) {
        // One event per output line, millions a second: the buffers are reused, not allocated.
        m_text.resize(0);
        appendJson(m_text, event, name);
        m_text.append(u'\n');
    } else {
        const QString label = name.isEmpty() ? QStringLiteral("#%1").arg(event.taskId()) : name;
        m_text = QStringLiteral("[%1] %2\n")
                         .arg(escapeControls(label), escapeControls(event.description()));
    }
    m_bytes.resize(m_encoder.requiredSpace(m_text.size()));
    const char *end = m_encoder.appendToBuffer(m_bytes.data(), m_text);
    std::fwrite(m_bytes.constData(), 1, size_t(end - m_bytes.constData()), stream);
    // Interleaving with stderr stays readable on a terminal; pipes and files keep full buffering.
    if (toStderr || m_stdoutIsTerminal)
        std::fflush(stream);
}

} // namespace TaskConductor
