// SPDX-License-Identifier: MIT
// For the install consumers: prints the TaskConductor files this process has mapped, one
// "loaded: <path>" line each, so that run.cmake can check they all come from the prefix.
#pragma once

#include <QtCore/qfile.h>
#include <QtCore/qstringlist.h>

#include <cstdio>

inline void printLoadedLibraries()
{
    QFile maps(QStringLiteral("/proc/self/maps"));
    if (!maps.open(QIODevice::ReadOnly))
        return;
    QStringList seen;
    for (const QByteArray &line : maps.readAll().split('\n')) {
        const int slash = line.indexOf('/');
        if (slash < 0 || !line.contains("TaskConductor"))
            continue;
        const QString path = QString::fromLocal8Bit(line.mid(slash));
        if (!seen.contains(path)) {
            seen.append(path);
            std::printf("loaded: %s\n", qPrintable(path));
        }
    }
}
