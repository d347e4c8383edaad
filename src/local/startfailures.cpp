// SPDX-License-Identifier: MIT
#include "startfailures.h"
#include "execlimits.h"

#include <QtCore/qdir.h>
#include <QtCore/qfile.h>
#include <QtCore/qstandardpaths.h>

#include <cerrno>
#include <cstring>
#include <sys/stat.h>
#include <unistd.h>

namespace TaskConductor {

/*!
    Qt 6.4 leaks one pipe per exec() that fails in the child, so the failures that can be seen
    from the host never get that far. What cannot be predicted (fork failure, an argument list
    within sysconf(_SC_ARG_MAX) but over the kernel's 6 MiB cap) still goes through QProcess.
    The exec checks the program before it counts the arguments, so a missing program is
    reported first, as the exec would. A child that execs the task itself (ChildExec) exits
    after a failed exec instead of returning to QProcess: there only the working directory,
    which QProcess enters before, is predicted.
*/

namespace {

const QLatin1String workingDirectoryPrefix("chdir:");

QString errnoText(int error)
{
    return QString::fromLocal8Bit(::strerror(error));
}

ProcessEnd programFailure(int error)
{
    return ProcessEnd::failedToStart(StartFailure::Program,
                                     QStringLiteral("execvp: ") + errnoText(error));
}

std::optional<ProcessEnd> workingDirectoryFailure(const QString &workingDirectory)
{
    // One system call: "<dir>/." resolves only through a directory (ENOTDIR for a file), and
    // X_OK on it is the search permission chdir() needs (ENOENT, EACCES as chdir() says them).
    QByteArray directory = QFile::encodeName(workingDirectory);
    if (!directory.isEmpty())
        directory.append("/.");
    if (::access(directory.constData(), X_OK) != 0)
        return ProcessEnd::failedToStart(StartFailure::WorkingDirectory, errnoText(errno));
    return std::nullopt;
}

std::optional<ProcessEnd> programMissingOrForbidden(const QString &program,
                                                    const QString &workingDirectory,
                                                    const QProcessEnvironment &environment)
{
    // Plain system calls: QFileInfo and QDir cost more than the calls themselves, per start.
    if (!program.contains(QLatin1Char('/'))) {
        // Either PATH may find it: QProcess looks in the host's, execvp in the child's.
        const QString childPath = environment.value(QStringLiteral("PATH"));
        if (!QStandardPaths::findExecutable(program).isEmpty()
            || !QStandardPaths::findExecutable(program, childPath.split(QLatin1Char(':')))
                        .isEmpty())
            return std::nullopt;
        return programFailure(ENOENT);
    }
    const QByteArray file =
            QFile::encodeName(program.startsWith(QLatin1Char('/'))
                                      ? program
                                      : QDir(workingDirectory).absoluteFilePath(program));
    if (::access(file.constData(), X_OK) != 0)
        return programFailure(errno);
    struct stat fileStatus
    {
    };
    if (::stat(file.constData(), &fileStatus) == 0 && S_ISDIR(fileStatus.st_mode))
        return programFailure(EACCES);
    return std::nullopt;
}

} // namespace

std::optional<ProcessEnd> predictStartFailure(const QStringList &command,
                                              const QString &workingDirectory,
                                              const QProcessEnvironment &environment,
                                              const QString &extraVariable,
                                              ExecFailures execFailures)
{
    if (auto failure = workingDirectoryFailure(workingDirectory))
        return failure;
    if (execFailures == ExecFailures::LeaveToTheChild)
        return std::nullopt; // the kernel decides, in its order
    if (auto failure = programMissingOrForbidden(command.first(), workingDirectory, environment))
        return failure;
    // The limit follows RLIMIT_STACK, which the host may change: read per start, but only when
    // the command is over what every host allows. QProcess calls execve() when it is given an
    // environment, execvp() when not.
    if (exceedsExecLimits(command, environment, ExecLimits::guaranteed(), extraVariable)
        && exceedsExecLimits(command, environment, ExecLimits::current(), extraVariable))
        return ProcessEnd::failedToStart(StartFailure::ArgumentListTooLong,
                                         (environment.isEmpty() && extraVariable.isEmpty()
                                                  ? QStringLiteral("execvp: ")
                                                  : QStringLiteral("execve: "))
                                                 + errnoText(E2BIG));
    return std::nullopt;
}

ProcessEnd startFailureFromQProcess(const QString &errorString)
{
    if (errorString.startsWith(workingDirectoryPrefix))
        return ProcessEnd::failedToStart(StartFailure::WorkingDirectory,
                                         errorString.mid(workingDirectoryPrefix.size()).trimmed());
    StartFailure what = StartFailure::Other;
    if (errorString.endsWith(errnoText(E2BIG)))
        what = StartFailure::ArgumentListTooLong;
    else if (errorString.startsWith(QLatin1String("execv")))
        what = StartFailure::Program;
    else if (errorString.startsWith(QLatin1String("Resource error")))
        what = StartFailure::Resources;
    return ProcessEnd::failedToStart(what, errorString);
}

} // namespace TaskConductor
