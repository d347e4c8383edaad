// SPDX-License-Identifier: MIT
import QtQuick
import QtQuick.Controls.Basic

// A quiet secondary button: white, outlined, dimmed when disabled.
Button {
    id: button
    opacity: enabled ? 1 : 0.5
    contentItem: Label {
        text: button.text
        color: Theme.text
        horizontalAlignment: Text.AlignHCenter
        verticalAlignment: Text.AlignVCenter
    }
    background: Rectangle {
        implicitWidth: 104
        implicitHeight: 40
        radius: 6
        color: button.down ? Theme.selection : "white"
        border.color: Theme.border
    }
}
