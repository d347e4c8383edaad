// SPDX-License-Identifier: MIT
#include "eventprinter.h"

#include "progressbar.h"

#include <QtCore/qjsondocument.h>
#include <QtCore/qjsonobject.h>

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

QByteArray EventPrinter::toJsonLine(const TaskEvent &event, const QString &name)
{
    QJsonObject object = event.toJson();
    object.insert(QStringLiteral("name"), name.isEmpty() ? QJsonValue() : QJsonValue(name));
    return QJsonDocument(object).toJson(QJsonDocument::Compact) + '\n';
}

void EventPrinter::print(const TaskEvent &event, const QString &name)
{
    if (m_format == EventFormat::None)
        return;
    const bool toStderr = m_format == EventFormat::Text && event.kind() == EventKind::Stderr;
    FILE *stream = toStderr ? stderr : stdout;
    if (m_bar && (toStderr ? m_stderrIsTerminal : m_stdoutIsTerminal))
        m_bar->hide();

    QByteArray bytes;
    if (m_format == EventFormat::Json) {
        bytes = toJsonLine(event, name);
    } else {
        const QString label = name.isEmpty() ? QStringLiteral("#%1").arg(event.taskId()) : name;
        bytes = QStringLiteral("[%1] %2\n")
                        .arg(escapeControls(label), escapeControls(event.description()))
                        .toUtf8();
    }
    std::fwrite(bytes.constData(), 1, size_t(bytes.size()), stream);
    // Interleaving with stderr stays readable on a terminal; pipes and files keep full buffering.
    if (toStderr || m_stdoutIsTerminal)
        std::fflush(stream);
}

} // namespace TaskConductor
