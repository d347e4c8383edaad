// SPDX-License-Identifier: MIT
#pragma once

#include <QtCore/qstringlist.h>

namespace TaskConductor {

//! A command with GNU parallel's replacement strings, turned into one argv per set of
//! arguments. Pure: no I/O, no shell; each template entry stays one argv entry.
//!
//! In any entry: {} the argument(s), {.} without the extension, {/} the basename, {//} the
//! directory, {/.} the basename without the extension, {#} the task's sequence number (from 1),
//! {N} (and {N.}, {N/}, {N//}, {N/.}) the argument of the N-th source. {{}} is a literal {},
//! and so for every replacement string. Anything else in braces stays as written.
class CommandTemplate
{
public:
    explicit CommandTemplate(const QStringList &argv = {});

    //! Whether any entry holds a replacement string (else the arguments are appended).
    bool hasReplacements() const { return m_hasReplacements; }
    //! The highest {N} used (0: none).
    int highestSourceIndex() const { return m_highestSource; }

    //! The argv for \a arguments (one per source) and sequence number \a sequence. With no
    //! replacement string, the template with the arguments appended as separate entries.
    //! {} and its variants of several arguments join them with a space; {N} beyond the
    //! arguments is empty.
    QStringList expand(const QStringList &arguments, qint64 sequence) const;

    //! The task's name: \a arguments joined by a space.
    static QString name(const QStringList &arguments);

    // The path functions behind the replacement strings (as GNU parallel, except that a
    // leading dot of a basename, as in ".bashrc", starts no extension).
    static QString withoutExtension(const QString &path); //!< {.}: "a/b.tar.gz" -> "a/b.tar"
    static QString baseName(const QString &path); //!< {/}: "a/b.txt" -> "b.txt"
    static QString directory(const QString &path); //!< {//}: "a/b.txt" -> "a"; "b" -> "."

private:
    QString expandEntry(const QString &entry, const QStringList &arguments, qint64 sequence) const;

    QStringList m_argv;
    bool m_hasReplacements = false;
    int m_highestSource = 0;
};

} // namespace TaskConductor
