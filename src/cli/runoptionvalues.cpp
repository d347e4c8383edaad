// SPDX-License-Identifier: MIT
// Readers of `taskconductor run` option values: numbers in a range, argument sources.
#include "runoptionvalues_p.h"

#include <cmath>

namespace TaskConductor {

std::optional<double> readNumber(const QCommandLineParser &parser, const NumberOption &n,
                                 QString &message)
{
    if (!parser.isSet(*n.option))
        return std::nullopt;
    const QString text = parser.value(*n.option);
    bool ok = false;
    const double value = text.toDouble(&ok);
    const QString name = n.option->names().constLast();
    if (!ok || !std::isfinite(value) || value < n.minimum || value > n.maximum
        || (n.whole && std::floor(value) != value)) {
        if (!message.isEmpty())
            return std::nullopt; // the first problem is the one reported
        message = QStringLiteral("--%1: \"%2\" is not %3 from %4 to %5")
                          .arg(name, text,
                               n.whole ? QStringLiteral("a whole number")
                                       : QStringLiteral("a number"))
                          .arg(n.minimum)
                          .arg(n.maximum, 0, 'g', 12);
        return std::nullopt;
    }
    return value;
}

// "-- CMD [ARGS] ::: A B ::: C :::: FILE": the command ends at the first ":::" or "::::";
// each ":::" group is one source, and so is each file after "::::".
bool splitArgumentSources(RunOptions &options, QString &message)
{
    const QString values = QStringLiteral(":::");
    const QString files = QStringLiteral("::::");
    qsizetype at = 0;
    while (at < options.command.size() && options.command.at(at) != values
           && options.command.at(at) != files)
        ++at;
    if (at == options.command.size())
        return true;
    const QStringList rest = options.command.mid(at);
    options.command = options.command.mid(0, at);
    bool fileGroup = false;
    for (const QString &word : rest) {
        if (word == values || word == files) {
            fileGroup = word == files;
            if (!fileGroup)
                options.argumentSources.append(ArgumentSpec());
            continue;
        }
        if (fileGroup) {
            ArgumentSpec spec;
            spec.path = word;
            options.argumentSources.append(spec);
        } else {
            options.argumentSources.last().values.append(word);
        }
    }
    // "::::" with no file after it.
    for (qsizetype i = 0; i + 1 < rest.size(); ++i) {
        if (rest.at(i) == files && (rest.at(i + 1) == files || rest.at(i + 1) == values)) {
            message = QStringLiteral("\"::::\" needs a file (\"-\": standard input)");
            return false;
        }
    }
    if (rest.constLast() == files) {
        message = QStringLiteral("\"::::\" needs a file (\"-\": standard input)");
        return false;
    }
    int stdinSources = 0;
    for (const ArgumentSpec &spec : std::as_const(options.argumentSources))
        stdinSources += spec.path == QLatin1String("-") ? 1 : 0;
    if (stdinSources > 1) {
        message = QStringLiteral("standard input (\"-\") can be read by one \"::::\" only");
        return false;
    }
    return true;
}

} // namespace TaskConductor
