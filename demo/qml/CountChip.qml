// SPDX-License-Identifier: MIT
import QtQuick
import QtQuick.Controls.Basic
import QtQuick.Layouts

// One count in the header: a coloured dot, the number, and what it counts.
Rectangle {
    id: chip
    property string label
    property int value
    property color accent

    implicitWidth: row.implicitWidth + 28
    implicitHeight: 44
    radius: 8
    color: Qt.rgba(1, 1, 1, 0.06)
    border.color: Qt.rgba(1, 1, 1, 0.10)

    RowLayout {
        id: row
        anchors.centerIn: parent
        spacing: 8
        Rectangle {
            width: 10
            height: 10
            radius: 5
            color: chip.accent
        }
        Label {
            objectName: "value"
            text: chip.value
            color: "white"
            font.pixelSize: 20
            font.bold: true
        }
        Label {
            text: chip.label
            color: "#c4cad8"
            font.pixelSize: 13
        }
    }
}
