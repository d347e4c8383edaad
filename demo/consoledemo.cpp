// SPDX-License-Identifier: MIT
// Two clients share one Broker. Each enqueue carries its client's own handler, so each client
// prints only its own tasks' events: echo, a task that fails and retries with jitter, one that
// times out, one that is canceled, and one rejected because the queue is full.
#include <taskconductor/broker.h>

#include <QtCore/qcoreapplication.h>
#include <QtCore/qtimer.h>

#include <cstdio>
#include <memory>

using namespace TaskConductor;

namespace {

class Client
{
public:
    Client(Broker &broker, const char *name)
        : m_broker(broker)
        , m_name(name)
    { }

    TaskId run(const QStringList &command, double timeoutSeconds = -1)
    {
        TaskDescriptor task(command);
        if (timeoutSeconds >= 0)
            task.setTimeoutSeconds(timeoutSeconds);
        // Isolation check, shown to the reader: each handler sees one task id only. A rejection
        // arrives before enqueue() returns, so the first event may teach the handler its id.
        auto mine = std::make_shared<TaskId>(0);
        const TaskId id = m_broker.enqueue(task, [this, mine](const TaskEvent &event) {
            if (*mine == 0)
                *mine = event.taskId();
            const bool isMine = *mine == event.taskId();
            ++m_events;
            m_foreign += isMine ? 0 : 1;
            print(event, isMine);
        });
        *mine = id;
        m_tasks.append(QString::number(id));
        return id;
    }

    //! The isolation check, in one line: how many events this client received, and whether any
    //! of them belonged to a task it did not enqueue.
    void printTally() const
    {
        std::printf("[%s] received %d events, %s; its tasks: %s\n", m_name, m_events,
                    m_foreign == 0 ? "none of them for another client's task"
                                   : "SOME FOR ANOTHER CLIENT'S TASK (isolation broken)",
                    qPrintable(m_tasks.join(QLatin1String(", "))));
    }

private:
    void print(const TaskEvent &event, bool mine) const
    {
        const char *mark = mine ? "" : "  <-- NOT MINE (isolation broken)";
        std::printf("[%s] task %llu %-13s %s%s\n", m_name,
                    static_cast<unsigned long long>(event.taskId()),
                    qPrintable(TaskEvent::kindName(event.kind())), qPrintable(event.description()),
                    mark);
        std::fflush(stdout);
    }

    Broker &m_broker;
    const char *m_name;
    int m_events = 0;
    int m_foreign = 0;
    QStringList m_tasks;
};

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);

    BrokerConfig config;
    config.maxConcurrentTasks = 2;
    config.maxQueueDepth = 4;
    config.retry.count = 2;
    config.retry.delaySeconds = 0.2;
    config.retry.backoffMultiplier = 2;
    config.retry.jitterSeconds = 0.05;
    config.killGraceSeconds = 0.5;
    Broker broker(config);

    Client ui(broker, "ui");
    Client ingest(broker, "ingest");

    ui.run({ QStringLiteral("/bin/echo"), QStringLiteral("hello from the ui client") });
    ingest.run({ QStringLiteral("/bin/sh"), QStringLiteral("-c"),
                 QStringLiteral("echo 'flaky step'; echo 'going wrong' >&2; exit 3") });
    ui.run({ QStringLiteral("/bin/sleep"), QStringLiteral("5") }, 0.3);
    const TaskId doomed = ingest.run({ QStringLiteral("/bin/sleep"), QStringLiteral("30") });
    ui.run({ QStringLiteral("/bin/echo"), QStringLiteral("second ui task") });
    ingest.run({ QStringLiteral("/bin/echo"), QStringLiteral("ingest done") });
    // Two running and four pending: this one does not fit and is rejected at once.
    ingest.run({ QStringLiteral("/bin/echo"), QStringLiteral("one too many") });

    QTimer::singleShot(100, &broker, [&] { broker.cancel(doomed); });
    QObject::connect(&broker, &Broker::idle, &app, [&] {
        std::printf("all tasks ended\n");
        ui.printTally();
        ingest.printTally();
        QCoreApplication::quit();
    });
    return app.exec();
}
