// SPDX-License-Identifier: MIT
#include "runfiles.h"

#include <QtCore/qdir.h>
#include <QtCore/qfile.h>
#include <QtCore/qfileinfo.h>

#include <sys/stat.h>

namespace TaskConductor {

RunFile RunFile::identify(const QString &role, const QString &path)
{
    RunFile file;
    file.role = role;
    file.path = path;
    struct stat info;
    // stat(), not lstat(): a link to the task file is the task file.
    if (::stat(QFile::encodeName(path).constData(), &info) == 0) {
        file.exists = true;
        file.device = info.st_dev;
        file.inode = info.st_ino;
        file.characterDevice = S_ISCHR(info.st_mode);
        return file;
    }
    const QFileInfo fileInfo(path);
    const QString directory = QFileInfo(fileInfo.absolutePath()).canonicalFilePath();
    file.canonical = QDir::cleanPath((directory.isEmpty() ? fileInfo.absolutePath() : directory)
                                     + QLatin1Char('/') + fileInfo.fileName());
    return file;
}

bool RunFile::isSameAs(const RunFile &other) const
{
    if (exists != other.exists)
        return false;
    if (exists) {
        if (characterDevice || other.characterDevice)
            return false;
        return device == other.device && inode == other.inode;
    }
    return canonical == other.canonical;
}

QString sameFileError(const QList<RunFile> &files)
{
    for (qsizetype i = 0; i < files.size(); ++i) {
        for (qsizetype j = i + 1; j < files.size(); ++j) {
            if (files.at(i).isSameAs(files.at(j)))
                return QStringLiteral("%1 '%2' and %3 '%4' are the same file")
                        .arg(files.at(i).role, files.at(i).path, files.at(j).role,
                             files.at(j).path);
        }
    }
    return QString();
}

} // namespace TaskConductor
