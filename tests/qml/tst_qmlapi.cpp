// SPDX-License-Identifier: MIT
// Qt Quick Test runner for the QML API (tst_*.qml in this directory).
#include "qmltestsupport.h"

#include <QtQuickTest/quicktest.h>

class Setup : public QObject
{
    Q_OBJECT

public Q_SLOTS:
    void qmlEngineAvailable(QQmlEngine *engine)
    {
        engine->addImportPath(QStringLiteral(TC_QML_IMPORT_DIR));
        engine->rootContext()->setContextProperty(
                QStringLiteral("support"),
                new QmlTestSupport(QStringLiteral("tst_qmlapi"), engine));
    }
};

QUICK_TEST_MAIN_WITH_SETUP(tst_qmlapi, Setup)

#include "tst_qmlapi.moc"
