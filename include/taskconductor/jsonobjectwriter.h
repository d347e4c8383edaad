// SPDX-License-Identifier: MIT
#pragma once

#include <taskconductor/taskconductor_export.h>
#include <taskconductor/taskevent.h>

#include <QtCore/qbytearray.h>
#include <QtCore/qstring.h>

namespace TaskConductor {

//! Writes one compact JSON object straight into a QString: the one JSON writer of events (the
//! JSON Lines log, the CLI's --events json, TaskEvent::toJsonText()). Several times cheaper
//! than QJsonObject and QJsonDocument; tests parse the result and compare it with toJson().
//! Strings escape '"', '\\' and, as \uXXXX, every character the one escaping rule escapes
//! (escapeControlCharacters() in eventtext.h: C0, DEL, C1, the Unicode line breaks, bidi
//! controls, unpaired surrogates), so one object is one physical line that cannot drive a
//! terminal, and parses back to the same text.
class TASKCONDUCTOR_EXPORT JsonObjectWriter
{
public:
    //! Appends '{' to \a out, which must outlive the writer. Reusing one \a out (cleared with
    //! resize(0), which keeps its capacity) saves an allocation per object.
    explicit JsonObjectWriter(QString &out);

    //! Keys are written as given (no escaping): pass plain literals, e.g. u"exitCode".
    void member(QStringView key, qint64 value);
    void member(QStringView key, bool value);
    void member(QStringView key, QStringView value);
    //! A null \a value is written as null, any other string (even empty) as a string.
    void member(QStringView key, const QString &value);
    //! The members of TaskEvent::toJson() for \a event.
    void eventMembers(const TaskEvent &event);
    //! The metric members of a terminal event ("queueMs" ... "maxRssKb"; the last two only when
    //! known).
    void metricsMembers(const TaskMetrics &metrics);
    //! Appends '}' and trims \a out to what was written (it grows ahead while writing).
    //! Nothing may be added through the writer afterwards.
    void finish();
    //! Appends to \a out, in UTF-8, the JSON string (quotes included) that member() writes for
    //! the text of \a utf8 (decoded as output lines are, TaskEvent::decodeLine()): byte for
    //! byte the same, straight from the bytes for ASCII lines.
    static void appendString(QByteArray &out, QByteArrayView utf8);
    //! appendString() written at \a out, which has room for 6 * utf8.size() + 2 bytes; returns
    //! the end of what was written.
    static char *writeString(char *out, QByteArrayView utf8);
    //! Trims \a out as finish() does, for a writer that did not finish.
    ~JsonObjectWriter();

    JsonObjectWriter(const JsonObjectWriter &) = delete;
    JsonObjectWriter &operator=(const JsonObjectWriter &) = delete;

private:
    // Written through a cursor into space reserved ahead, not by QString::append per piece:
    // an event has a dozen pieces, and append's checks cost more than copying them.
    char16_t *room(qsizetype count);
    void put(QStringView text);
    void key(QStringView key);
    void string(QStringView text);

    QString &m_out;
    char16_t *m_data = nullptr; // m_out's characters, valid up to m_size
    qsizetype m_end; // what was written ends here
    qsizetype m_size;
    bool m_first = true;
};

} // namespace TaskConductor
