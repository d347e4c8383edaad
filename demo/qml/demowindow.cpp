// SPDX-License-Identifier: MIT
#include "demowindow.h"

#include <QtCore/qdir.h>
#include <QtQml/qqmlapplicationengine.h>
#include <QtQuick/qquickwindow.h>

namespace TaskConductorDemo {

QQuickWindow *loadMainWindow(QQmlApplicationEngine &engine, const DemoOptions &options)
{
    // From the build tree, the TaskConductor module is found here; an installed one is found
    // through the usual import paths.
    const QString buildTreeModules = QStringLiteral(TC_QML_IMPORT_DIR);
    if (QDir(buildTreeModules).exists())
        engine.addImportPath(buildTreeModules);
    engine.setInitialProperties({
            { QStringLiteral("maxConcurrentTasks"), options.maxConcurrentTasks },
            { QStringLiteral("maxQueueDepth"), options.maxQueueDepth },
    });
    engine.load(QUrl(QStringLiteral("qrc:/TaskConductorDemo/Main.qml")));
    const QList<QObject *> roots = engine.rootObjects();
    return roots.isEmpty() ? nullptr : qobject_cast<QQuickWindow *>(roots.first());
}

} // namespace TaskConductorDemo
