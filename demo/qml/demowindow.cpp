// SPDX-License-Identifier: MIT
#include "demowindow.h"

#include <QtCore/qcoreapplication.h>
#include <QtCore/qdir.h>
#include <QtQml/qqmlapplicationengine.h>
#include <QtQuick/qquickwindow.h>

namespace TaskConductorDemo {

QQuickWindow *loadMainWindow(QQmlApplicationEngine &engine, const DemoOptions &options)
{
    // Installed, and in the build tree (which mirrors the prefix), the TaskConductor module lies
    // at the same place relative to the executable; otherwise the usual import paths
    // (QML_IMPORT_PATH, the caller's addImportPath()) find it.
    const QString modules =
            QDir::cleanPath(QCoreApplication::applicationDirPath() + QLatin1Char('/')
                            + QStringLiteral(TC_QML_IMPORT_DIR_FROM_BIN));
    if (QFileInfo::exists(modules + QStringLiteral("/TaskConductor/qmldir")))
        engine.addImportPath(modules);
    engine.setInitialProperties({
            { QStringLiteral("maxConcurrentTasks"), options.maxConcurrentTasks },
            { QStringLiteral("maxQueueDepth"), options.maxQueueDepth },
    });
    engine.load(QUrl(QStringLiteral("qrc:/TaskConductorDemo/Main.qml")));
    const QList<QObject *> roots = engine.rootObjects();
    return roots.isEmpty() ? nullptr : qobject_cast<QQuickWindow *>(roots.first());
}

} // namespace TaskConductorDemo
