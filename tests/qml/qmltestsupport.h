// SPDX-License-Identifier: MIT
// What the QML tests need from C++: the helper program and the leftover-process check.
#pragma once

#include "../testsupport.h"

#include <QtCore/qcoreapplication.h>
#include <QtCore/qobject.h>
#include <QtQml/qqmlcontext.h>
#include <QtQml/qqmlengine.h>

class QmlTestSupport : public QObject
{
    Q_OBJECT
    Q_PROPERTY(QString helper READ helper CONSTANT)
    Q_PROPERTY(QString markerName READ markerName CONSTANT)
    Q_PROPERTY(QString markerValue READ markerValue CONSTANT)

public:
    explicit QmlTestSupport(const QString &testName, QObject *parent = nullptr)
        : QObject(parent)
        , m_value(testName + QLatin1Char('-') + QString::number(QCoreApplication::applicationPid()))
    { }

    QString helper() const { return TestSupport::helper(); }
    QString markerName() const { return QStringLiteral("TC_TEST_MARKER"); }
    QString markerValue() const { return m_value; }
    //! The broker's defaultEnvironment that tags every child, for leftoverProcesses().
    Q_INVOKABLE QVariantMap markerEnvironment() const { return { { markerName(), m_value } }; }
    //! Processes still alive that a broker of this test started (grandchildren included).
    Q_INVOKABLE int leftoverProcesses() const
    {
        return int(TestSupport::processesWithMarker(
                           (markerName() + QLatin1Char('=') + m_value).toLocal8Bit())
                           .size());
    }

private:
    QString m_value;
};
