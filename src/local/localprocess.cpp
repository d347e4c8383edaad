// SPDX-License-Identifier: MIT
#include "localprocess.h"
#include "exitusage.h"
#include "startfailures.h"

#include <QtCore/qfile.h>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/types.h>
#include <unistd.h>
#ifdef Q_OS_LINUX
#include <sys/prctl.h>
#endif

namespace TaskConductor {

LocalSessionState::LocalSessionState(quint64 serial)
    : brokerSerial(serial)
    , guardian(ProcessMarker::forBroker(serial).entry())
{
    // Opened per start by QProcess, /dev/null cost a path walk and two system calls per task;
    // the child now takes it with one dup2(). Kept above 2, so that the dup2() to 0 is never a
    // no-op that leaves close-on-exec set.
    const int fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (fd >= 0 && fd <= STDERR_FILENO) {
        nullInput = ::fcntl(fd, F_DUPFD_CLOEXEC, STDERR_FILENO + 1);
        ::close(fd);
    } else {
        nullInput = fd;
    }
    loadavg = ProcessMarker::openLastPidSource();
}

LocalSessionState::~LocalSessionState()
{
    if (nullInput >= 0)
        ::close(nullInput);
    if (loadavg >= 0)
        ::close(loadavg);
}

QProcessEnvironment LocalSessionState::markedEnvironment(const QProcessEnvironment &environment,
                                                         const QString &value)
{
    // Tasks share the Broker's environment (copy on write): comparing it is one pointer
    // comparison, where inserting into a shared copy copied every variable per start.
    if (!m_hasMarked || !(m_unmarked == environment)) {
        m_unmarked = environment;
        m_marked = environment;
        m_hasMarked = true;
    }
    m_marked.insert(QString::fromLatin1(ProcessMarker::variableName()), value);
    return m_marked;
}

LocalProcess::LocalProcess(TaskProcessObserver *observer,
                           std::shared_ptr<LocalSessionState> session)
    : TaskProcess(observer)
    , m_session(std::move(session))
{ }

LocalProcess::~LocalProcess()
{
    if (m_process.state() != QProcess::NotRunning)
        reap(0);
    if (m_guarded) // its end was never handled: nothing of the group may stay
        signalGroup(SIGKILL);
    groupGone();
    ExitUsage::take(m_usageTicket); // frees the ticket of a process reaped without finished()
    releaseExec();
    ProcessMarker::setTaskProcessRunning(m_pid, false);
}

void LocalProcess::start(const LaunchRequest &request)
{
    const QProcessEnvironment &environment = request.environment;
    if (m_session)
        m_marker = ProcessMarker::forTask(m_session->brokerSerial, request.taskId);
    // The child execs the task itself, with the session's environment encoded once, where
    // QProcess would encode all of it again. The marker last, and any other value of its
    // variable left out, so that no task can pose as another one (the sweep trusts it).
    int *execError = nullptr;
    if (m_session
        && m_session->encodedEnvironment.encode(environment, ProcessMarker::variableName())
        && (execError = m_session->execErrors.acquire())) {
        m_exec.prepare(request.command, m_session->encodedEnvironment.entries(), m_marker.entry(),
                       execError);
    }
    // A child that execs the task itself reports what its exec refuses without QProcess's
    // leak: only the directory is predicted. Otherwise the prediction counts the environment
    // the tasks share once (exceedsExecLimits()) and the marker ("NAME=value") on its own.
    const bool childExecs = m_exec.isPrepared();
    if (auto failure = predictStartFailure(
                request.command, request.workingDirectory, environment,
                childExecs || m_marker.isEmpty() ? QString()
                                                 : QString::fromLatin1(m_marker.entry()),
                childExecs ? ExecFailures::LeaveToTheChild : ExecFailures::Predict)) {
        releaseExec();
        return reportEnded(*failure);
    }
    m_stopSignal = request.stopSignal > 0 ? request.stopSignal : SIGTERM;
    if (request.stdinMode == StdinMode::File) {
        // Checked here: QProcess would fail with a vaguer "could not open input redirection".
        const int fd =
                ::open(QFile::encodeName(request.stdinFile).constData(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            releaseExec();
            return reportEnded(ProcessEnd::failedToStart(
                    StartFailure::Other,
                    QStringLiteral("standard input file '%1': %2")
                            .arg(request.stdinFile, QString::fromLocal8Bit(::strerror(errno)))));
        }
        ::close(fd);
    }
    m_process.setWorkingDirectory(request.workingDirectory);
    if (m_exec.isPrepared()) {
        m_process.setProgram(ChildExec::unrunnableProgram());
    } else {
        m_process.setProgram(request.command.first());
        m_process.setArguments(request.command.mid(1));
        m_process.setProcessEnvironment(
                m_session ? m_session->markedEnvironment(environment, m_marker.value())
                          : environment);
    }
    int nullInput = -1; // dup2()ed to the child's standard input
    switch (request.stdinMode) {
    case StdinMode::Null:
        if (m_session && m_session->nullInput >= 0) {
            nullInput = m_session->nullInput;
            m_process.setInputChannelMode(QProcess::ForwardedInputChannel); // no pipe, no open
        } else {
            m_process.setStandardInputFile(QProcess::nullDevice());
        }
        break;
    case StdinMode::File:
        m_process.setStandardInputFile(request.stdinFile);
        break;
    case StdinMode::Data:
    case StdinMode::Open:
        break; // a pipe, written below or by writeStdin()
    }
    if (request.outputMode == OutputMode::Merged)
        m_process.setProcessChannelMode(QProcess::MergedChannels);
    // Runs in the child between fork and exec: async-signal-safe calls only. The parent-death
    // signal fires when the thread that forked dies: QProcess forks in the thread that calls
    // start(), the Broker's, which outlives its tasks unless the host dies (or the Broker's
    // thread ends under it; then the tasks go too). It is kept across exec, except into a
    // set-user-ID program: the guardian covers those.
    const pid_t host = pid_t(ProcessMarker::hostPid());
    const ChildExec *exec = m_exec.isPrepared() ? &m_exec : nullptr;
    m_process.setChildProcessModifier([host, nullInput, exec] {
        // The host's own standard input must never reach a task: failing that, none at all.
        if (nullInput >= 0 && ::dup2(nullInput, STDIN_FILENO) < 0)
            ::close(STDIN_FILENO);
        ::setpgid(0, 0);
#ifdef Q_OS_LINUX
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (::getppid() != host) // the host died before the line above
            ::kill(::getpid(), SIGKILL);
#endif
        if (exec)
            exec->run(); // does not return
    });

    QObject::connect(&m_process, &QProcess::started, &m_process, [this] {
        if (m_exec.isPrepared()) {
            // QProcess sees a start when the child's exec succeeded, and when it failed and the
            // child exited: the slot tells. Its finished() then reports the failure.
            m_execError = *m_exec.errorSlot();
            releaseExec();
            if (m_execError != 0)
                return;
        }
        m_pid = m_process.processId();
        reportStarted();
    });
    QObject::connect(&m_process, &QProcess::readyReadStandardOutput, &m_process,
                     [this] { forward(OutputChannel::Stdout); });
    QObject::connect(&m_process, &QProcess::readyReadStandardError, &m_process,
                     [this] { forward(OutputChannel::Stderr); });
    QObject::connect(
            &m_process, &QProcess::finished, &m_process,
            [this](int exitCode, QProcess::ExitStatus status) { onFinished(exitCode, status); });
    QObject::connect(&m_process, &QProcess::errorOccurred, &m_process,
                     [this](QProcess::ProcessError error) {
                         // Only this error comes without finished() (QPROCESS-NOTES).
                         if (error == QProcess::FailedToStart) {
                             groupGone(); // the child never ran the task
                             releaseExec();
                             reportEnded(startFailureFromQProcess(m_process.errorString()));
                         }
                     });
    const bool writes =
            request.stdinMode == StdinMode::Data || request.stdinMode == StdinMode::Open;
    m_process.start(writes ? QIODevice::ReadWrite : QIODevice::ReadOnly);
    m_started.start();
    if (m_session && !m_exec.isPrepared()) // the child has its copy: the marked one is free
        m_process.setProcessEnvironment(environment);
    if (request.stdinMode == StdinMode::Data && m_process.state() != QProcess::NotRunning) {
        m_process.write(request.stdinData); // QProcess buffers it until the child reads
        m_process.closeWriteChannel(); // after the buffered bytes
    }
    // Both sides set the group, so a signal sent right after start() cannot miss it.
    const qint64 pid = m_process.processId();
    if (pid > 0) {
        m_pid = pid;
        ::setpgid(pid_t(pid), pid_t(pid));
        ProcessMarker::setTaskProcessRunning(pid, true);
        if (m_session)
            m_guarded = m_session->guardian.watchGroup(pid);
        m_usageTicket = ExitUsage::watch(pid);
    }
}

void LocalProcess::releaseExec()
{
    if (!m_exec.isPrepared())
        return;
    m_session->execErrors.release(m_exec.errorSlot());
    m_exec.clear();
}

void LocalProcess::groupGone()
{
    if (m_guarded)
        m_session->guardian.forgetGroup(m_pid);
    m_guarded = false;
}

void LocalProcess::reap(int graceMsecs)
{
    detachObserver(); // a dying process reports nothing more
    m_swept = true; // escapees are left to the session's one sweep after all its tasks
    if (m_session && m_pid > 0)
        m_session->reapedGroups.append(m_pid);
    if (graceMsecs > 0 && m_process.state() != QProcess::NotRunning)
        m_process.waitForFinished(graceMsecs);
    signalGroup(SIGKILL); // also whatever the task left in its group
    if (m_process.state() != QProcess::NotRunning)
        m_process.waitForFinished(5000); // SIGKILL cannot be ignored: this is short
    groupGone();
}

void LocalProcess::signalGroup(int sig)
{
    if (m_pid <= 0)
        return;
    if (::kill(-pid_t(m_pid), sig) != 0 && errno == ESRCH
        && m_process.state() != QProcess::NotRunning)
        ::kill(pid_t(m_pid), sig); // not yet a group leader: at least the child itself
}

void LocalProcess::killEscapees()
{
    if (m_swept || m_marker.isEmpty())
        return;
    // For a short task only the processes numbered after it are read: its descendants.
    // ProcessMarker notices a wrap of the pid counter; a full cycle in 100 ms would take
    // hundreds of thousands of forks a second. Longer tasks pay for the full read.
    const qint64 bornAfter = m_started.isValid() && m_started.elapsed() < 100 ? m_pid : 0;
    m_marker.killAll(m_process.state() == QProcess::NotRunning ? 0 : m_pid, { m_pid }, bornAfter,
                     m_session->loadavg);
    m_swept = true;
}

void LocalProcess::writeStdin(QByteArrayView bytes)
{
    m_process.write(bytes.data(), bytes.size());
}

void LocalProcess::forward(OutputChannel channel)
{
    const QByteArray chunk = channel == OutputChannel::Stdout ? m_process.readAllStandardOutput()
                                                              : m_process.readAllStandardError();
    if (!chunk.isEmpty())
        reportOutput(channel, chunk);
}

void LocalProcess::onFinished(int exitCode, QProcess::ExitStatus status)
{
    // Drain before announcing: what is still buffered belongs to this attempt.
    forward(OutputChannel::Stdout);
    if (m_process.processChannelMode() != QProcess::MergedChannels)
        forward(OutputChannel::Stderr);
    // The main process is gone; whatever it left in its group goes with it, and so does
    // whatever left the group (setsid) but still carries the task's marker.
    ProcessMarker::setTaskProcessRunning(m_pid, false);
    signalGroup(SIGKILL);
    killEscapees();
    groupGone();
    if (m_execError != 0) { // the child's exec failed: the task never ran
        ExitUsage::take(std::exchange(m_usageTicket, -1));
        // Worded as the predictions and the Slurm executor word it: "execvp" for the program,
        // "execve" for the size of what is passed.
        const QString call =
                m_execError == E2BIG ? QStringLiteral("execve: ") : QStringLiteral("execvp: ");
        return reportEnded(
                startFailureFromQProcess(call + QString::fromLocal8Bit(::strerror(m_execError))));
    }
    ProcessEnd end = status == QProcess::CrashExit
            ? ProcessEnd::crashed(exitCode,
                                  QStringLiteral("crashed with signal %1 (%2)")
                                          .arg(exitCode)
                                          .arg(QString::fromLocal8Bit(::strsignal(exitCode))))
            : ProcessEnd::exited(exitCode);
    const ExitUsage::Usage usage = ExitUsage::take(std::exchange(m_usageTicket, -1));
    end.cpuMs = usage.cpuMs;
    end.maxRssKb = usage.maxRssKb;
    reportEnded(end);
}

} // namespace TaskConductor
