// SPDX-License-Identifier: MIT
#include "execlimits.h"
#include "processmarker.h"

#include <taskconductor/executor.h>

#include <QtCore/qdir.h>
#include <QtCore/qelapsedtimer.h>
#include <QtCore/qfileinfo.h>
#include <QtCore/qprocess.h>
#include <QtCore/qstandardpaths.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <sys/types.h>
#include <unistd.h>

namespace TaskConductor {

TaskProcess::~TaskProcess() = default;
Executor::~Executor() = default;

namespace {

QString errnoText(int error)
{
    return QString::fromLocal8Bit(::strerror(error));
}

// A missing working directory or program, or one that may not be executed.
QString missingOrForbidden(const LaunchRequest &request)
{
    const QByteArray directory = QFile::encodeName(request.workingDirectory);
    if (::access(directory.constData(), X_OK) != 0)
        return QStringLiteral("chdir: ") + errnoText(errno);
    if (!QFileInfo(request.workingDirectory).isDir())
        return QStringLiteral("chdir: ") + errnoText(ENOTDIR);

    const QString program = request.command.first();
    QString path;
    if (program.contains(QLatin1Char('/'))) {
        path = QDir(request.workingDirectory).absoluteFilePath(program);
    } else {
        // Either PATH may find it: QProcess looks in the host's, execvp in the child's.
        const QString childPath = request.environment.value(QStringLiteral("PATH"));
        if (!QStandardPaths::findExecutable(program).isEmpty()
            || !QStandardPaths::findExecutable(program, childPath.split(QLatin1Char(':')))
                        .isEmpty())
            return QString();
        return QStringLiteral("execvp: ") + errnoText(ENOENT);
    }
    const QByteArray file = QFile::encodeName(path);
    if (::access(file.constData(), X_OK) != 0)
        return QStringLiteral("execvp: ") + errnoText(errno);
    if (QFileInfo(path).isDir())
        return QStringLiteral("execvp: ") + errnoText(EACCES);
    return QString();
}

// Start failures that can be seen before forking, worded as QProcess words them. Qt 6.4 leaks
// one pipe per exec() that fails in the child, so these never get that far. What cannot be
// predicted (fork failure, an argument list within sysconf(_SC_ARG_MAX) but over the kernel's
// 6 MiB cap) still goes through QProcess. The exec checks the program before it counts the
// arguments, so a missing program is reported first, as the exec would.
QString predictableStartFailure(const LaunchRequest &request)
{
    if (QString failure = missingOrForbidden(request); !failure.isEmpty())
        return failure;
    // Read per start: the limit follows RLIMIT_STACK, which the host may change. QProcess
    // calls execve() when it is given an environment, execvp() when not.
    if (exceedsExecLimits(request.command, request.environment, ExecLimits::current()))
        return (request.environment.isEmpty() ? QStringLiteral("execvp: ")
                                              : QStringLiteral("execve: "))
                + errnoText(E2BIG);
    return QString();
}

// One attempt in a QProcess whose child leads its own process group (pgid == pid), so a signal
// to -pid reaches everything the task spawned that did not leave the group.
class LocalProcess final : public TaskProcess
{
public:
    explicit LocalProcess(TaskProcessObserver *observer)
        : m_observer(observer)
    { }

    ~LocalProcess() override
    {
        if (m_process.state() != QProcess::NotRunning)
            reap(0);
        ProcessMarker::setTaskProcessRunning(m_pid, false);
    }

    void start(const LaunchRequest &request) override
    {
        if (const QString failure = predictableStartFailure(request); !failure.isEmpty())
            return end({ ProcessEnd::Kind::FailedToStart, -1, failure });
        m_process.setProgram(request.command.first());
        m_process.setArguments(request.command.mid(1));
        m_process.setWorkingDirectory(request.workingDirectory);
        m_process.setProcessEnvironment(request.environment);
        m_marker = ProcessMarker::fromEnvironment(request.environment);
        m_process.setStandardInputFile(QProcess::nullDevice());
        // Runs in the child between fork and exec: async-signal-safe calls only.
        m_process.setChildProcessModifier([] { ::setpgid(0, 0); });

        QObject::connect(&m_process, &QProcess::started, &m_process, [this] {
            m_pid = m_process.processId();
            if (m_observer)
                m_observer->processStarted();
        });
        QObject::connect(&m_process, &QProcess::readyReadStandardOutput, &m_process,
                         [this] { forward(OutputChannel::Stdout); });
        QObject::connect(&m_process, &QProcess::readyReadStandardError, &m_process,
                         [this] { forward(OutputChannel::Stderr); });
        QObject::connect(&m_process, &QProcess::finished, &m_process,
                         [this](int exitCode, QProcess::ExitStatus status) {
                             onFinished(exitCode, status);
                         });
        QObject::connect(
                &m_process, &QProcess::errorOccurred, &m_process,
                [this](QProcess::ProcessError error) {
                    if (error == QProcess::FailedToStart)
                        end({ ProcessEnd::Kind::FailedToStart, -1, m_process.errorString() });
                });
        m_process.start(QIODevice::ReadOnly);
        m_started.start();
        // Both sides set the group, so a signal sent right after start() cannot miss it.
        const qint64 pid = m_process.processId();
        if (pid > 0) {
            m_pid = pid;
            ::setpgid(pid_t(pid), pid_t(pid));
            ProcessMarker::setTaskProcessRunning(pid, true);
        }
    }

    void terminate() override { signalGroup(SIGTERM); }
    void kill() override { signalGroup(SIGKILL); }

    void reap(int graceMsecs) override
    {
        m_observer = nullptr; // a dying process reports nothing more
        m_swept = true; // escapees are left to the Broker's one sweep after all its tasks
        if (graceMsecs > 0 && m_process.state() != QProcess::NotRunning)
            m_process.waitForFinished(graceMsecs);
        signalGroup(SIGKILL); // also whatever the task left in its group
        if (m_process.state() != QProcess::NotRunning)
            m_process.waitForFinished(5000); // SIGKILL cannot be ignored: this is short
    }

    qint64 processId() const override { return m_pid; }

private:
    void signalGroup(int sig)
    {
        if (m_pid <= 0)
            return;
        if (::kill(-pid_t(m_pid), sig) != 0 && errno == ESRCH
            && m_process.state() != QProcess::NotRunning)
            ::kill(pid_t(m_pid), sig); // not yet a group leader: at least the child itself
    }

    void killEscapees()
    {
        if (m_swept || m_marker.isEmpty())
            return;
        // For a short task only the processes numbered after it are read: its descendants.
        // ProcessMarker notices a wrap of the pid counter; a full cycle in 100 ms would take
        // hundreds of thousands of forks a second. Longer tasks pay for the full read.
        const qint64 bornAfter = m_started.isValid() && m_started.elapsed() < 100 ? m_pid : 0;
        m_marker.killAll(m_process.state() == QProcess::NotRunning ? 0 : m_pid, { m_pid },
                         bornAfter);
        m_swept = true;
    }

    void forward(OutputChannel channel)
    {
        const QByteArray chunk = channel == OutputChannel::Stdout
                ? m_process.readAllStandardOutput()
                : m_process.readAllStandardError();
        if (m_observer && !chunk.isEmpty())
            m_observer->processOutput(channel, chunk);
    }

    void onFinished(int exitCode, QProcess::ExitStatus status)
    {
        // Drain before announcing: what is still buffered belongs to this attempt.
        forward(OutputChannel::Stdout);
        forward(OutputChannel::Stderr);
        // The main process is gone; whatever it left in its group goes with it, and so does
        // whatever left the group (setsid) but still carries the task's marker.
        ProcessMarker::setTaskProcessRunning(m_pid, false);
        signalGroup(SIGKILL);
        killEscapees();
        if (status == QProcess::CrashExit) {
            const int sig = exitCode;
            end({ ProcessEnd::Kind::Crashed, sig,
                  QStringLiteral("crashed with signal %1 (%2)")
                          .arg(sig)
                          .arg(QString::fromLocal8Bit(::strsignal(sig))) });
        } else {
            end({ ProcessEnd::Kind::Exited, exitCode, QString() });
        }
    }

    void end(const ProcessEnd &how)
    {
        if (m_ended)
            return;
        m_ended = true;
        if (TaskProcessObserver *observer = std::exchange(m_observer, nullptr))
            observer->processEnded(how);
    }

    QProcess m_process;
    TaskProcessObserver *m_observer;
    ProcessMarker m_marker = ProcessMarker::fromEnvironment({});
    QElapsedTimer m_started;
    qint64 m_pid = 0;
    bool m_ended = false;
    bool m_swept = false;
};

} // namespace

std::unique_ptr<TaskProcess> LocalExecutor::createProcess(TaskProcessObserver *observer)
{
    return std::make_unique<LocalProcess>(observer);
}

} // namespace TaskConductor
