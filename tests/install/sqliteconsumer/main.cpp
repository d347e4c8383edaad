// SPDX-License-Identifier: MIT
// Uses an installed TaskConductor::Sqlite: runs one task on a store, then reads it back.
#include <taskconductor/broker.h>
#include <taskconductor/sqlitetaskstore.h>

#include <QtCore/qcoreapplication.h>
#include <QtCore/qtemporarydir.h>

#include <cstdio>

using namespace TaskConductor;

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QTemporaryDir dir;
    auto store = std::make_shared<SqliteTaskStore>(dir.filePath(QStringLiteral("tasks.db")));
    if (!store->open()) {
        std::printf("consumer: %s\n", qPrintable(store->errorString()));
        return 1;
    }
    BrokerConfig config;
    config.store = store;
    Broker broker(config);
    broker.enqueue(TaskDescriptor({ QStringLiteral("/bin/true") }), [&](const TaskEvent &event) {
        if (!event.isTerminal())
            return;
        const QList<StoredTask> history = store->history({});
        const bool recorded = history.size() == 1 && history.first().outcome == event.outcome();
        std::printf("consumer: %s%s\n", qPrintable(TaskEvent::kindName(event.kind())),
                    recorded ? "" : " (not recorded)");
        QCoreApplication::exit(recorded ? 0 : 1);
    });
    return app.exec();
}
