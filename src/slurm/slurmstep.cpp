// SPDX-License-Identifier: MIT
#include "slurmstep.h"
#include "slurmallocation.h"
#include "slurmclient.h"
#include "slurmstepscript.h"

#include <QtCore/qregularexpression.h>

#include <csignal>
#include <cstring>

namespace TaskConductor {

/*!
    \class TaskConductor::SlurmStep
    \internal
    `srun --jobid=J -n1 -Q --input=all (--overlap | --exact) -- /bin/sh -c STEP_SCRIPT ...`.

    Standard input: srun's is a pipe that stays open and silent until srun exits, and the script
    gives the task /dev/null, as LocalExecutor does. Not `--input=none` or an empty stdin: srun
    then sends an end-of-input message over the step's I/O connection, slurmstepd may not have
    read it when it closes that connection at the step's end, and a TCP close with unread data
    resets the connection. The output srun had not received yet was lost with it: under CPU
    load, tens of KiB at the end of a step's output ("srun: error: _server_read: ... unexpected
    eof reading message body", which the stderr filter takes for srun's).

    The step script (slurmstepscript.h) runs on the compute node, where the task will run, and
    closes Slurm's gaps there: Slurm silently runs a task whose working directory is missing in
    /tmp, and reports a missing or non-executable program only as exit code 2 or 13 with a line
    on stderr. A failure becomes one record on stdout, which becomes the same start failure
    LocalExecutor reports. Otherwise the script announces the step id, which scancel needs and
    which is stripped from the output, and execs the task: the step's process is the task's.
    That record is also the `started` event: a step waiting for a CPU (--exact) has not started,
    so its task's timeout does not run yet.

    Stopping a running step: `scancel --signal=TERM J.S`, and for kill() `--signal=KILL`; the
    Broker's grace timer sits in between. Signals to srun are not used then: srun ignores one
    SIGINT, and SIGTERM to srun kills the task at once with no grace. Before the step runs,
    that is exactly what is wanted: SIGTERM to srun ends a step that waits for a CPU, or that
    has not reported yet, at once, and the step ends as "stopped before it started". srun can
    lose that SIGTERM between creating the step and launching its task; the record that comes
    anyway gives the step's id, and the step is canceled by id with the stop's signal.
*/

namespace {
constexpr qsizetype maxRecordBytes = 4096;
} // namespace

SlurmStep::SlurmStep(std::shared_ptr<SlurmAllocation> allocation, TaskProcessObserver *observer)
    : TaskProcess(observer)
    , m_allocation(std::move(allocation))
{
    QObject::connect(&m_srun, &QProcess::readyReadStandardOutput, &m_srun,
                     [this] { readStdout(); });
    QObject::connect(&m_srun, &QProcess::readyReadStandardError, &m_srun, [this] { readStderr(); });
    QObject::connect(
            &m_srun, &QProcess::finished, &m_srun,
            [this](int exitCode, QProcess::ExitStatus status) { onFinished(exitCode, status); });
    QObject::connect(&m_srun, &QProcess::errorOccurred, &m_srun,
                     [this](QProcess::ProcessError error) {
                         if (error == QProcess::FailedToStart)
                             end(ProcessEnd::failedToStart(StartFailure::Other,
                                                           QStringLiteral("cannot run srun: ")
                                                                   + m_srun.errorString()));
                     });
    SlurmClient::bindToParent(m_srun);
}

SlurmStep::~SlurmStep()
{
    if (m_srun.state() != QProcess::NotRunning)
        reap(0);
    if (std::exchange(m_holding, false))
        m_allocation->release(this);
}

void SlurmStep::start(const LaunchRequest &request)
{
    m_request = request;
    m_phase = Phase::Waiting;
    m_holding = true;
    m_allocation->acquire(this); // calls launchInAllocation() or allocationFailed()
}

void SlurmStep::launchInAllocation(const QString &jobId)
{
    if (m_phase != Phase::Waiting)
        return;
    m_phase = Phase::Launching;
    m_jobId = jobId;
    const SlurmOptions &options = m_allocation->options;
    QStringList args { QStringLiteral("--jobid=") + jobId,
                       QStringLiteral("-n1"),
                       QStringLiteral("-Q"),
                       QStringLiteral("--input=all"), // see the class comment
                       QStringLiteral("--job-name=") + m_allocation->jobName,
                       options.oneCpuPerStep ? QStringLiteral("--exact")
                                             : QStringLiteral("--overlap") };
    args << options.extraSrunArguments << QStringLiteral("--") << QStringLiteral("/bin/sh")
         << QStringLiteral("-c") << QString::fromLatin1(slurmStepScript)
         << QStringLiteral("taskconductor-step") << m_request.workingDirectory << m_request.command;

    m_srun.setProgram(m_allocation->srunProgram);
    m_srun.setArguments(args);
    // srun hands its environment to the task (--export=ALL).
    m_srun.setProcessEnvironment(m_request.environment);
    // Read-write, so that srun's stdin is a pipe that we keep open and never write to: srun then
    // never sends an end of input that slurmstepd would leave unread (class comment).
    m_srun.start(QIODevice::ReadWrite);
}

void SlurmStep::allocationFailed(const QString &why)
{
    if (m_phase == Phase::Waiting)
        end(ProcessEnd::failedToStart(StartFailure::Other, why));
}

void SlurmStep::reap(int graceMsecs)
{
    detachObserver(); // a dying process reports nothing more
    if (m_phase == Phase::Waiting) {
        m_phase = Phase::Ended;
        return;
    }
    if (m_srun.state() == QProcess::NotRunning)
        return;
    if (m_phase == Phase::Launching) // never started: srun ends it at once
        m_srun.terminate();
    if (graceMsecs > 0)
        m_srun.waitForFinished(graceMsecs);
    if (m_srun.state() != QProcess::NotRunning) {
        stop(SIGKILL);
        m_srun.waitForFinished(5000);
    }
    if (m_srun.state() != QProcess::NotRunning) {
        qCWarning(lcSlurm) << "srun did not end after scancel; killing it";
        m_srun.kill(); // Slurm cleans up the step once srun is gone
        m_srun.waitForFinished(1000);
    }
}

void SlurmStep::stop(int signal)
{
    switch (m_phase) {
    case Phase::Idle:
    case Phase::Ended:
        return;
    case Phase::Waiting:
        // Never ran: report the end later, never from inside terminate() or kill().
        m_phase = Phase::Ended;
        m_allocation->release(this);
        m_holding = false;
        QMetaObject::invokeMethod(
                &m_srun, [this, signal] { endBeforeStart(signal); }, Qt::QueuedConnection);
        return;
    case Phase::Launching:
        // srun may wait for a CPU, or the record is on its way: SIGTERM makes srun give up the
        // step creation, or end the step at once; it ends, and onFinished() reports it. srun can
        // lose a SIGTERM that comes between creating the step and launching its task (seen under
        // load), so a step whose record came is canceled by id, and the kill after the grace
        // period is sent too, not swallowed because a stop was already asked for.
        if (!m_stepId.isEmpty())
            scancelStep(signal);
        else if (m_srun.processId() > 0 && (m_stopSignal == 0 || signal == SIGKILL))
            ::kill(pid_t(m_srun.processId()), signal == SIGKILL ? SIGKILL : SIGTERM);
        if (m_stopSignal != SIGKILL)
            m_stopSignal = signal;
        return;
    case Phase::Running:
        if (m_stepId.isEmpty()) { // no record came: only srun can stop the step
            if (m_srun.processId() > 0)
                ::kill(pid_t(m_srun.processId()), SIGTERM);
            return;
        }
        scancelStep(signal);
        return;
    }
}

void SlurmStep::scancelStep(int signal)
{
    SlurmClient::scancel(m_allocation->scancelProgram,
                         { signal == SIGKILL           ? QStringLiteral("--signal=KILL")
                                   : signal == SIGTERM ? QStringLiteral("--signal=TERM")
                                                       : QStringLiteral("--signal=%1").arg(signal),
                           m_stepId });
}

void SlurmStep::endBeforeStart(int signal)
{
    m_phase = Phase::Ended;
    reportEnded(ProcessEnd::crashed(signal, QStringLiteral("stopped before it started")));
}

void SlurmStep::readStdout()
{
    QByteArray chunk = m_srun.readAllStandardOutput();
    if (m_phase == Phase::Launching) {
        if (chunk.isEmpty())
            return;
        m_record.append(chunk);
        const qsizetype nl = m_record.indexOf('\n');
        const bool ours = m_record.size() < slurmRecordStart.size()
                ? slurmRecordStart.startsWith(m_record)
                : m_record.startsWith(slurmRecordStart);
        if (ours && nl < 0 && m_record.size() < maxRecordBytes)
            return; // the record is still arriving
        if (!ours || nl < 0) {
            // Not our script's output: should not happen; hand it over rather than lose it.
            m_phase = Phase::Running;
            chunk = std::exchange(m_record, {});
            reportStarted();
        } else {
            const QString record = QString::fromUtf8(m_record.first(nl).sliced(1));
            chunk = m_record.sliced(nl + 1);
            m_record.clear();
            onRecord(record);
            if (m_phase != Phase::Running)
                return;
        }
    }
    if (!chunk.isEmpty() && m_phase == Phase::Running)
        reportOutput(OutputChannel::Stdout, chunk);
}

void SlurmStep::onRecord(const QString &record)
{
    if (record.startsWith(QLatin1String("tc-fail "))) {
        m_startFailure = record.mid(8);
        m_phase = Phase::Ended; // srun ends soon; output after this is not the task's
        return;
    }
    m_stepId = record.mid(int(qstrlen("tc-step ")));
    if (m_stopSignal != 0) {
        // srun was told to end it and may have lost that signal (stop()): cancel the step by id.
        // It was never reported as started; onFinished() reports it stopped before it started.
        scancelStep(m_stopSignal);
        return;
    }
    m_phase = Phase::Running;
    reportStarted();
}

void SlurmStep::readStderr()
{
    const QByteArray chunk = m_srun.readAllStandardError();
    m_stderr.feed(chunk, [this](QByteArrayView bytes) { forwardStderr(bytes); });
}

void SlurmStep::forwardStderr(QByteArrayView bytes)
{
    if (m_phase == Phase::Running)
        reportOutput(OutputChannel::Stderr, bytes);
    else if (m_phase == Phase::Launching && m_launchErrors.size() < maxRecordBytes)
        m_launchErrors.append(bytes.first(std::min(bytes.size(), maxRecordBytes))); // srun's
}

void SlurmStep::onFinished(int exitCode, QProcess::ExitStatus status)
{
    readStdout(); // drain before announcing
    readStderr();
    m_stderr.flush([this](QByteArrayView bytes) { forwardStderr(bytes); });
    if (!m_startFailure.isEmpty()) {
        static const QLatin1String chdir("chdir:"); // worded as LocalExecutor's start failures
        return end(m_startFailure.startsWith(chdir)
                           ? ProcessEnd::failedToStart(StartFailure::WorkingDirectory,
                                                       m_startFailure.mid(chdir.size()).trimmed())
                           : ProcessEnd::failedToStart(StartFailure::Program, m_startFailure));
    }
    if (m_phase == Phase::Launching) {
        if (m_stopSignal != 0)
            return endBeforeStart(m_stopSignal);
        const QString why = launchFailure(exitCode, status);
        // The allocation may have ended under us (time limit, someone's scancel) before the step
        // started: the task has not run, so it goes to a new allocation, once. Only if squeue
        // confirms it: a step that srun could not create for another reason is a start failure.
        static const QRegularExpression gone(
                QStringLiteral("Invalid job id|has expired|already completing or completed"
                               "|Unable to confirm allocation"),
                QRegularExpression::CaseInsensitiveOption);
        if (!m_relaunched && gone.match(why).hasMatch()) {
            m_relaunched = true;
            m_phase = Phase::Waiting;
            m_stderr = SlurmStderrFilter();
            m_record.clear();
            m_launchErrors.clear();
            return m_allocation->checkLost(this, m_jobId, why);
        }
        return end(ProcessEnd::failedToStart(StartFailure::Other, why));
    }
    if (status == QProcess::CrashExit)
        return end(ProcessEnd::crashed(
                exitCode, QStringLiteral("srun was killed by signal %1").arg(exitCode)));
    // srun exits with 128 + N when the task died of signal N, and says so in its own words; an
    // exit code above 128 that the task chose comes with "Exited with exit code".
    const QString state = m_stderr.taskState();
    if (exitCode > 128 && exitCode < 128 + 65 && !state.isEmpty()
        && !state.startsWith(QLatin1String("Exited"))) {
        const int sig = exitCode - 128;
        return end(ProcessEnd::crashed(sig,
                                       QStringLiteral("crashed with signal %1 (%2)")
                                               .arg(sig)
                                               .arg(QString::fromLocal8Bit(::strsignal(sig)))));
    }
    end(ProcessEnd::exited(exitCode));
}

// Before the step runs, all of stderr is srun's (getopt's errors name argv[0]).
QString SlurmStep::launchFailure(int exitCode, QProcess::ExitStatus status) const
{
    QStringList lines = m_stderr.messages();
    for (const QByteArray &line : m_launchErrors.split('\n'))
        if (!line.trimmed().isEmpty())
            lines.append(QString::fromUtf8(line.trimmed()));
    if (!lines.isEmpty())
        return lines.join(QLatin1String("; "));
    return status == QProcess::CrashExit
            ? QStringLiteral("srun was killed by signal %1").arg(exitCode)
            : QStringLiteral("srun exited with code %1 before the step started").arg(exitCode);
}

void SlurmStep::end(const ProcessEnd &how)
{
    m_phase = Phase::Ended;
    reportEnded(how);
}

} // namespace TaskConductor
