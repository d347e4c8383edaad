// SPDX-License-Identifier: MIT
// Uses an installed TaskConductor, as an outside project would.
#include <taskconductor/broker.h>

#include <QtCore/qcoreapplication.h>

#include <cstdio>

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    TaskConductor::Broker broker;
    broker.enqueue(
            TaskConductor::TaskDescriptor({ QStringLiteral("/bin/true") }),
            [](const TaskConductor::TaskEvent &event) {
                if (event.isTerminal()) {
                    std::printf("consumer: %s\n",
                                qPrintable(TaskConductor::TaskEvent::kindName(event.kind())));
                    QCoreApplication::exit(event.kind() == TaskConductor::EventKind::Finished ? 0
                                                                                              : 1);
                }
            });
    return app.exec();
}
