// SPDX-License-Identifier: MIT
#include "slurmexecutor_p.h"
#include "slurmstderrfilter.h"

#include <QtCore/qatomic.h>
#include <QtCore/qcoreapplication.h>
#include <QtCore/qregularexpression.h>
#include <QtCore/qstandardpaths.h>

#include <csignal>
#include <cstring>

Q_LOGGING_CATEGORY(lcSlurm, "taskconductor.slurm", QtInfoMsg)

namespace TaskConductor {

/*!
    \class TaskConductor::SlurmExecutor
    Each attempt is one job step, `srun --jobid=J --exact -n1 -Q --input=all -- /bin/sh -c
    STEP_SCRIPT ...`, inside one allocation from `salloc --no-shell`. Steps start in tens of
    milliseconds where a job per task would wait for the scheduler's next pass (seconds).

    Standard input: srun's is a pipe that stays open and silent until srun exits, and the script
    gives the task /dev/null, as LocalExecutor does. Not `--input=none` or an empty stdin: srun
    then sends an end-of-input message over the step's I/O connection, slurmstepd may not have
    read it when it closes that connection at the step's end, and a TCP close with unread data
    resets the connection. The output srun had not received yet was lost with it: under CPU
    load, tens of KiB at the end of a step's output ("srun: error: _server_read: ... unexpected
    eof reading message body", which the stderr filter takes for srun's).

    The step script runs on the compute node, where the task will run, and closes Slurm's gaps
    there: Slurm silently runs a task whose working directory is missing in /tmp, and reports a
    missing or non-executable program only as exit code 2 or 13 with a line on stderr. The
    script changes to the directory and checks the program as execve() would; a failure
    becomes one record on stdout ("\x1e" "tc-fail REASON"), which the executor turns into the
    same start failure LocalExecutor reports. Otherwise the script announces the step id
    ("\x1e" "tc-step J.S"), which the executor needs for scancel and strips from the output, and
    execs the task: the step's process is the task's. /bin/sh exists on every node, so nothing
    has to be installed on the cluster.

    Stopping: `scancel --signal=TERM J.S`, and for kill() `scancel --signal=KILL J.S`; the
    Broker's own grace timer sits in between. Signals to srun are not used while the task runs:
    srun ignores one SIGINT, and SIGTERM to srun kills the task at once with no grace.
*/

namespace {

// $1 = working directory, $2... = the task's argv. No value is ever pasted into the script.
const char stepScript[] = R"sh(dir=$1; shift
if ! cd -- "$dir" 2>/dev/null; then
  if [ ! -e "$dir" ]; then why='No such file or directory'
  elif [ ! -d "$dir" ]; then why='Not a directory'
  else why='Permission denied'; fi
  printf '\036tc-fail chdir: %s\n' "$why"; exit 127
fi
case $1 in
  */*) prog=$1 ;;
  *) prog=; saved=$IFS; IFS=:
     for d in $PATH; do
       if [ -f "${d:-.}/$1" ] && [ -x "${d:-.}/$1" ]; then prog=${d:-.}/$1; break; fi
     done
     IFS=$saved ;;
esac
if [ -z "$prog" ] || [ ! -e "$prog" ]; then
  printf '\036tc-fail execvp: No such file or directory\n'; exit 127
fi
if [ -d "$prog" ] || [ ! -x "$prog" ]; then
  printf '\036tc-fail execvp: Permission denied\n'; exit 127
fi
printf '\036tc-step %s.%s\n' "$SLURM_JOB_ID" "$SLURM_STEP_ID"
exec "$@" </dev/null)sh";

constexpr QByteArrayView recordStart = "\x1etc-";
constexpr qsizetype maxRecordBytes = 4096;

QString program(const char *name)
{
    const QString found = QStandardPaths::findExecutable(QLatin1String(name));
    return found.isEmpty() ? QLatin1String(name) : found;
}

// Fire and forget: scancel returns within milliseconds and reports nothing we could act on
// (an unknown or finished id is not an error to it).
void scancel(const QString &scancelProgram, const QStringList &arguments)
{
    if (!QProcess::startDetached(scancelProgram, arguments))
        qCWarning(lcSlurm) << "could not run scancel" << arguments;
}

QString uniqueJobName(const QString &prefix)
{
    static QAtomicInteger<int> counter;
    return QStringLiteral("%1-%2-%3")
            .arg(prefix)
            .arg(QCoreApplication::applicationPid())
            .arg(counter.fetchAndAddRelaxed(1) + 1);
}

} // namespace

//! One attempt as one job step. States: Idle -> Waiting (for the allocation) -> Launching
//! (srun runs, the step script has not reported) -> Running (step id known) -> Ended.
class SlurmStep final : public TaskProcess, private TaskProcessBlockingInterface
{
public:
    SlurmStep(std::shared_ptr<SlurmAllocation> allocation, TaskProcessObserver *observer)
        : TaskProcess(observer)
        , m_allocation(std::move(allocation))
    {
        QObject::connect(&m_srun, &QProcess::readyReadStandardOutput, &m_srun,
                         [this] { readStdout(); });
        QObject::connect(&m_srun, &QProcess::readyReadStandardError, &m_srun,
                         [this] { readStderr(); });
        QObject::connect(&m_srun, &QProcess::finished, &m_srun,
                         [this](int exitCode, QProcess::ExitStatus status) {
                             onFinished(exitCode, status);
                         });
        QObject::connect(&m_srun, &QProcess::errorOccurred, &m_srun,
                         [this](QProcess::ProcessError error) {
                             if (error == QProcess::FailedToStart)
                                 end(ProcessEnd::failedToStart(StartFailure::Other,
                                                               QStringLiteral("cannot run srun: ")
                                                                       + m_srun.errorString()));
                         });
    }

    ~SlurmStep() override
    {
        if (m_srun.state() != QProcess::NotRunning)
            reap(0);
        leaveAllocation();
    }

    void start(const LaunchRequest &request) override
    {
        m_request = request;
        m_phase = Phase::Waiting;
        m_inAllocation = true;
        m_allocation->acquire(this); // calls launchInAllocation() or allocationFailed()
    }

    void launchInAllocation(const QString &jobId)
    {
        if (m_phase != Phase::Waiting)
            return;
        m_phase = Phase::Launching;
        m_jobId = jobId;
        const SlurmOptions &options = m_allocation->options;
        QStringList args { QStringLiteral("--jobid=") + jobId,
                           QStringLiteral("--exact"),
                           QStringLiteral("-n1"),
                           QStringLiteral("-Q"),
                           QStringLiteral("--input=all"), // see the class comment
                           QStringLiteral("--job-name=") + m_allocation->jobName };
        if (options.overcommit)
            args << QStringLiteral("--overcommit");
        args << options.extraSrunArguments << QStringLiteral("--") << QStringLiteral("/bin/sh")
             << QStringLiteral("-c") << QString::fromLatin1(stepScript)
             << QStringLiteral("taskconductor-step") << m_request.workingDirectory
             << m_request.command;

        m_srun.setProgram(m_allocation->srunProgram);
        m_srun.setArguments(args);
        // srun hands its environment to the task (--export=ALL).
        m_srun.setProcessEnvironment(m_request.environment);
        // Read-write, so that srun's stdin is a pipe that we keep open and never write to: srun
        // then never sends an end of input that slurmstepd would leave unread (class comment).
        m_srun.start(QIODevice::ReadWrite);
    }

    void allocationFailed(const QString &why)
    {
        if (m_phase != Phase::Waiting)
            return;
        end(ProcessEnd::failedToStart(StartFailure::Other, why));
    }

    void terminate() override { stop(SIGTERM); }
    void kill() override { stop(SIGKILL); }
    TaskProcessBlockingInterface *blockingInterface() override { return this; }

    void reap(int graceMsecs) override
    {
        detachObserver(); // a dying process reports nothing more
        if (m_phase == Phase::Waiting) {
            m_phase = Phase::Ended;
            leaveAllocation();
            return;
        }
        if (m_srun.state() == QProcess::NotRunning)
            return;
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

    qint64 processId() const override { return 0; } // the task runs under slurmstepd

private:
    enum class Phase { Idle, Waiting, Launching, Running, Ended };

    void stop(int signal)
    {
        switch (m_phase) {
        case Phase::Idle:
        case Phase::Ended:
            return;
        case Phase::Waiting:
            // Never ran: report the end later, never from inside terminate() or kill().
            m_phase = Phase::Ended;
            leaveAllocation();
            QMetaObject::invokeMethod(
                    &m_srun,
                    [this, signal] {
                        reportEnded(ProcessEnd::crashed(
                                signal, QStringLiteral("stopped before it started")));
                    },
                    Qt::QueuedConnection);
            return;
        case Phase::Launching:
            // No step id yet. SIGKILL now: SIGTERM to srun ends a step at once, as kill() should;
            // a polite stop waits for the step id.
            m_pendingSignal = std::max(m_pendingSignal, signal == SIGKILL ? 2 : 1);
            if (signal == SIGKILL && m_srun.processId() > 0)
                ::kill(pid_t(m_srun.processId()), SIGTERM);
            return;
        case Phase::Running:
            if (m_stepId.isEmpty()) { // no record came: only srun can stop the step
                if (m_srun.processId() > 0)
                    ::kill(pid_t(m_srun.processId()), SIGTERM);
                return;
            }
            scancel(m_allocation->scancelProgram,
                    { signal == SIGKILL ? QStringLiteral("--signal=KILL")
                                        : QStringLiteral("--signal=TERM"),
                      m_stepId });
            return;
        }
    }

    void readStdout()
    {
        QByteArray chunk = m_srun.readAllStandardOutput();
        if (m_phase == Phase::Launching) {
            if (chunk.isEmpty())
                return;
            m_record.append(chunk);
            const qsizetype nl = m_record.indexOf('\n');
            const bool ours = m_record.size() < recordStart.size()
                    ? recordStart.startsWith(m_record)
                    : m_record.startsWith(recordStart);
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

    void onRecord(const QString &record)
    {
        if (record.startsWith(QLatin1String("tc-fail "))) {
            m_startFailure = record.mid(8);
            m_phase = Phase::Ended; // srun ends soon; output after this is not the task's
            return;
        }
        m_stepId = record.mid(int(qstrlen("tc-step ")));
        m_phase = Phase::Running;
        reportStarted();
        if (m_pendingSignal > 0 && m_phase == Phase::Running)
            stop(m_pendingSignal == 2 ? SIGKILL : SIGTERM);
    }

    void readStderr()
    {
        const QByteArray chunk = m_srun.readAllStandardError();
        m_stderr.feed(chunk, [this](QByteArrayView bytes) { forwardStderr(bytes); });
    }

    void forwardStderr(QByteArrayView bytes)
    {
        if (m_phase == Phase::Running)
            reportOutput(OutputChannel::Stderr, bytes);
        else if (m_phase == Phase::Launching && m_launchErrors.size() < maxRecordBytes)
            m_launchErrors.append(bytes.first(std::min(bytes.size(), maxRecordBytes))); // srun's
    }

    void onFinished(int exitCode, QProcess::ExitStatus status)
    {
        readStdout(); // drain before announcing
        readStderr();
        m_stderr.flush([this](QByteArrayView bytes) { forwardStderr(bytes); });
        if (!m_startFailure.isEmpty())
            return end(startFailureFromRecord(m_startFailure));
        if (m_phase == Phase::Launching) {
            // Before the step runs, all of stderr is srun's (getopt's errors name argv[0]).
            QStringList lines = m_stderr.messages();
            for (const QByteArray &line : m_launchErrors.split('\n'))
                if (!line.trimmed().isEmpty())
                    lines.append(QString::fromUtf8(line.trimmed()));
            QString why = lines.join(QLatin1String("; "));
            if (why.isEmpty())
                why = status == QProcess::CrashExit
                        ? QStringLiteral("srun was killed by signal %1").arg(exitCode)
                        : QStringLiteral("srun exited with code %1 before the step started")
                                  .arg(exitCode);
            if (m_allocation->allocationLost(m_jobId, why) && !m_relaunched && m_pendingSignal == 0)
                return relaunch();
            return end(ProcessEnd::failedToStart(StartFailure::Other, why));
        }
        if (status == QProcess::CrashExit)
            return end(ProcessEnd::crashed(
                    exitCode, QStringLiteral("srun was killed by signal %1").arg(exitCode)));
        // srun exits with 128 + N when the task died of signal N, and says so in its own words;
        // an exit code above 128 that the task chose comes with "Exited with exit code".
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

    // The allocation ended under us (time limit, someone's scancel) before the step started:
    // the task has not run, so it goes to a new allocation, once. Not from inside finished().
    void relaunch()
    {
        m_relaunched = true;
        m_phase = Phase::Waiting;
        m_stderr = SlurmStderrFilter();
        m_record.clear();
        m_launchErrors.clear();
        QMetaObject::invokeMethod(
                &m_srun,
                [this] {
                    if (m_phase != Phase::Waiting || hasEnded())
                        return;
                    leaveAllocation();
                    m_inAllocation = true;
                    m_allocation->acquire(this);
                },
                Qt::QueuedConnection);
    }

    void end(const ProcessEnd &how)
    {
        m_phase = Phase::Ended;
        leaveAllocation();
        reportEnded(how); // only the first end reaches the Broker
    }

    // The step script's "tc-fail" record, worded as LocalExecutor's start failures.
    static ProcessEnd startFailureFromRecord(const QString &record)
    {
        static const QLatin1String chdir("chdir:");
        if (record.startsWith(chdir))
            return ProcessEnd::failedToStart(StartFailure::WorkingDirectory,
                                             record.mid(chdir.size()).trimmed());
        return ProcessEnd::failedToStart(StartFailure::Program, record);
    }

    void leaveAllocation()
    {
        if (std::exchange(m_inAllocation, false))
            m_allocation->release(this);
    }

    std::shared_ptr<SlurmAllocation> m_allocation;
    LaunchRequest m_request;
    QProcess m_srun;
    SlurmStderrFilter m_stderr;
    QByteArray m_record;
    QByteArray m_launchErrors; // stderr before the step started: srun's, bounded
    QString m_jobId;
    QString m_stepId;
    QString m_startFailure;
    Phase m_phase = Phase::Idle;
    int m_pendingSignal = 0; // 1: TERM, 2: KILL, once the step id is known
    bool m_inAllocation = false;
    bool m_relaunched = false;
};

SlurmAllocation::SlurmAllocation(const SlurmOptions &opts)
    : options(opts)
    , jobName(uniqueJobName(opts.jobNamePrefix))
    , srunProgram(program("srun"))
    , scancelProgram(program("scancel"))
    , m_sallocProgram(program("salloc"))
{
    m_idleTimer.setSingleShot(true);
    QObject::connect(&m_idleTimer, &QTimer::timeout, [this] { onIdle(); });
}

SlurmAllocation::~SlurmAllocation()
{
    if (m_salloc && m_salloc->state() != QProcess::NotRunning) {
        // Still queued: its id may not be known yet, its unique name is.
        scancel(scancelProgram, { QStringLiteral("--name=") + jobName });
        m_salloc->disconnect();
        m_salloc->kill();
        m_salloc->waitForFinished(1000); // SIGKILL: short
    }
    forget();
}

void SlurmAllocation::acquire(SlurmStep *step)
{
    ++m_active;
    m_idleTimer.stop();
    if (!jobId.isEmpty())
        return step->launchInAllocation(jobId);
    m_waiting.append(step);
    if (!m_salloc)
        requestAllocation();
}

void SlurmAllocation::release(SlurmStep *step)
{
    m_waiting.removeOne(step);
    if (--m_active > 0)
        return;
    // A request still queued stays: once granted, it goes idle and is released like any other.
    if (!jobId.isEmpty())
        m_idleTimer.start(std::max(0, options.idleReleaseMsecs));
}

void SlurmAllocation::requestAllocation()
{
    QStringList args { QStringLiteral("--no-shell"), QStringLiteral("--job-name=") + jobName,
                       QStringLiteral("--ntasks=%1").arg(std::max(1, options.allocationTasks)) };
    if (!options.partition.isEmpty())
        args << QStringLiteral("--partition=") + options.partition;
    if (!options.account.isEmpty())
        args << QStringLiteral("--account=") + options.account;
    if (options.overcommit)
        args << QStringLiteral("--overcommit");
    args << options.extraSallocArguments;

    m_sallocErrors.clear();
    m_requestedJobId.clear();
    m_salloc = std::make_unique<QProcess>();
    m_salloc->setProgram(m_sallocProgram);
    m_salloc->setArguments(args);
    m_salloc->setStandardInputFile(QProcess::nullDevice());
    m_salloc->setProcessChannelMode(QProcess::MergedChannels);
    QObject::connect(m_salloc.get(), &QProcess::readyRead, m_salloc.get(),
                     [this] { onSallocOutput(); });
    QObject::connect(m_salloc.get(), &QProcess::finished, m_salloc.get(),
                     [this](int exitCode, QProcess::ExitStatus status) {
                         onSallocFinished(exitCode, status);
                     });
    QObject::connect(m_salloc.get(), &QProcess::errorOccurred, m_salloc.get(),
                     [this](QProcess::ProcessError error) {
                         if (error == QProcess::FailedToStart) {
                             m_sallocErrors = QStringLiteral("salloc: ") + m_salloc->errorString();
                             onSallocFinished(-1, QProcess::NormalExit);
                         }
                     });
    qCDebug(lcSlurm) << "requesting allocation" << args;
    m_salloc->start(QIODevice::ReadOnly);
}

void SlurmAllocation::onSallocOutput()
{
    static const QRegularExpression allocation(QStringLiteral("job allocation (\\d+)"));
    while (m_salloc->canReadLine()) {
        const QString line = QString::fromLocal8Bit(m_salloc->readLine()).trimmed();
        const QRegularExpressionMatch match = allocation.match(line);
        if (match.hasMatch())
            m_requestedJobId = match.captured(1);
        else if (!line.isEmpty() && m_sallocErrors.size() < 4096)
            m_sallocErrors += (m_sallocErrors.isEmpty() ? QString() : QStringLiteral("; ")) + line;
    }
}

void SlurmAllocation::onSallocFinished(int exitCode, QProcess::ExitStatus status)
{
    if (!m_salloc)
        return; // FailedToStart is followed by no finished(), but be sure
    onSallocOutput();
    if (m_salloc->bytesAvailable() > 0) {
        const QString rest = QString::fromLocal8Bit(m_salloc->readAll()).trimmed();
        if (!rest.isEmpty())
            m_sallocErrors += QStringLiteral("; ") + rest;
    }
    // salloc must not be deleted inside its own signal.
    m_salloc.release()->deleteLater();

    const bool granted =
            status == QProcess::NormalExit && exitCode == 0 && !m_requestedJobId.isEmpty();
    QList<SlurmStep *> waiting = std::exchange(m_waiting, {});
    if (granted) {
        jobId = m_requestedJobId;
        qCDebug(lcSlurm) << "allocation" << jobId << "granted as" << jobName;
        for (SlurmStep *step : waiting)
            step->launchInAllocation(jobId);
        if (m_active == 0)
            m_idleTimer.start(std::max(0, options.idleReleaseMsecs));
        return;
    }
    if (!m_requestedJobId.isEmpty())
        scancel(scancelProgram, { m_requestedJobId });
    const QString why =
            QStringLiteral("no Slurm allocation: %1")
                    .arg(m_sallocErrors.isEmpty()
                                 ? QStringLiteral("salloc exited with code %1").arg(exitCode)
                                 : m_sallocErrors);
    qCWarning(lcSlurm).noquote() << why;
    for (SlurmStep *step : waiting)
        step->allocationFailed(why);
}

bool SlurmAllocation::allocationLost(const QString &failedJobId, const QString &srunMessage)
{
    static const QRegularExpression gone(
            QStringLiteral("Invalid job id|has expired|already completing or completed"
                           "|Unable to confirm allocation"),
            QRegularExpression::CaseInsensitiveOption);
    if (!gone.match(srunMessage).hasMatch())
        return false;
    if (jobId == failedJobId) {
        qCWarning(lcSlurm) << "allocation" << jobId << "is gone:" << srunMessage;
        jobId.clear();
    }
    return true;
}

void SlurmAllocation::onIdle()
{
    if (m_active == 0)
        forget();
}

void SlurmAllocation::forget()
{
    if (jobId.isEmpty())
        return;
    qCDebug(lcSlurm) << "releasing allocation" << jobId;
    scancel(scancelProgram, { std::exchange(jobId, {}) });
}

SlurmExecutor::SlurmExecutor(const SlurmOptions &options)
    : d(std::make_shared<SlurmAllocation>(options))
{ }

SlurmExecutor::~SlurmExecutor() = default; // steps still alive keep the allocation

std::unique_ptr<TaskProcess> SlurmExecutor::createProcess(TaskProcessObserver *observer)
{
    return std::make_unique<SlurmStep>(d, observer);
}

SlurmOptions SlurmExecutor::options() const
{
    return d->options;
}

QString SlurmExecutor::jobName() const
{
    return d->jobName;
}

QString SlurmExecutor::jobId() const
{
    return d->jobId;
}

} // namespace TaskConductor
