// SPDX-License-Identifier: MIT
#include "commandtemplate.h"

#include <optional>

namespace TaskConductor {

namespace {

enum class Transform { Whole, NoExtension, Base, Directory, BaseNoExtension };

struct Replacement
{
    qsizetype length = 0; //!< characters of the replacement string, braces included
    bool sequence = false; //!< {#}
    int source = 0; //!< {N}: N; 0: every argument
    Transform transform = Transform::Whole;
    bool literal = false; //!< {{...}}: the inner replacement string, as written
};

// The replacement string (without its braces) in \a inner, if it is one.
std::optional<Replacement> parseInner(QStringView inner)
{
    Replacement r;
    if (inner == u"#") {
        r.sequence = true;
        return r;
    }
    qsizetype digits = 0;
    while (digits < inner.size() && inner.at(digits).isDigit() && inner.at(digits).unicode() < 128)
        ++digits;
    if (digits > 0) {
        if (digits > 6 || inner.at(0) == u'0')
            return std::nullopt;
        r.source = inner.left(digits).toInt();
    }
    const QStringView tail = inner.mid(digits);
    if (tail.isEmpty())
        r.transform = Transform::Whole;
    else if (tail == u".")
        r.transform = Transform::NoExtension;
    else if (tail == u"/")
        r.transform = Transform::Base;
    else if (tail == u"//")
        r.transform = Transform::Directory;
    else if (tail == u"/.")
        r.transform = Transform::BaseNoExtension;
    else
        return std::nullopt;
    return r;
}

// The replacement string that starts at \a at ('{'), if any.
std::optional<Replacement> replacementAt(const QString &entry, qsizetype at)
{
    // {{X}} is the literal {X}; longest match first.
    if (entry.mid(at, 2) == u"{{") {
        const qsizetype close = entry.indexOf(u"}}", at + 2);
        if (close > at + 2) {
            const QStringView inner = QStringView(entry).mid(at + 2, close - at - 2);
            if (inner.isEmpty() || parseInner(inner)) {
                Replacement r;
                r.literal = true;
                r.length = close + 2 - at;
                return r;
            }
        } else if (close == at + 2) { // "{{}}"
            Replacement r;
            r.literal = true;
            r.length = 4;
            return r;
        }
    }
    const qsizetype close = entry.indexOf(u'}', at + 1);
    if (close < 0 || close - at - 1 > 10)
        return std::nullopt;
    std::optional<Replacement> r = parseInner(QStringView(entry).mid(at + 1, close - at - 1));
    if (r)
        r->length = close + 1 - at;
    return r;
}

QString transformed(const QString &argument, Transform transform)
{
    switch (transform) {
    case Transform::Whole:
        return argument;
    case Transform::NoExtension:
        return CommandTemplate::withoutExtension(argument);
    case Transform::Base:
        return CommandTemplate::baseName(argument);
    case Transform::Directory:
        return CommandTemplate::directory(argument);
    case Transform::BaseNoExtension:
        return CommandTemplate::withoutExtension(CommandTemplate::baseName(argument));
    }
    return argument;
}

} // namespace

CommandTemplate::CommandTemplate(const QStringList &argv)
    : m_argv(argv)
{
    for (const QString &entry : argv) {
        for (qsizetype at = entry.indexOf(u'{'); at >= 0; at = entry.indexOf(u'{', at + 1)) {
            const std::optional<Replacement> r = replacementAt(entry, at);
            if (!r)
                continue;
            if (!r->literal) {
                m_hasReplacements = true;
                m_highestSource = qMax(m_highestSource, r->source);
            }
            at += r->length - 1;
        }
    }
}

QString CommandTemplate::withoutExtension(const QString &path)
{
    const qsizetype slash = path.lastIndexOf(u'/');
    const qsizetype dot = path.lastIndexOf(u'.');
    // The dot must be inside the basename, and not its first character.
    if (dot <= slash + 1)
        return path;
    return path.left(dot);
}

QString CommandTemplate::baseName(const QString &path)
{
    return path.mid(path.lastIndexOf(u'/') + 1);
}

QString CommandTemplate::directory(const QString &path)
{
    // As dirname(1), which GNU parallel uses: trailing slashes do not count.
    qsizetype end = path.size();
    while (end > 1 && path.at(end - 1) == u'/')
        --end;
    const qsizetype slash = path.lastIndexOf(u'/', end - 1);
    if (slash < 0)
        return QStringLiteral(".");
    qsizetype dirEnd = slash;
    while (dirEnd > 0 && path.at(dirEnd - 1) == u'/')
        --dirEnd;
    return dirEnd == 0 ? QStringLiteral("/") : path.left(dirEnd);
}

QString CommandTemplate::name(const QStringList &arguments)
{
    return arguments.join(u' ');
}

QString CommandTemplate::expandEntry(const QString &entry, const QStringList &arguments,
                                     qint64 sequence) const
{
    QString out;
    qsizetype from = 0;
    for (qsizetype at = entry.indexOf(u'{'); at >= 0; at = entry.indexOf(u'{', at + 1)) {
        const std::optional<Replacement> r = replacementAt(entry, at);
        if (!r)
            continue;
        out += QStringView(entry).mid(from, at - from);
        if (r->literal) {
            out += QStringView(entry).mid(at + 1, r->length - 2); // {{X}} -> {X}
        } else if (r->sequence) {
            out += QString::number(sequence);
        } else if (r->source > 0) {
            if (r->source <= arguments.size())
                out += transformed(arguments.at(r->source - 1), r->transform);
        } else {
            for (qsizetype i = 0; i < arguments.size(); ++i) {
                if (i > 0)
                    out += u' ';
                out += transformed(arguments.at(i), r->transform);
            }
        }
        at += r->length - 1;
        from = at + 1;
    }
    if (from == 0)
        return entry;
    out += QStringView(entry).mid(from);
    return out;
}

QStringList CommandTemplate::expand(const QStringList &arguments, qint64 sequence) const
{
    QStringList argv;
    argv.reserve(m_argv.size() + (m_hasReplacements ? 0 : arguments.size()));
    for (const QString &entry : m_argv)
        argv.append(expandEntry(entry, arguments, sequence));
    if (!m_hasReplacements)
        argv += arguments;
    return argv;
}

} // namespace TaskConductor
