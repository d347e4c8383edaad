// SPDX-License-Identifier: MIT
import QtQuick
import QtTest
import TaskConductor

TestCase {
    id: testCase
    name: "Broker"
    when: windowShown

    property var broker: null
    readonly property int waitMs: 10000

    Component {
        id: brokerComponent
        Broker {
            defaultEnvironment: support.markerEnvironment()
            config.killGraceSeconds: 0.3
        }
    }
    Component {
        id: spyComponent
        SignalSpy { }
    }
    Component {
        id: outputComponent
        TaskOutputModel { }
    }
    // What a delegate sees: one item per row, with the roles a view binds to.
    Component {
        id: rowsComponent
        Repeater {
            delegate: Item {
                required property var taskId
                required property string name
                required property string state
                required property int attempt
                required property int exitCode
                required property string lastLine
                required property string errorString
                required property int priority
                required property string lane
                required property bool blocked
                required property var waitingFor
                required property var waitingForNames
                required property var metrics
            }
        }
    }

    Component {
        id: outputRowsComponent
        Repeater {
            delegate: Item {
                required property string line
                required property string channel
                required property var lineNumber
            }
        }
    }

    // A broker whose BrokerConfig has the fields of \a config on top of the component's.
    Component {
        id: configuredComponent
        Broker {
            defaultEnvironment: support.markerEnvironment()
            config.killGraceSeconds: 0.3
            config.maxQueueDepth: 7
            retry.count: 1
            retry.delaySeconds: 0.01
        }
    }

    function makeBroker(config) {
        broker = createTemporaryObject(brokerComponent, testCase)
        const c = broker.config // a value: change a copy, write it back
        for (const key in config || {})
            c[key] = config[key]
        broker.config = c
        return broker
    }
    function spy(target, signalName) {
        return createTemporaryObject(spyComponent, testCase,
                                     { target: target, signalName: signalName })
    }
    function rows(b) {
        return createTemporaryObject(rowsComponent, testCase, { model: b.tasks })
    }
    function helper(args) {
        return [support.helper].concat(args)
    }

    // After every test: nothing a broker of this test started is left running.
    function cleanup() {
        if (broker)
            broker.cancelAll()
        broker = null
        tryVerify(function () { return support.leftoverProcesses() === 0 }, waitMs,
                  "a process of this test is still running")
    }

    function test_enqueueRunsAndReportsEvents() {
        const b = makeBroker({ maxConcurrentTasks: 2 })
        const started = spy(b, "started")
        const out = spy(b, "stdoutLine")
        const finished = spy(b, "finished")
        const view = rows(b)
        compare(b.active, false, "the engine starts at the first enqueue")

        const id = b.enqueue(helper(["lines", "3"]), { name: "three lines" })
        verify(id > 0)
        compare(b.active, true)
        compare(b.acceptedCount, 1)
        finished.wait(waitMs)
        compare(finished.signalArguments[0][0], id)
        compare(finished.signalArguments[0][1], 0)
        compare(started.count, 1)
        compare(started.signalArguments[0][1], helper(["lines", "3"]))
        compare(out.count, 3)
        compare(out.signalArguments[2][1], "line 3")
        compare(b.finishedCount, 1)
        compare(b.doneCount, 1)
        tryCompare(b, "idle", true)

        compare(view.count, 1)
        const row = view.itemAt(0)
        compare(row.taskId, id)
        compare(row.name, "three lines")
        tryCompare(row, "state", "finished") // the model batches its updates
        compare(row.attempt, 1)
        compare(row.lastLine, "line 3")
    }

    function test_stringCommandIsSplitWithoutAShell() {
        const b = makeBroker()
        const out = spy(b, "stdoutLine")
        const finished = spy(b, "finished")
        b.enqueue('"' + support.helper + '" args "two words" $HOME')
        finished.wait(waitMs)
        compare(out.count, 2)
        compare(out.signalArguments[0][1], "<two words>")
        compare(out.signalArguments[1][1], "<$HOME>")
    }

    // Options are the one task vocabulary (the task file's names); QML's older names still work.
    function test_optionsUseTheTaskVocabulary() {
        const b = makeBroker()
        const out = spy(b, "stdoutLine")
        const started = spy(b, "started")
        const finished = spy(b, "finished")
        b.enqueue([support.helper, "env", "TC_QML_A", "TC_QML_B"],
                  { name: "v", cwd: "/", env: { TC_QML_A: "a", TC_QML_B: 2 }, timeout: 30 })
        finished.wait(waitMs)
        compare(started.signalArguments[0][2], "/")
        compare(out.signalArguments[0][1], "TC_QML_A=a")
        compare(out.signalArguments[1][1], "TC_QML_B=2")
        b.enqueue([support.helper, "env", "TC_QML_C"],
                  { workingDirectory: "/", environment: { TC_QML_C: "c" }, timeoutSeconds: 30 })
        finished.wait(waitMs)
        compare(out.signalArguments[2][1], "TC_QML_C=c")
    }

    function test_invalidInputIsRefusedWithAReason_data() {
        return [
            { tag: "number", command: 42, options: {}, reason: "must be a string or an array" },
            { tag: "empty array", command: [], options: {}, reason: "empty command" },
            { tag: "empty string", command: "", options: {}, reason: "empty command" },
            { tag: "array of numbers", command: [1, 2], options: {}, reason: "array of strings" },
            { tag: "unknown option", command: ["true"], options: { bogus: 1 },
              reason: "unknown field \"bogus\"" },
            { tag: "wrong type", command: ["true"], options: { timeoutSeconds: "soon" },
              reason: "\"timeoutSeconds\" must be" },
            { tag: "bad retry", command: ["true"], options: { retry: { count: "x" } },
              reason: "\"retry\".\"count\"" },
            // The one task vocabulary: the task file's names, and QML's older ones, not both.
            { tag: "two spellings", command: ["true"], options: { cwd: "/", workingDirectory: "/" },
              reason: "are the same field" },
        ]
    }
    function test_invalidInputIsRefusedWithAReason(data) {
        const b = makeBroker()
        const rejected = spy(b, "rejected")
        compare(b.enqueue(data.command, data.options), 0)
        compare(rejected.count, 1, "refused before enqueue() returns")
        compare(rejected.signalArguments[0][0], 0)
        verify(rejected.signalArguments[0][1].indexOf(data.reason) >= 0,
               rejected.signalArguments[0][1])
        verify(b.lastError.indexOf(data.reason) >= 0)
        compare(b.rejectedCount, 1)
        compare(b.acceptedCount, 0)
        compare(b.tasks.count, 0, "a refused input gets no row")
    }

    function test_queueFullIsVisible() {
        const b = makeBroker({ maxConcurrentTasks: 1, maxQueueDepth: 1 })
        const rejected = spy(b, "rejected")
        const canceled = spy(b, "canceled")
        const view = rows(b)
        const running = b.enqueue(helper(["hang"]))
        const waiting = b.enqueue(helper(["hang"]))
        compare(b.runningCount, 1)
        compare(b.pendingCount, 1)
        const refused = b.enqueue(helper(["hang"]), { name: "one too many" })
        verify(refused > waiting)
        compare(rejected.count, 1)
        compare(rejected.signalArguments[0][0], refused)
        verify(b.lastError.indexOf("queue full") === 0, b.lastError)
        compare(b.rejectedCount, 1)
        compare(b.acceptedCount, 2)
        compare(view.count, 3)
        tryCompare(view.itemAt(2), "state", "rejected")
        compare(view.itemAt(2).name, "one too many")
        verify(view.itemAt(2).errorString.indexOf("queue full") === 0)

        b.cancelAll()
        tryCompare(canceled, "count", 2, waitMs)
        compare(b.canceledCount, 2)
        tryCompare(view.itemAt(0), "state", "canceled")
        tryCompare(view.itemAt(1), "state", "canceled")
    }

    function test_cancelRunningTask() {
        const b = makeBroker()
        const out = spy(b, "stdoutLine")
        const canceled = spy(b, "canceled")
        const notices = spy(b, "internalError")
        const id = b.enqueue(helper(["hang"]))
        out.wait(waitMs) // "ready": the process runs
        verify(b.cancel(id))
        canceled.wait(waitMs)
        compare(canceled.signalArguments[0][0], id)
        verify(!b.cancel(id), "a task that ended cannot be canceled")
        compare(notices.count, 1)
        compare(notices.signalArguments[0][0], id)
        verify(!b.cancel(123456), "unknown id")
        compare(notices.count, 2)
    }

    // Issue 15: the controls through enqueue's options, live stdin, metrics and statistics.
    function test_controlsStdinAndMetrics() {
        const b = makeBroker()
        const finished = spy(b, "finished")
        const timedOut = spy(b, "timedOut")
        const lines = spy(b, "stdoutLine")
        const started = spy(b, "started")
        const view = rows(b)
        const id = b.enqueue(helper(["cat"]), { stdinOpen: true, name: "live" })
        started.wait(waitMs)
        compare(b.writeStdin(id, "hello\n"), "written")
        lines.wait(waitMs)
        compare(lines.signalArguments[0][1], "hello")
        verify(b.closeStdin(id))
        finished.wait(waitMs)
        compare(b.writeStdin(id, "late"), "notOpen")
        const three = b.enqueue(helper(["exit", "3"]), { successExitCodes: [0, 3] })
        const idle = b.enqueue(helper(["hang"]), { idleTimeout: 0.2, stopSignal: "INT" })
        tryCompare(finished, "count", 2, waitMs)
        compare(finished.signalArguments[1][1], 3)
        timedOut.wait(waitMs)
        compare(timedOut.signalArguments[0][0], idle)
        tryCompare(view.itemAt(0), "state", "finished")
        compare(view.itemAt(0).metrics.stdoutBytes, 6) // "hello\n"
        compare(view.itemAt(0).metrics.stdoutLines, 1)
        verify(view.itemAt(0).metrics.cpuMs >= 0)
        const stats = b.statistics()
        compare(stats.ended, 3)
        compare(stats.finished, 2)
        compare(stats.timedOut, 1)
        compare(stats.sampleCount, 3)
    }

    function test_retryThenFail() {
        const b = makeBroker()
        const retrying = spy(b, "retrying")
        const failed = spy(b, "failed")
        const view = rows(b)
        const id = b.enqueue(helper(["exit", "3"]), { retry: { count: 1, delaySeconds: 0.01 } })
        failed.wait(waitMs)
        compare(retrying.count, 1)
        compare(retrying.signalArguments[0][1], 1)
        compare(failed.signalArguments[0][0], id)
        compare(failed.signalArguments[0][1], 3)
        compare(b.failedCount, 1)
        tryCompare(view.itemAt(0), "state", "failed")
        compare(view.itemAt(0).attempt, 2)
        compare(view.itemAt(0).exitCode, 3)
        compare(view.itemAt(0).errorString, "exited with code 3")
    }

    // BrokerConfig and RetryPolicy are QML value types: every gadget property, with the C++
    // defaults, settable field by field, nested too, and what the engine runs with.
    function test_configIsTheBrokerConfigValue() {
        const b = createTemporaryObject(configuredComponent, testCase)
        broker = b
        compare(b.config.maxConcurrentTasks, 4, "BrokerConfig's default")
        compare(b.config.maxLineBytes, 1024 * 1024)
        compare(b.config.maxQueueDepth, 7)
        compare(b.config.killGraceSeconds, 0.3)
        compare(b.retry.count, 1)
        compare(b.config.retry.count, 1, "retry is the config's")
        compare(b.config.retry.delaySeconds, 0.01)
        compare(b.retry.backoffMultiplier, 1, "RetryPolicy's default")
        compare(b.retry.retryOnTimeout, false)

        const changed = spy(b, "configChanged")
        b.config.maxQueueDepth = 7
        compare(changed.count, 0, "writing the same value changes nothing")
        b.config.maxQueueDepth = 9
        compare(changed.count, 1)
        compare(b.config.maxQueueDepth, 9)

        // The retry policy reaches the engine: one retry, then the end.
        const retrying = spy(b, "retrying")
        const failed = spy(b, "failed")
        b.enqueue(helper(["exit", "3"]))
        failed.wait(waitMs)
        compare(retrying.count, 1)
        compare(failed.signalArguments[0][1], 3)
    }

    function test_timeout() {
        const b = makeBroker()
        const timedOut = spy(b, "timedOut")
        const view = rows(b)
        b.enqueue(helper(["hang"]), { timeoutSeconds: 0.2 })
        timedOut.wait(waitMs)
        compare(b.failedCount, 1, "a timeout counts as failed")
        tryCompare(view.itemAt(0), "state", "timeout")
    }

    function test_configIsReadAtFirstEnqueueAndAtReset() {
        const b = makeBroker({ maxConcurrentTasks: 1 })
        b.enqueue(helper(["hang"]))
        b.enqueue(helper(["hang"]))
        compare(b.runningCount, 1)
        compare(b.pendingCount, 1)

        b.config.maxConcurrentTasks = 3 // waits for reset()
        b.enqueue(helper(["hang"]))
        compare(b.runningCount, 1)
        compare(b.pendingCount, 2)

        b.reset()
        compare(b.active, false)
        compare(b.tasks.count, 0)
        compare(b.runningCount, 0)
        compare(b.acceptedCount, 0)
        for (let i = 0; i < 3; ++i)
            b.enqueue(helper(["hang"]))
        compare(b.runningCount, 3)
        compare(b.pendingCount, 0)
    }

    function test_destroyedWhileTasksRun() {
        const b = makeBroker()
        const out = spy(b, "stdoutLine")
        const output = createTemporaryObject(outputComponent, testCase, { source: b.tasks })
        output.taskId = b.enqueue(helper(["hang"]))
        b.enqueue(helper(["hang"]))
        tryCompare(out, "count", 2, waitMs)
        broker = null
        b.destroy() // stops both process groups; cleanup() checks that nothing is left
        tryCompare(output, "source", null, waitMs) // destroy() is deferred
        compare(output.count, 0)
    }

    function test_outputModelFollowsATask() {
        const b = makeBroker()
        b.tasks.outputLineLimit = 3
        const finished = spy(b, "finished")
        const id = b.enqueue(helper(["lines", "5"]))
        const output = createTemporaryObject(outputComponent, testCase,
                                             { source: b.tasks, taskId: id })
        finished.wait(waitMs)
        tryCompare(output, "count", 3)
        const view = createTemporaryObject(outputRowsComponent, testCase, { model: output })
        compare(view.count, 3)
        compare(view.itemAt(2).line, "line 5")
        compare(view.itemAt(2).channel, "stdout")
        compare(view.itemAt(0).lineNumber, 3, "line numbers count every line")
        output.taskId = 0
        compare(output.count, 0)
        compare(view.count, 0)
    }

    // Issue 14: priority, lane and "after" as enqueue options; pause, resume, the paused state
    // before the engine exists; the blocked rows and what they wait for.
    function test_pausedQueueWithPrioritiesAndDependencies() {
        const b = makeBroker({ maxConcurrentTasks: 1 })
        const paused = spy(b, "pausedChanged")
        const started = spy(b, "started")
        const finished = spy(b, "finished")
        const canceled = spy(b, "canceled")
        const view = rows(b)
        b.pause() // before the first enqueue: the engine starts paused
        compare(b.paused, true)
        compare(paused.count, 1)

        const low = b.enqueue(helper(["lines", "1"]), { name: "low" })
        const high = b.enqueue(helper(["lines", "1"]), { name: "high", priority: 5, lane: "net" })
        const then = b.enqueue(helper(["lines", "1"]), { name: "then", after: [high] })
        const bad = b.enqueue(helper(["exit", "3"]), { name: "bad", priority: 9 })
        const never = b.enqueue(helper(["lines", "1"]), { name: "never", after: [bad, low] })
        compare(b.acceptedCount, 5)
        compare(b.runningCount, 0, "paused: nothing starts")
        compare(b.pendingCount, 3)
        compare(b.blockedCount, 2)
        tryCompare(view.itemAt(1), "priority", 5)
        compare(view.itemAt(1).lane, "net")
        compare(view.itemAt(2).state, "blocked")
        compare(view.itemAt(2).blocked, true)
        compare(view.itemAt(2).waitingFor, [high])
        compare(view.itemAt(2).waitingForNames, ["high"])
        compare(view.itemAt(4).waitingForNames, ["bad", "low"])

        b.resume()
        compare(b.paused, false)
        compare(paused.count, 2)
        tryCompare(b, "idle", true, waitMs)
        // Cap 1: by priority (bad 9, high 5, then 0 for the rest in id order: "low" before
        // "then", which high released); "never" is canceled as "bad" failed.
        const order = []
        for (let i = 0; i < started.count; ++i)
            order.push(started.signalArguments[i][0])
        compare(order, [bad, high, low, then])
        // started carries the priority and lane, as the rows' roles do.
        compare(started.signalArguments[1][3], 5)
        compare(started.signalArguments[1][4], "net")
        compare(started.signalArguments[2][3], 0)
        compare(started.signalArguments[2][4], "")
        compare(canceled.count, 1)
        compare(canceled.signalArguments[0][0], never)
        tryCompare(view.itemAt(4), "state", "canceled")
        verify(view.itemAt(4).errorString.indexOf("dependency " + bad + " did not finish") === 0,
               view.itemAt(4).errorString)
        tryCompare(view.itemAt(2), "state", "finished") // the model batches its updates
        compare(view.itemAt(2).blocked, false)
    }

    function test_drainAndLanes() {
        const b = makeBroker({ maxConcurrentTasks: 2 })
        b.laneLimits = { net: 1 }
        compare(b.laneLimits.net, 1)
        const drained = spy(b, "drained")
        const out = spy(b, "stdoutLine")
        b.pauseLane("net")
        verify(b.isLanePaused("net"))
        const netTask = b.enqueue(helper(["lines", "1"]), { lane: "net" })
        const running = b.enqueue(helper(["hang"]))
        out.wait(waitMs) // "ready": the hang runs; the paused lane's task does not
        compare(b.runningCount, 1)
        compare(b.pendingCount, 1)
        b.drain()
        compare(b.paused, true)
        compare(drained.count, 0, "a task still runs")
        b.cancel(running)
        drained.wait(waitMs)
        compare(b.pendingCount, 1, "drained leaves the queue paused")
        b.resumeLane("net")
        verify(!b.isLanePaused("net"))
        compare(b.runningCount, 0, "still paused as a whole")
        b.resume()
        tryCompare(b, "idle", true, waitMs)
        compare(b.finishedCount, 1)

        // Without an engine, drain() has nothing to wait for.
        b.reset()
        const drainedAgain = spy(b, "drained")
        b.drain()
        compare(drainedAgain.count, 1)
        compare(b.paused, true, "the pause outlives reset() and holds the next engine")
        b.enqueue(helper(["lines", "1"]))
        compare(b.runningCount, 0)
        b.resume()
        tryCompare(b, "idle", true, waitMs)
    }
}
