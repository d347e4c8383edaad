// SPDX-License-Identifier: MIT
#include "slurmclient.h"
#include "slurmallocation.h" // lcSlurm

#include <QtCore/qstandardpaths.h>

#include <csignal>
#include <sys/prctl.h>
#include <unistd.h>

namespace TaskConductor::SlurmClient {

QString program(const char *name)
{
    const QString found = QStandardPaths::findExecutable(QLatin1String(name));
    return found.isEmpty() ? QLatin1String(name) : found;
}

void bindToParent(QProcess &process)
{
    const pid_t parent = ::getpid();
    // Runs in the child between fork and exec: async-signal-safe calls only.
    process.setChildProcessModifier([parent] {
        ::setpgid(0, 0);
        ::prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (::getppid() != parent) // the parent died before prctl()
            ::raise(SIGTERM);
    });
}

void scancel(const QString &scancelProgram, const QStringList &arguments)
{
    QProcess scancel;
    scancel.setProgram(scancelProgram);
    scancel.setArguments(arguments);
    scancel.setStandardInputFile(QProcess::nullDevice());
    scancel.setStandardOutputFile(QProcess::nullDevice());
    scancel.setStandardErrorFile(QProcess::nullDevice()); // "Invalid job id": already gone
    if (!scancel.startDetached())
        qCWarning(lcSlurm) << "could not run scancel" << arguments;
}

int minutesOf(const QString &slurmTime)
{
    QString text = slurmTime.trimmed();
    int days = 0;
    const qsizetype dash = text.indexOf(QLatin1Char('-'));
    bool ok = true;
    if (dash > 0) {
        days = text.left(dash).toInt(&ok);
        text = text.mid(dash + 1);
        if (!ok)
            return -1;
    }
    const QStringList parts = text.split(QLatin1Char(':'));
    QList<int> values;
    for (const QString &part : parts) {
        values.append(part.toInt(&ok));
        if (!ok || values.last() < 0)
            return -1;
    }
    int minutes = 0;
    if (dash > 0) { // days-hours[:minutes[:seconds]]
        minutes = values.value(0) * 60 + values.value(1) + (values.value(2) > 0 ? 1 : 0);
    } else if (values.size() == 1) { // minutes
        minutes = values[0];
    } else if (values.size() == 2) { // minutes:seconds
        minutes = values[0] + (values[1] > 0 ? 1 : 0);
    } else if (values.size() == 3) { // hours:minutes:seconds
        minutes = values[0] * 60 + values[1] + (values[2] > 0 ? 1 : 0);
    } else {
        return -1;
    }
    return days * 24 * 60 + minutes;
}

PartitionSize partitionSize(const QString &sinfoOutput, const QString &partition)
{
    const QStringList wanted = partition.split(QLatin1Char(','), Qt::SkipEmptyParts);
    QHash<QString, PartitionSize> sizes;
    QString defaultPartition;
    for (const QString &line : sinfoOutput.split(QLatin1Char('\n'), Qt::SkipEmptyParts)) {
        const QStringList fields = line.simplified().split(QLatin1Char(' '));
        if (fields.size() < 3)
            continue;
        QString name = fields[0];
        if (name.endsWith(QLatin1Char('*'))) {
            name.chop(1);
            defaultPartition = name;
        }
        const QStringList cpus = fields[1].split(QLatin1Char('/')); // allocated/idle/other/total
        if (cpus.size() != 4)
            continue;
        PartitionSize &size = sizes[name];
        size.usableCpus = std::max(0, size.usableCpus) + cpus[0].toInt() + cpus[1].toInt();
        size.maxMinutes = minutesOf(fields[2]);
    }
    PartitionSize best;
    for (const QString &name : wanted.isEmpty() ? QStringList { defaultPartition } : wanted) {
        const PartitionSize size = sizes.value(name);
        if (size.usableCpus > best.usableCpus)
            best = size;
    }
    return best;
}

bool reasonIsFinal(const QString &reason)
{
    static const QStringList finalReasons = {
        QStringLiteral("PartitionConfig"),          QStringLiteral("PartitionNodeLimit"),
        QStringLiteral("PartitionTimeLimit"),       QStringLiteral("BadConstraints"),
        QStringLiteral("InvalidAccount"),           QStringLiteral("InvalidQOS"),
        QStringLiteral("AccountNotAllowed"),        QStringLiteral("QOSNotAllowed"),
        QStringLiteral("DependencyNeverSatisfied"),
    };
    if (finalReasons.contains(reason))
        return true;
    // A per-job limit never grows by waiting; per-user and group limits free up.
    return (reason.startsWith(QLatin1String("QOSMax"))
            || reason.startsWith(QLatin1String("AssocMax")))
            && reason.contains(QLatin1String("PerJob"));
}

bool hasOption(const QStringList &arguments, const QString &longName, const QString &shortName)
{
    for (const QString &argument : arguments) {
        if (argument == longName || argument.startsWith(longName + QLatin1Char('=')))
            return true;
        if (!shortName.isEmpty() && argument.startsWith(shortName))
            return true;
    }
    return false;
}

} // namespace TaskConductor::SlurmClient
