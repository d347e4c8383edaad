// SPDX-License-Identifier: MIT
#include "haltpolicy.h"

#include <QtCore/qstringlist.h>

#include <cmath>

namespace TaskConductor {

std::optional<HaltPolicy> HaltPolicy::parse(const QString &text, QString &error)
{
    HaltPolicy policy;
    if (text == QLatin1String("never"))
        return policy;
    const QString expected =
            QStringLiteral(
                    "--halt: \"%1\" is not never, soon,fail=N, now,fail=N, soon,success=N or "
                    "now,success=N (N a count or a percentage such as 10%)")
                    .arg(text);
    const QStringList parts = text.split(u',');
    if (parts.size() != 2) {
        error = expected;
        return std::nullopt;
    }
    if (parts.at(0) == QLatin1String("soon"))
        policy.when = When::Soon;
    else if (parts.at(0) == QLatin1String("now"))
        policy.when = When::Now;
    else {
        error = expected;
        return std::nullopt;
    }
    const QStringList condition = parts.at(1).split(u'=');
    if (condition.size() != 2) {
        error = expected;
        return std::nullopt;
    }
    if (condition.at(0) == QLatin1String("fail"))
        policy.trigger = Trigger::Fail;
    else if (condition.at(0) == QLatin1String("success"))
        policy.trigger = Trigger::Success;
    else {
        error = expected;
        return std::nullopt;
    }
    QString amount = condition.at(1);
    bool ok = false;
    if (amount.endsWith(u'%')) {
        amount.chop(1);
        policy.percent = amount.toDouble(&ok);
        if (!ok || !std::isfinite(policy.percent) || policy.percent <= 0 || policy.percent > 100) {
            error = QStringLiteral("--halt: \"%1\" is not a percentage above 0 and at most 100%")
                            .arg(condition.at(1));
            return std::nullopt;
        }
    } else {
        policy.count = amount.toLongLong(&ok);
        if (!ok || policy.count < 1) {
            error = QStringLiteral("--halt: \"%1\" is not a count of at least 1")
                            .arg(condition.at(1));
            return std::nullopt;
        }
    }
    return policy;
}

bool HaltPolicy::reached(qint64 failed, qint64 succeeded, qint64 ended, qint64 total) const
{
    if (when == When::Never)
        return false;
    const qint64 counted = trigger == Trigger::Fail ? failed : succeeded;
    if (counted == 0)
        return false;
    if (percent <= 0)
        return counted >= count;
    const qint64 of = total >= 0 ? total : ended;
    return of > 0 && double(counted) * 100.0 >= percent * double(of);
}

QString HaltPolicy::toString() const
{
    if (when == When::Never)
        return QStringLiteral("never");
    return QStringLiteral("%1,%2=%3")
            .arg(when == When::Soon ? QLatin1String("soon") : QLatin1String("now"),
                 trigger == Trigger::Fail ? QLatin1String("fail") : QLatin1String("success"),
                 percent > 0 ? QString::number(percent) + u'%' : QString::number(count));
}

QString HaltPolicy::reason(qint64 failed, qint64 succeeded) const
{
    const qint64 counted = trigger == Trigger::Fail ? failed : succeeded;
    return QStringLiteral("halted after %1 task%2 %3 (--halt %4)")
            .arg(counted)
            .arg(counted == 1 ? QString() : QStringLiteral("s"))
            .arg(trigger == Trigger::Fail ? QLatin1String("failed") : QLatin1String("succeeded"),
                 toString());
}

} // namespace TaskConductor
