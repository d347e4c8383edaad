// SPDX-License-Identifier: MIT
// A QML application that uses an installed TaskConductor: `import TaskConductor` is found through
// QML_IMPORT_PATH alone; the program links QtQml only.
#include <QtCore/qcoreapplication.h>
#include <QtCore/qtimer.h>
#include <QtQml/qqmlcomponent.h>
#include <QtQml/qqmlengine.h>

#include "../loadedlibraries.h"

#include <cstdio>
#include <memory>

static const char document[] = R"(
import QtQml
import TaskConductor

Broker {
    property string outcome: "none"
    property string output
    onStdoutLine: (id, line) => output = line
    onFinished: (id, exitCode) => { outcome = "finished"; Qt.quit() }
    onFailed: (id, exitCode, ms, message) => { outcome = "failed: " + message; Qt.quit() }
    onRejected: (id, message) => { outcome = "rejected: " + message; Qt.quit() }
    Component.onCompleted: enqueue(["/bin/echo", "hello from QML"], { name: "greeting" })
}
)";

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QQmlEngine engine;
    QObject::connect(&engine, &QQmlEngine::quit, &app, &QCoreApplication::quit);
    QQmlComponent component(&engine);
    component.setData(document, QUrl(QStringLiteral("consumer.qml")));
    std::unique_ptr<QObject> broker(component.create());
    if (!broker) {
        std::printf("consumer: cannot load: %s\n", qPrintable(component.errorString()));
        return 1;
    }
    QTimer::singleShot(30000, &app, [] { QCoreApplication::exit(2); });
    const int rc = app.exec();
    printLoadedLibraries();
    const QString outcome = broker->property("outcome").toString();
    const QString output = broker->property("output").toString();
    std::printf("consumer: %s, output \"%s\"\n", qPrintable(outcome), qPrintable(output));
    return rc == 0 && outcome == QLatin1String("finished")
                    && output == QLatin1String("hello from QML")
            ? 0
            : 1;
}
