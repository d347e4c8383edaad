// SPDX-License-Identifier: MIT
#include "slurmallocation.h"
#include "slurmclient.h"
#include "slurmstep.h"
#include "slurmstepscript.h"

#include <QtCore/qatomic.h>
#include <QtCore/qcoreapplication.h>
#include <QtCore/qregularexpression.h>

Q_LOGGING_CATEGORY(lcSlurm, "taskconductor.slurm", QtInfoMsg)

namespace TaskConductor {

/*!
    \class TaskConductor::SlurmAllocation
    \internal
    Sizing: sinfo tells the partition's usable CPUs (allocated + idle) and time limit. Asking
    for more CPUs than a partition has is not refused by Slurm (with EnforcePartLimits=NO): the
    job pends for ever with Reason=PartitionConfig. So the request is capped at what the
    partition has, and said once; the steps of the Broker's slots then share those CPUs, or
    wait for one (SlurmOptions::oneCpuPerStep).

    Holding: `salloc --no-shell` would return once granted and leave a job that outlives its
    host if the host dies (SIGKILL, OOM): nothing would cancel it, and without a time limit it
    runs for ever. Instead salloc runs a two-line holder script (slurmHolderScript) that reads
    a pipe from this process. Writing the release word (idle release, destruction) or dying
    ends the script, and salloc relinquishes the job. salloc itself gets SIGTERM when this
    process dies (PR_SET_PDEATHSIG), which revokes a request still pending. The time limit
    (SlurmOptions::timeLimitMinutes) is the last resort, if salloc is killed too.

    Waiting: a pending request is checked with squeue every pendingCheckMsecs; a new reason is
    reported once ("waiting for allocation J (Resources)"), and a reason that cannot clear
    (SlurmClient::reasonIsFinal) gives the request up and fails the waiting steps with it.
*/

namespace {

QString uniqueJobName(const QString &prefix)
{
    static QAtomicInteger<int> counter;
    return QStringLiteral("%1-%2-%3")
            .arg(prefix)
            .arg(QCoreApplication::applicationPid())
            .arg(counter.fetchAndAddRelaxed(1) + 1);
}

// Ends the holder script at once (a bare end of file means this process died: see
// slurmHolderScript).
void releaseHolder(QProcess *salloc)
{
    salloc->write(slurmHolderRelease);
    salloc->closeWriteChannel();
}

} // namespace

SlurmAllocation::SlurmAllocation(const SlurmOptions &opts)
    : options(opts)
    , jobName(uniqueJobName(opts.jobNamePrefix))
    , srunProgram(SlurmClient::program("srun"))
    , scancelProgram(SlurmClient::program("scancel"))
    , m_sallocProgram(SlurmClient::program("salloc"))
{
    m_idleTimer.setSingleShot(true);
    QObject::connect(&m_idleTimer, &QTimer::timeout, [this] { onIdle(); });
    QObject::connect(&m_pendingTimer, &QTimer::timeout, [this] { checkPending(); });
}

SlurmAllocation::~SlurmAllocation()
{
    m_idleTimer.stop();
    m_pendingTimer.stop();
    for (auto &query : m_queries) {
        query->disconnect();
        query->kill();
        query->waitForFinished(500);
    }
    if (m_salloc)
        m_salloc->disconnect();
    giveBack(2000);
}

void SlurmAllocation::acquire(SlurmStep *step)
{
    m_holders.append(step);
    m_idleTimer.stop();
    if (m_state == State::Granted && !m_givingBack)
        return step->launchInAllocation(jobId);
    m_waiting.append(step);
    if (m_state == State::None)
        requestAllocation();
}

void SlurmAllocation::release(SlurmStep *step)
{
    m_waiting.removeOne(step);
    m_holders.removeOne(step);
    if (m_holders.isEmpty() && m_state != State::None)
        m_idleTimer.start(std::max(0, options.idleReleaseMsecs));
}

void SlurmAllocation::openSession(const void *key, int maxConcurrentTasks,
                                  std::function<void(const QString &)> notify)
{
    m_sessionTasks = std::max(m_sessionTasks, maxConcurrentTasks);
    m_noticeSinks.insert(key, std::move(notify));
}

void SlurmAllocation::closeSession(const void *key)
{
    m_noticeSinks.remove(key);
}

void SlurmAllocation::releaseIfIdle()
{
    if (m_holders.isEmpty())
        giveBack(0);
}

void SlurmAllocation::onIdle()
{
    if (m_holders.isEmpty())
        giveBack(0);
}

void SlurmAllocation::query(const QStringList &command, std::function<void(const QString &)> done)
{
    auto process = std::make_unique<QProcess>();
    QProcess *p = process.get();
    p->setStandardInputFile(QProcess::nullDevice());
    const auto finish = [this, p, done](bool ok) {
        const QString out = ok ? QString::fromLocal8Bit(p->readAllStandardOutput()) : QString();
        for (auto it = m_queries.begin(); it != m_queries.end(); ++it) {
            if (it->get() == p) {
                it->release()->deleteLater(); // not inside its own signal
                m_queries.erase(it);
                break;
            }
        }
        done(out);
    };
    QObject::connect(p, &QProcess::finished, p, [p, finish](int code, QProcess::ExitStatus s) {
        finish(s == QProcess::NormalExit && code == 0);
    });
    QObject::connect(p, &QProcess::errorOccurred, p, [finish](QProcess::ProcessError error) {
        if (error == QProcess::FailedToStart)
            finish(false);
    });
    m_queries.push_back(std::move(process));
    p->start(command.first(), command.mid(1), QIODevice::ReadOnly);
}

void SlurmAllocation::requestAllocation()
{
    m_state = State::Sizing;
    m_sallocMessages.clear();
    m_requestedJobId.clear();
    m_lastReason.clear();
    m_refusal.clear();
    query({ SlurmClient::program("sinfo"), QStringLiteral("-h"), QStringLiteral("-o"),
            QStringLiteral("%P %C %l") },
          [this](const QString &out) { onSizes(out); });
}

void SlurmAllocation::onSizes(const QString &sinfoOutput)
{
    if (m_state != State::Sizing)
        return;
    if (m_holders.isEmpty()) { // nobody waits any more
        m_state = State::None;
        return;
    }
    const SlurmClient::PartitionSize size =
            SlurmClient::partitionSize(sinfoOutput, options.partition);
    int tasks = std::max(1, options.allocationTasks > 0 ? options.allocationTasks : m_sessionTasks);
    if (size.usableCpus > 0 && tasks > size.usableCpus) {
        if (!std::exchange(m_cappedNoticeGiven, true)) {
            const QString partition = options.partition.isEmpty()
                    ? QStringLiteral("the default partition")
                    : QStringLiteral("partition %1").arg(options.partition);
            notice(options.oneCpuPerStep
                           ? QStringLiteral("Slurm: %1 has %2 usable CPUs, not %3: at most %2 "
                                            "tasks run at once, one CPU each")
                                     .arg(partition)
                                     .arg(size.usableCpus)
                                     .arg(tasks)
                           : QStringLiteral("Slurm: %1 has %2 usable CPUs, not %3: the %3 tasks "
                                            "at once share %2 CPUs (srun --overlap)")
                                     .arg(partition)
                                     .arg(size.usableCpus)
                                     .arg(tasks));
        }
        tasks = size.usableCpus;
    }
    int minutes = std::max(0, options.timeLimitMinutes);
    if (minutes > 0 && size.maxMinutes > 0)
        minutes = std::min(minutes, size.maxMinutes);
    startSalloc(tasks, minutes);
}

void SlurmAllocation::startSalloc(int tasks, int minutes)
{
    QStringList args { QStringLiteral("--job-name=") + jobName,
                       QStringLiteral("--ntasks=%1").arg(tasks) };
    if (!options.partition.isEmpty())
        args << QStringLiteral("--partition=") + options.partition;
    if (!options.account.isEmpty())
        args << QStringLiteral("--account=") + options.account;
    if (minutes > 0
        && !SlurmClient::hasOption(options.extraSallocArguments, QStringLiteral("--time"),
                                   QStringLiteral("-t")))
        args << QStringLiteral("--time=%1").arg(minutes);
    args << options.extraSallocArguments << QStringLiteral("/bin/sh") << QStringLiteral("-c")
         << QString::fromLatin1(slurmHolderScript);

    m_state = State::Requested;
    m_requestedCpus = tasks;
    m_salloc = std::make_unique<QProcess>();
    m_salloc->setProgram(m_sallocProgram);
    m_salloc->setArguments(args);
    m_salloc->setProcessChannelMode(QProcess::MergedChannels);
    SlurmClient::bindToParent(*m_salloc);
    QObject::connect(m_salloc.get(), &QProcess::readyRead, m_salloc.get(),
                     [this] { onSallocOutput(); });
    QObject::connect(m_salloc.get(), &QProcess::finished, m_salloc.get(),
                     [this] { onSallocFinished(); });
    QObject::connect(m_salloc.get(), &QProcess::errorOccurred, m_salloc.get(),
                     [this](QProcess::ProcessError error) {
                         if (error == QProcess::FailedToStart) {
                             m_sallocMessages =
                                     QStringLiteral("salloc: ") + m_salloc->errorString();
                             onSallocFinished();
                         }
                     });
    qCDebug(lcSlurm) << "requesting allocation" << args;
    // Read-write: the holder script's stdin is this pipe (releaseHolder()).
    m_salloc->start(QIODevice::ReadWrite);
}

void SlurmAllocation::onSallocOutput()
{
    static const QRegularExpression allocation(QStringLiteral("job allocation (\\d+)"));
    static const QRegularExpression holding(QStringLiteral("^tc-holding (\\d+)$"));
    static const QRegularExpression chatter(
            QStringLiteral("queued and waiting|Waiting for resource|are ready for job"));
    while (m_salloc && m_salloc->canReadLine()) {
        const QString line = QString::fromLocal8Bit(m_salloc->readLine()).trimmed();
        if (const QRegularExpressionMatch ready = holding.match(line); ready.hasMatch()) {
            onGranted(ready.captured(1));
            continue;
        }
        if (const QRegularExpressionMatch match = allocation.match(line); match.hasMatch()) {
            if (m_requestedJobId.isEmpty() && line.contains(QLatin1String("Pending")))
                m_pendingTimer.start(std::max(100, options.pendingCheckMsecs));
            m_requestedJobId = match.captured(1);
        }
        // The job ended under us (time limit, scancel, SIGTERM): salloc waits for the holder.
        if (line.contains(QLatin1String("revoked")))
            releaseHolder(m_salloc.get());
        if (!line.isEmpty() && !chatter.match(line).hasMatch() && !allocation.match(line).hasMatch()
            && m_sallocMessages.size() < 4096)
            m_sallocMessages +=
                    (m_sallocMessages.isEmpty() ? QString() : QStringLiteral("; ")) + line;
    }
}

void SlurmAllocation::onGranted(const QString &grantedJobId)
{
    m_pendingTimer.stop();
    m_state = State::Granted;
    jobId = grantedJobId;
    cpus = m_requestedCpus;
    qCDebug(lcSlurm) << "allocation" << jobId << "of" << cpus << "CPUs granted as" << jobName;
    if (m_givingBack) // nobody wants it any more
        return;
    for (SlurmStep *step : std::exchange(m_waiting, {}))
        step->launchInAllocation(jobId);
    if (m_holders.isEmpty())
        m_idleTimer.start(std::max(0, options.idleReleaseMsecs));
}

void SlurmAllocation::onSallocFinished()
{
    if (!m_salloc)
        return; // FailedToStart is followed by no finished(), but be sure
    onSallocOutput();
    const QString rest = QString::fromLocal8Bit(m_salloc->readAll()).trimmed();
    if (!rest.isEmpty())
        m_sallocMessages += QStringLiteral("; ") + rest;
    const bool expected = m_givingBack;
    const State state = std::exchange(m_state, State::None);
    const QString lostJob = std::exchange(jobId, {});
    cpus = 0;
    m_givingBack = false;
    m_pendingTimer.stop();
    m_salloc.release()->deleteLater(); // not inside its own signal
    // salloc relinquished the job if it got as far as running the holder; scancel in case it
    // ended some other way (killed), so that no job id is forgotten while Slurm still has it.
    const QString lastJob = lostJob.isEmpty() ? m_requestedJobId : lostJob;
    if (!lastJob.isEmpty())
        SlurmClient::scancel(scancelProgram, { lastJob });

    if (state == State::Granted && !expected)
        qCWarning(lcSlurm).noquote()
                << "allocation" << lostJob << "is gone:"
                << (m_sallocMessages.isEmpty() ? QStringLiteral("salloc ended") : m_sallocMessages);
    if (state == State::Requested && !expected) {
        const QString why = !m_refusal.isEmpty() ? m_refusal
                : !m_sallocMessages.isEmpty()
                ? m_sallocMessages
                : QStringLiteral("salloc ended before the allocation was ready");
        const QString message = QStringLiteral("no Slurm allocation: %1").arg(why);
        qCWarning(lcSlurm).noquote() << message;
        return failWaiting(message);
    }
    if (!m_waiting.isEmpty()) // steps came while it ended, or found it gone
        requestAllocation();
}

void SlurmAllocation::failWaiting(const QString &why)
{
    for (SlurmStep *step : std::exchange(m_waiting, {}))
        step->allocationFailed(why);
}

void SlurmAllocation::checkPending()
{
    if (m_state != State::Requested || m_requestedJobId.isEmpty() || m_pendingQueryRunning)
        return;
    m_pendingQueryRunning = true;
    const QString job = m_requestedJobId;
    query({ SlurmClient::program("squeue"), QStringLiteral("-h"), QStringLiteral("-j"), job,
            QStringLiteral("-o"), QStringLiteral("%r") },
          [this, job](const QString &out) {
              m_pendingQueryRunning = false;
              if (m_state == State::Requested && job == m_requestedJobId)
                  onPendingReason(out.trimmed());
          });
}

void SlurmAllocation::onPendingReason(const QString &reason)
{
    if (reason.isEmpty() || reason == QLatin1String("None") || m_givingBack)
        return;
    if (SlurmClient::reasonIsFinal(reason)) {
        m_refusal =
                QStringLiteral("job %1 can never start (Reason=%2)%3")
                        .arg(m_requestedJobId, reason,
                             m_sallocMessages.isEmpty() ? QString()
                                                        : QStringLiteral(": ") + m_sallocMessages);
        m_pendingTimer.stop();
        SlurmClient::scancel(scancelProgram, { m_requestedJobId });
        m_salloc->terminate(); // salloc revokes a pending request on SIGTERM
        return;
    }
    if (std::exchange(m_lastReason, reason) != reason)
        notice(QStringLiteral("Slurm: waiting for allocation %1 (%2)")
                       .arg(m_requestedJobId, reason));
}

void SlurmAllocation::checkLost(SlurmStep *step, const QString &failedJobId,
                                const QString &srunMessage)
{
    query({ SlurmClient::program("squeue"), QStringLiteral("-h"), QStringLiteral("-j"), failedJobId,
            QStringLiteral("-o"), QStringLiteral("%T") },
          [this, step, failedJobId, srunMessage](const QString &out) {
              if (!m_holders.contains(step))
                  return; // the step went meanwhile
              const QString state = out.trimmed();
              const bool alive =
                      state == QLatin1String("RUNNING") || state == QLatin1String("CONFIGURING");
              if (alive)
                  return step->allocationFailed(srunMessage);
              if (m_state == State::Granted && jobId == failedJobId) {
                  // Not noticed by salloc yet (else its end said so, and jobId changed).
                  qCWarning(lcSlurm).noquote()
                          << "allocation" << failedJobId << "is gone:" << srunMessage;
                  m_givingBack = true; // salloc ends once the holder does
                  releaseHolder(m_salloc.get());
              }
              if (m_state == State::Granted && !m_givingBack)
                  return step->launchInAllocation(jobId); // a new one already
              m_waiting.append(step);
              if (m_state == State::None)
                  requestAllocation();
          });
}

void SlurmAllocation::giveBack(int waitMsecs)
{
    m_idleTimer.stop();
    m_pendingTimer.stop();
    if (m_state == State::Sizing)
        m_state = State::None; // onSizes() sees it
    if (!m_salloc)
        return;
    m_givingBack = true;
    if (m_state == State::Granted) {
        qCDebug(lcSlurm) << "releasing allocation" << jobId;
        releaseHolder(m_salloc.get()); // the holder ends; salloc relinquishes the job
    } else {
        m_salloc->terminate(); // revokes the pending request
    }
    if (waitMsecs <= 0)
        return;
    // Destruction only: return once Slurm has it back, so that nothing outlives the host.
    if (m_salloc->waitForFinished(waitMsecs))
        return;
    const QString job = jobId.isEmpty() ? m_requestedJobId : jobId;
    SlurmClient::scancel(scancelProgram,
                         job.isEmpty() ? QStringList { QStringLiteral("--name=") + jobName }
                                       : QStringList { job });
    m_salloc->terminate();
    if (!m_salloc->waitForFinished(1000)) {
        m_salloc->kill();
        m_salloc->waitForFinished(1000);
    }
}

void SlurmAllocation::notice(const QString &message)
{
    if (m_noticeSinks.isEmpty())
        qCInfo(lcSlurm).noquote() << message;
    for (const auto &sink : std::as_const(m_noticeSinks))
        sink(message);
}

} // namespace TaskConductor
