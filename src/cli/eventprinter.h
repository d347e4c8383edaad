// SPDX-License-Identifier: MIT
#pragma once

#include "runoptions.h"

#include <taskconductor/taskevent.h>

#include <QtCore/qstringconverter.h>

#include <cstdio>

namespace TaskConductor {

class ProgressBar;

//! Writes task events in the chosen format. json: one object per line on stdout and nothing
//! else there; text: "[name] ..." lines (appendEventText(), the one text formatter and escaping
//! rule), the task's stderr on stderr, the rest on stdout; none: nothing.
class EventPrinter
{
public:
    //! \a bar, if any, is hidden before a line is written to a terminal.
    EventPrinter(EventFormat format, ProgressBar *bar);

    //! Prints \a event of the task labelled \a name (empty: labelled by its id).
    void print(const TaskEvent &event, const QString &name);

    //! Prints nothing from now on (stdout has no reader any more).
    void silence() { m_format = EventFormat::None; }

    //! Appends the JSON form to \a out: TaskEvent::toJson() plus "name" (null when the task has
    //! none), on one line, without a line break.
    static void appendJson(QString &out, const TaskEvent &event, const QString &name);

private:
    void printLines(const TaskEvent &batch, const QString &name, FILE *stream);

    EventFormat m_format;
    ProgressBar *m_bar;
    bool m_stdoutIsTerminal;
    bool m_stderrIsTerminal;
    QString m_text;
    QByteArray m_bytes;
    QByteArray m_prefix; // a batch's text before each line
    QByteArray m_suffix; // and after it, with the line break
    QStringEncoder m_encoder { QStringEncoder::Utf8, QStringConverter::Flag::Stateless };
};

} // namespace TaskConductor
