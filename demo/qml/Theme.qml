// SPDX-License-Identifier: MIT
pragma Singleton
import QtQuick

QtObject {
    readonly property color background: "#f3f4f7"
    readonly property color headerBackground: "#1d2233"
    readonly property color headerMuted: "#9aa3b8"
    readonly property color text: "#1f2937"
    readonly property color muted: "#6b7280"
    readonly property color border: "#e2e5eb"
    readonly property color accent: "#4f46e5"
    readonly property color selection: "#eef0fe"
    readonly property color bannerBackground: "#fdecec"
    readonly property color outputBackground: "#161a26"
    readonly property color outputText: "#d7dce7"
    readonly property color outputStderr: "#ff8a80"
    readonly property color outputLineNumber: "#59627a"
    readonly property string monoFamily: "DejaVu Sans Mono"

    function stateColor(state) {
        switch (state) {
        case "pending": return "#8b93a5"
        case "blocked": return "#7c3aed"
        case "running": return "#2563eb"
        case "retrying": return "#d97706"
        case "finished": return "#16a34a"
        case "failed": return "#dc2626"
        case "timeout": return "#ea580c"
        case "canceled": return "#64748b"
        case "rejected": return "#9f1239"
        }
        return "#8b93a5"
    }
}
