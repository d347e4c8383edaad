// SPDX-License-Identifier: MIT
#pragma once

#include <QtCore/qlist.h>
#include <QtCore/qstring.h>

#include <sys/types.h>

namespace TaskConductor {

//! One file a run reads or writes (task file, log, store, a per-task log), with what makes it
//! the same as another: device and inode once it exists, else its canonical path.
struct RunFile
{
    QString role; //!< for messages: "the task file", "--log", "--store", ...
    QString path;
    bool exists = false;
    bool characterDevice = false;
    dev_t device = 0;
    ino_t inode = 0;
    QString canonical; //!< when it does not exist: the canonical directory plus the name

    static RunFile identify(const QString &role, const QString &path);
    //! The same file (character devices such as /dev/null never count: nothing is lost there).
    bool isSameAs(const RunFile &other) const;
};

//! The first two of \a files that are the same file, as a message ("--log x and --store x are
//! the same file"); empty if all differ.
QString sameFileError(const QList<RunFile> &files);

} // namespace TaskConductor
