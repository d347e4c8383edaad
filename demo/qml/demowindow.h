// SPDX-License-Identifier: MIT
#pragma once

#include <QtCore/qglobal.h>

QT_BEGIN_NAMESPACE
class QQmlApplicationEngine;
class QQuickWindow;
QT_END_NAMESPACE

namespace TaskConductorDemo {

//! What the demo window starts with (the command line of TaskConductorQmlDemo).
struct DemoOptions
{
    int maxConcurrentTasks = 2;
    int maxQueueDepth = 8;
};

//! Loads the demo's main window into \a engine, as the demo app and its rendering test do.
//! `import TaskConductor` comes from <executable>/../<qml dir> (installed, or <build>/bin) or
//! from the engine's import paths.
//! Returns nullptr when it fails to load (the engine has printed why).
QQuickWindow *loadMainWindow(QQmlApplicationEngine &engine, const DemoOptions &options);

} // namespace TaskConductorDemo
