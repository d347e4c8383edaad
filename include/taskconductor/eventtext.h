// SPDX-License-Identifier: MIT
#pragma once

#include <taskconductor/taskconductor_export.h>
#include <taskconductor/taskevent.h>

#include <QtCore/qbytearray.h>
#include <QtCore/qstring.h>

namespace TaskConductor {

// The one text formatter of events and the one escaping rule for text that comes from outside
// (a child's output, a task file, a command line, a path): the text log, the CLI's text events
// and its task-file errors all print through these, so none of them can differ.

//! Appends \a text to \a out with the one escaping rule applied: a backslash as \\; \n, \r, \t,
//! \e (ESC) and \0; the other C0 controls and DEL as \xHH; C1 controls (U+0080-U+009F, e.g.
//! CSI, OSC), the Unicode line breaks (U+2028, U+2029), the bidi controls (U+061C, U+200E,
//! U+200F, U+202A-U+202E, U+2066-U+2069) and unpaired surrogates as \uXXXX. The result is one
//! line that cannot drive a terminal or reorder what it shows; everything else is kept.
TASKCONDUCTOR_EXPORT void appendEscaped(QString &out, QStringView text);
//! Appends to \a out, in UTF-8, what appendEscaped() makes of the text of \a utf8 (decoded as
//! output lines are, TaskEvent::decodeLine()): byte for byte the same, written straight from
//! the bytes for ASCII lines, with no string in between.
TASKCONDUCTOR_EXPORT void appendEscapedUtf8(QByteArray &out, QByteArrayView utf8);
//! appendEscapedUtf8() written at \a out, which has room for 6 * utf8.size() + 2 bytes; returns
//! the end of what was written. For writers that reserve once for many lines.
TASKCONDUCTOR_EXPORT char *writeEscapedUtf8(char *out, QByteArrayView utf8);
//! \a text with the one escaping rule applied (appendEscaped()).
TASKCONDUCTOR_EXPORT QString escapeControlCharacters(QStringView text);

//! Appends what a text line says of \a event after its name, escaped: the line for output
//! events, "(exit 0) in 12 ms" for finished, "<command> in <dir> (attempt 1)" for started.
TASKCONDUCTOR_EXPORT void appendEventDetails(QString &out, const TaskEvent &event);
//! Appends \a event as one readable line, escaped: an output event's line as it is, any other
//! event as "<event> <details>" (e.g. "finished (exit 0) in 12 ms"): the event's name once.
TASKCONDUCTOR_EXPORT void appendEventText(QString &out, const TaskEvent &event);

} // namespace TaskConductor
