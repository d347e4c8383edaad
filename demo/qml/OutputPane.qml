// SPDX-License-Identifier: MIT
import QtQuick
import QtQuick.Controls.Basic
import QtQuick.Layouts
import TaskConductor

// The live output of one task, following the end unless the user scrolls up.
Rectangle {
    id: pane
    property TaskListModel tasks
    property var taskId: 0

    color: Theme.outputBackground
    radius: 8

    TaskOutputModel {
        id: output
        source: pane.tasks
        taskId: pane.taskId
    }

    ColumnLayout {
        anchors.fill: parent
        anchors.margins: 12
        spacing: 8

        RowLayout {
            Layout.fillWidth: true
            Label {
                objectName: "outputTitle"
                Layout.fillWidth: true
                text: pane.taskId ? qsTr("Output of task #%1").arg(pane.taskId)
                                  : qsTr("Output")
                color: "white"
                font.bold: true
            }
            Label {
                text: qsTr("%1 lines shown").arg(output.count)
                color: Theme.outputLineNumber
                font.pixelSize: 12
            }
        }

        ListView {
            id: lines
            objectName: "outputList"
            Layout.fillWidth: true
            Layout.fillHeight: true
            clip: true
            model: output
            property bool follow: true
            onCountChanged: if (follow) positionViewAtEnd()
            onMovementEnded: follow = atYEnd
            ScrollBar.vertical: ScrollBar { }
            delegate: Row {
                required property string line
                required property string channel
                required property var lineNumber
                spacing: 10
                Text {
                    width: 48
                    horizontalAlignment: Text.AlignRight
                    text: lineNumber
                    color: Theme.outputLineNumber
                    font.family: Theme.monoFamily
                    font.pixelSize: 12
                }
                Text {
                    width: lines.width - 60
                    text: line
                    color: channel === "stderr" ? Theme.outputStderr : Theme.outputText
                    font.family: Theme.monoFamily
                    font.pixelSize: 12
                    elide: Text.ElideRight
                }
            }

            Label {
                anchors.centerIn: parent
                visible: lines.count === 0
                text: pane.taskId ? qsTr("No output yet.") : qsTr("Select a task to see its output.")
                color: Theme.outputLineNumber
            }
        }
    }
}
