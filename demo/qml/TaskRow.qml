// SPDX-License-Identifier: MIT
import QtQuick
import QtQuick.Controls.Basic
import QtQuick.Layouts

// One task in the list: state badge, name and command, priority and lane, attempt, duration,
// latest output line or what it waits for.
Rectangle {
    id: row
    required property int index
    required property var taskId
    required property string name
    required property var command
    required property string state
    required property int attempt
    required property int exitCode
    required property var durationMs
    required property string lastLine
    required property string errorString
    required property bool done
    required property var startedAt
    required property int priority
    required property string lane
    required property bool blocked
    required property var waitingFor
    required property var waitingForNames
    property bool selected: false
    // The queue is paused: a pending task waits for resume(), not for a slot.
    property bool paused: false
    // The time now, in ms since the epoch, ticking while tasks run (a running task's age).
    property double now: 0

    signal clicked()
    signal cancelRequested()
    signal thenRunRequested()

    objectName: "taskRow"
    implicitHeight: 64
    color: selected ? Theme.selection : (hover.hovered ? "#f8f9fb" : "white")

    // argv for people: the program's file name, then the arguments.
    function commandText() {
        if (!command || command.length === 0)
            return ""
        const program = String(command[0]).split("/").pop()
        return [program].concat(Array.prototype.slice.call(command, 1)).join(" ")
    }
    function waitingText() {
        const parts = []
        for (let i = 0; i < waitingFor.length; ++i)
            parts.push("#" + waitingFor[i] + " " + waitingForNames[i])
        return qsTr("waiting for %1 to finish").arg(parts.join(", "))
    }
    function durationText() {
        const ms = done ? durationMs : (startedAt > 0 && now > startedAt ? now - startedAt : -1)
        if (ms < 0 || state === "rejected")
            return ""
        return ms < 1000 ? ms + " ms" : (ms / 1000).toFixed(done ? 1 : 0) + " s"
    }

    HoverHandler { id: hover }
    TapHandler { onTapped: row.clicked() }

    Rectangle {
        anchors.left: parent.left
        width: 3
        height: parent.height
        color: row.selected ? Theme.accent : "transparent"
    }

    RowLayout {
        anchors.fill: parent
        anchors.leftMargin: 14
        anchors.rightMargin: 12
        spacing: 12

        Rectangle {
            objectName: "stateBadge"
            Layout.preferredWidth: 78
            Layout.preferredHeight: 24
            radius: 12
            color: Qt.lighter(Theme.stateColor(row.state), 1.0)
            opacity: 0.95
            Label {
                objectName: "stateLabel"
                anchors.centerIn: parent
                text: row.state
                color: "white"
                font.pixelSize: 12
                font.bold: true
            }
        }

        ColumnLayout {
            Layout.fillWidth: true
            spacing: 2
            RowLayout {
                spacing: 8
                Label {
                    objectName: "nameLabel"
                    text: "#" + row.taskId + "  " + row.name
                    color: Theme.text
                    font.bold: true
                    font.pixelSize: 14
                }
                Label {
                    objectName: "priorityLabel"
                    visible: row.priority !== 0
                    text: row.priority > 0 ? qsTr("▲ priority %1").arg(row.priority)
                                           : qsTr("▼ priority %1").arg(row.priority)
                    color: row.priority > 0 ? Theme.accent : Theme.muted
                    font.pixelSize: 12
                }
                Label {
                    visible: row.lane !== ""
                    text: qsTr("lane %1").arg(row.lane)
                    color: Theme.muted
                    font.pixelSize: 12
                }
                Label {
                    visible: row.attempt > 1
                    text: qsTr("attempt %1").arg(row.attempt)
                    color: Theme.stateColor("retrying")
                    font.pixelSize: 12
                }
                Label {
                    text: row.durationText()
                    color: Theme.muted
                    font.pixelSize: 12
                }
            }
            Label {
                Layout.fillWidth: true
                text: row.commandText()
                color: Theme.muted
                font.family: Theme.monoFamily
                font.pixelSize: 12
                elide: Text.ElideRight
            }
            Label {
                objectName: "detailLabel"
                Layout.fillWidth: true
                text: row.errorString !== "" ? row.errorString
                      : row.blocked ? row.waitingText()
                      : row.state === "pending" ? (row.paused ? qsTr("paused: starts on Resume")
                                                              : qsTr("waiting for a free slot"))
                      : row.lastLine
                color: row.errorString !== "" ? Theme.stateColor("failed")
                       : row.blocked ? Theme.stateColor("blocked")
                       : row.state === "pending" ? Theme.muted : "#4b5563"
                font.italic: row.state === "pending" || row.blocked
                font.family: Theme.monoFamily
                font.pixelSize: 12
                elide: Text.ElideRight
            }
        }

        OutlineButton {
            objectName: "thenRunButton"
            visible: !row.done
            text: qsTr("Then run…")
            onClicked: row.thenRunRequested()
            background: Rectangle {
                implicitWidth: 84
                implicitHeight: 30
                radius: 6
                color: parent.down ? Theme.selection : "white"
                border.color: Theme.border
            }
        }

        Button {
            objectName: "cancelButton"
            visible: !row.done
            text: qsTr("Cancel")
            onClicked: row.cancelRequested()
            contentItem: Label {
                text: parent.text
                color: Theme.stateColor("failed")
                horizontalAlignment: Text.AlignHCenter
                verticalAlignment: Text.AlignVCenter
            }
            background: Rectangle {
                implicitWidth: 72
                implicitHeight: 30
                radius: 6
                color: parent.down ? "#fde2e2" : "white"
                border.color: "#f3b4b4"
            }
        }
    }

    Rectangle {
        anchors.bottom: parent.bottom
        width: parent.width
        height: 1
        color: Theme.border
    }
}
