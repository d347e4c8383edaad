// SPDX-License-Identifier: MIT
// A Widgets application that uses an installed TaskConductor: a QTableView over TaskListModel.
#include <taskconductor/broker.h>
#include <taskconductor/tasklistmodel.h>

#include <QtCore/qtimer.h>
#include <QtWidgets/qapplication.h>
#include <QtWidgets/qtableview.h>

#include "../loadedlibraries.h"

#include <cstdio>

using namespace TaskConductor;

int main(int argc, char **argv)
{
    QApplication app(argc, argv);
    Broker broker;
    auto *model = new TaskListModel(&broker);
    model->setBroker(&broker);
    QTableView view;
    view.setModel(model);
    view.show();

    TaskDescriptor task({ QStringLiteral("/bin/echo"), QStringLiteral("hello from widgets") });
    task.setName(QStringLiteral("greeting"));
    const TaskId id = broker.enqueue(task);
    model->addTask(id, task);

    // What the view shows of the row, each time the model tells the view it changed.
    QString state;
    QString lastLine;
    QObject::connect(view.model(), &QAbstractItemModel::dataChanged, &app, [&] {
        const QModelIndex row = view.model()->index(0, 0);
        state = row.data(TaskListModel::StateRole).toString();
        lastLine = row.data(TaskListModel::LastLineRole).toString();
        if (row.data(TaskListModel::DoneRole).toBool())
            app.quit();
    });
    QTimer::singleShot(30000, &app, [] { QCoreApplication::exit(2); });
    const int rc = app.exec();
    printLoadedLibraries();
    const QString shown = view.model()->index(0, 0).data(Qt::DisplayRole).toString();
    std::printf("consumer: %s, rows %d, row \"%s\" last line \"%s\"\n", qPrintable(state),
                view.model()->rowCount(), qPrintable(shown), qPrintable(lastLine));
    return rc == 0 && state == QLatin1String("finished") && view.model()->rowCount() == 1
                    && shown == QLatin1String("greeting")
                    && lastLine == QLatin1String("hello from widgets")
            ? 0
            : 1;
}
