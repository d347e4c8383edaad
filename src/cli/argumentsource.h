// SPDX-License-Identifier: MIT
#pragma once

#include <QtCore/qlist.h>
#include <QtCore/qobject.h>
#include <QtCore/qstringlist.h>

#include <memory>

namespace TaskConductor {

class LineReader;

//! One argument source of the command line: the values after ":::", or the lines of the file
//! after "::::" ("-": standard input). A value type.
struct ArgumentSpec
{
    QStringList values; //!< ":::"
    QString path; //!< "::::"; empty for ":::"
    bool isFile() const { return !path.isEmpty(); }
};

//! Every combination of the argument sources, first source outermost (as GNU parallel: with
//! "::: a b ::: 1 2", a 1, a 2, b 1, b 2). The first source is read lazily, as tasks are taken,
//! in bounded memory (one line of at most maxLineBytes plus one read chunk); the others are read
//! whole by open(), since each of their values meets every value of the first. A line is one
//! argument, without its '\n' (an empty line is an empty argument), decoded as UTF-8.
class ArgumentProduct : public QObject
{
    Q_OBJECT

public:
    enum class Status { Arguments, NeedMore, End, Error };

    ArgumentProduct(const QList<ArgumentSpec> &sources, qint64 maxLineBytes,
                    QObject *parent = nullptr);
    ~ArgumentProduct() override;

    //! Opens the files and reads all sources but the first. False, with errorString(), if one
    //! cannot be read or has a line longer than maxLineBytes.
    bool open();
    //! The next combination (one argument per source), or why there is none. After NeedMore,
    //! wait for readable(); after Error, errorString() says why and nothing more comes.
    Status next(QStringList &arguments);
    //! How many combinations in all, or -1 while unknown (the first source is a file).
    qint64 total() const;
    //! Of the last error, prefixed with the file and line.
    QString errorString() const { return m_error; }
    int sourceCount() const { return int(m_sources.size()); }

Q_SIGNALS:
    //! Input arrived after next() returned NeedMore.
    void readable();

private:
    //! The next value of the first source into m_outer.
    Status nextOuter();
    QString displayName(const QString &path) const;

    QList<ArgumentSpec> m_sources;
    qint64 m_maxLineBytes;
    std::unique_ptr<LineReader> m_reader; //!< the first source, when it is a file
    qsizetype m_outerIndex = 0; //!< the first source, when it is a list
    QString m_outer;
    bool m_haveOuter = false;
    QList<qsizetype> m_inner; //!< the odometer over sources 2..n
    bool m_done = false;
    QString m_error;
};

} // namespace TaskConductor
