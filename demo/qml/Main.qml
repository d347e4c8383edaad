// SPDX-License-Identifier: MIT
// The TaskConductor QML demo: add commands, watch them run, read their output, cancel them;
// pause the queue, choose a priority, and chain a command after another ("Then run").
import QtQuick
import QtQuick.Controls.Basic
import QtQuick.Layouts
import TaskConductor

ApplicationWindow {
    id: window
    width: 1180
    height: 760
    visible: true
    title: qsTr("TaskConductor")
    color: Theme.background

    // Set by main.cpp from the command line (and by the tests).
    property int maxConcurrentTasks: 2
    property int maxQueueDepth: 8
    // The task shown in the output pane; 0 for none.
    property var selectedTaskId: 0
    // "Then run": the task the next command waits for; 0 for none.
    property var afterTaskId: 0

    Broker {
        id: broker
        objectName: "broker"
        config.maxConcurrentTasks: window.maxConcurrentTasks
        config.maxQueueDepth: window.maxQueueDepth
        config.killGraceSeconds: 2
        onRejected: (id, message) => banner.show(message)
    }

    // A running task shows its age; one tick a second is enough for that.
    property double now: Date.now()
    Timer {
        interval: 1000
        repeat: true
        running: !broker.idle
        onTriggered: window.now = Date.now()
    }

    // "Clear done" may remove the task the output pane shows.
    Connections {
        target: broker.tasks
        function onTaskRemoved(id) {
            if (id === window.selectedTaskId)
                window.selectedTaskId = 0
            if (id === window.afterTaskId)
                window.afterTaskId = 0
        }
    }

    // Whether the command was accepted; a refused one stays in the field for another try.
    function addCommand(text) {
        const trimmed = text.trim()
        if (trimmed.length === 0)
            return false
        const options = { priority: priorityChoice.currentValue }
        if (afterTaskId !== 0)
            options.after = [afterTaskId]
        const refusedBefore = broker.rejectedCount
        const id = broker.enqueue(trimmed, options)
        if (broker.rejectedCount !== refusedBefore)
            return false
        afterTaskId = 0
        if (selectedTaskId === 0)
            selectedTaskId = id
        return true
    }
    function taskName(id) {
        const row = broker.tasks.rowOf(id)
        return row < 0 ? "" : broker.tasks.data(broker.tasks.index(row, 0), Qt.DisplayRole)
    }

    header: Rectangle {
        objectName: "header"
        implicitHeight: 76
        color: Theme.headerBackground

        RowLayout {
            anchors.fill: parent
            anchors.leftMargin: 24
            anchors.rightMargin: 24
            spacing: 12

            ColumnLayout {
                spacing: 2
                Label {
                    text: "TaskConductor"
                    color: "white"
                    font.pixelSize: 20
                    font.bold: true
                }
                Label {
                    objectName: "subtitle"
                    text: qsTr("%1 at once · queue of %2").arg(broker.config.maxConcurrentTasks)
                                                            .arg(broker.config.maxQueueDepth)
                          + (broker.paused ? qsTr(" · paused: nothing new starts") : "")
                    color: broker.paused ? "#fbbf24" : Theme.headerMuted
                    font.pixelSize: 12
                }
            }
            Item { Layout.fillWidth: true }
            CountChip { objectName: "runningChip"; label: qsTr("Running"); value: broker.runningCount; accent: Theme.stateColor("running") }
            CountChip { objectName: "pendingChip"; label: qsTr("Pending"); value: broker.pendingCount + broker.retryWaitingCount; accent: Theme.stateColor("pending") }
            CountChip { objectName: "blockedChip"; label: qsTr("Blocked"); value: broker.blockedCount; accent: Theme.stateColor("blocked") }
            CountChip { objectName: "finishedChip"; label: qsTr("Finished"); value: broker.finishedCount; accent: Theme.stateColor("finished") }
            CountChip { objectName: "failedChip"; label: qsTr("Failed"); value: broker.failedCount; accent: Theme.stateColor("failed") }
        }
    }

    ColumnLayout {
        anchors.fill: parent
        anchors.margins: 16
        spacing: 12

        // The command bar.
        RowLayout {
            Layout.fillWidth: true
            spacing: 8
            TextField {
                id: commandField
                objectName: "commandField"
                Layout.fillWidth: true
                focus: true
                placeholderText: window.afterTaskId !== 0
                                 ? qsTr("A command to run once #%1 finished").arg(window.afterTaskId)
                                 : qsTr("A command to run, e.g.  ping -c 3 localhost   (argv, no shell)")
                font.family: Theme.monoFamily
                font.pixelSize: 14
                leftPadding: 12
                background: Rectangle {
                    implicitHeight: 40
                    radius: 6
                    color: "white"
                    border.color: commandField.activeFocus ? Theme.accent : Theme.border
                    border.width: commandField.activeFocus ? 2 : 1
                }
                onAccepted: {
                    if (window.addCommand(text))
                        clear()
                }
            }
            ComboBox {
                id: priorityChoice
                objectName: "priorityChoice"
                textRole: "text"
                valueRole: "value"
                implicitHeight: 40
                implicitWidth: 150
                model: [
                    { text: qsTr("Normal priority"), value: 0 },
                    { text: qsTr("High priority"), value: 5 },
                    { text: qsTr("Low priority"), value: -5 },
                ]
            }
            Button {
                objectName: "addButton"
                text: qsTr("Add task")
                highlighted: true
                onClicked: {
                    if (window.addCommand(commandField.text))
                        commandField.clear()
                }
                contentItem: Label {
                    text: parent.text
                    color: "white"
                    font.bold: true
                    horizontalAlignment: Text.AlignHCenter
                    verticalAlignment: Text.AlignVCenter
                }
                background: Rectangle {
                    implicitWidth: 110
                    implicitHeight: 40
                    radius: 6
                    color: parent.down ? Qt.darker(Theme.accent, 1.2) : Theme.accent
                }
            }
            OutlineButton {
                objectName: "pauseButton"
                text: broker.paused ? qsTr("Resume") : qsTr("Pause")
                onClicked: broker.paused ? broker.resume() : broker.pause()
            }
            OutlineButton {
                text: qsTr("Cancel all")
                enabled: !broker.idle
                onClicked: broker.cancelAll()
            }
            OutlineButton {
                objectName: "clearDoneButton"
                text: qsTr("Clear done")
                enabled: broker.doneCount + broker.rejectedCount > 0
                onClicked: broker.tasks.removeDone()
            }
        }

        // "Queue full" and other refusals: visible until dismissed or a few seconds passed.
        Rectangle {
            id: banner
            objectName: "banner"
            property string message
            function show(text) {
                message = text
                visible = true
                hideTimer.restart()
            }
            visible: false
            Layout.fillWidth: true
            implicitHeight: 40
            radius: 6
            color: Theme.bannerBackground
            border.color: Theme.stateColor("failed")
            RowLayout {
                anchors.fill: parent
                anchors.leftMargin: 12
                anchors.rightMargin: 4
                Label {
                    objectName: "bannerText"
                    Layout.fillWidth: true
                    text: "⚠  " + (banner.message.startsWith("queue full: ")
                                   ? qsTr("Queue full — the task was not added  ·  %1")
                                             .arg(banner.message.substring(12))
                                   : banner.message)
                    color: Theme.stateColor("failed")
                    font.bold: true
                    elide: Text.ElideRight
                }
                ToolButton {
                    text: "✕"
                    onClicked: banner.visible = false
                    background: null
                }
            }
            Timer {
                id: hideTimer
                interval: 6000
                onTriggered: banner.visible = false
            }
        }

        // "Then run": the next command waits for this task.
        Rectangle {
            objectName: "thenRunBar"
            visible: window.afterTaskId !== 0
            Layout.fillWidth: true
            implicitHeight: 36
            radius: 6
            color: "#f3efff"
            border.color: Theme.stateColor("blocked")
            RowLayout {
                anchors.fill: parent
                anchors.leftMargin: 12
                anchors.rightMargin: 4
                Label {
                    objectName: "thenRunText"
                    Layout.fillWidth: true
                    text: qsTr("The next command runs once #%1 %2 finished")
                              .arg(window.afterTaskId).arg(window.taskName(window.afterTaskId))
                    color: Theme.stateColor("blocked")
                    elide: Text.ElideRight
                }
                ToolButton {
                    text: "✕"
                    onClicked: window.afterTaskId = 0
                    background: null
                }
            }
        }

        // Progress of the whole queue.
        RowLayout {
            Layout.fillWidth: true
            spacing: 12
            ProgressBar {
                id: progress
                objectName: "progress"
                Layout.fillWidth: true
                from: 0
                to: Math.max(1, broker.acceptedCount)
                value: broker.doneCount
                background: Rectangle {
                    implicitHeight: 8
                    radius: 4
                    color: Theme.border
                }
                contentItem: Item {
                    implicitHeight: 8
                    Rectangle {
                        width: progress.visualPosition * parent.width
                        height: parent.height
                        radius: 4
                        color: Theme.accent
                    }
                }
            }
            Label {
                objectName: "progressLabel"
                text: qsTr("%1 of %2 done").arg(broker.doneCount).arg(broker.acceptedCount)
                      + (broker.failedCount > 0 ? qsTr("  ·  %1 failed").arg(broker.failedCount) : "")
                color: Theme.muted
            }
        }

        SplitView {
            Layout.fillWidth: true
            Layout.fillHeight: true
            orientation: Qt.Horizontal

            // The task list.
            Rectangle {
                SplitView.preferredWidth: window.width * 0.52
                SplitView.minimumWidth: 360
                color: "white"
                radius: 8
                border.color: Theme.border

                ListView {
                    id: taskList
                    objectName: "taskList"
                    anchors.fill: parent
                    anchors.margins: 1
                    clip: true
                    model: broker.tasks
                    spacing: 0
                    delegate: TaskRow {
                        width: taskList.width
                        selected: taskId === window.selectedTaskId
                        now: window.now
                        paused: broker.paused
                        onClicked: window.selectedTaskId = taskId
                        onCancelRequested: broker.cancel(taskId)
                        onThenRunRequested: {
                            window.afterTaskId = taskId
                            commandField.forceActiveFocus()
                        }
                    }
                    ScrollBar.vertical: ScrollBar { }

                    Label {
                        anchors.centerIn: parent
                        visible: taskList.count === 0
                        text: qsTr("No tasks yet. Type a command above and press Enter.")
                        color: Theme.muted
                    }
                }
            }

            OutputPane {
                SplitView.fillWidth: true
                SplitView.minimumWidth: 300
                tasks: broker.tasks
                taskId: window.selectedTaskId
            }
        }
    }
}
