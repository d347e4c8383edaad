// SPDX-License-Identifier: MIT
#include "sqlitetaskstore_p.h"

#include <taskconductor/sqlitetaskstore.h>

#include <QtSql/qsqldatabase.h>
#include <QtSql/qsqldriver.h>
#include <QtSql/qsqlerror.h>
#include <QtSql/qsqlquery.h>

#include <QtCore/qfile.h>
#include <QtCore/qfileinfo.h>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

namespace TaskConductor {

/*!
    \class TaskConductor::SqliteTaskStore
    One table, one row per task; the row is updated in place as the task moves on, so the file
    grows with the number of tasks, not of events. Writes go into a transaction that is opened
    by the first record and committed by flush(): the Broker commits after every terminal event
    (so a task the store shows as ended is never rerun) and at least every ~200 ms.
*/

namespace {

constexpr int SchemaVersion = 1;

// The store holds every task's environment, which may carry secrets: a new file is created
// readable by its owner only, before SQLite sees the path. SQLite creates the -wal and -shm
// files with the main file's permissions (whatever the umask), so they follow. An existing file
// keeps its mode (the host's choice). Not for ":memory:" or URI names.
void createOwnerOnly(const QString &path)
{
    if (path.isEmpty() || path == QLatin1String(":memory:")
        || path.startsWith(QLatin1String("file:")))
        return;
    // O_EXCL: an existing path (file, FIFO, device, link) is left alone and never opened here.
    const int fd = ::open(QFile::encodeName(path).constData(),
                          O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOCTTY, 0600);
    if (fd >= 0)
        ::close(fd); // an empty file is a valid empty database to SQLite
    // Any failure (exists, no directory, no permission) is SQLite's to report at open.
}

} // namespace

SqliteTaskStore::SqliteTaskStore(const QString &path)
    : d(std::make_unique<SqliteTaskStorePrivate>())
{
    d->path = path;
    d->connectionName = QStringLiteral("taskconductor-store-%1").arg(quintptr(this), 0, 16);
}

SqliteTaskStore::~SqliteTaskStore()
{
    flush();
    d->close();
    d->db = QSqlDatabase();
    if (QSqlDatabase::contains(d->connectionName))
        QSqlDatabase::removeDatabase(d->connectionName);
}

QString SqliteTaskStore::path() const
{
    return d->path;
}

bool SqliteTaskStore::isOpen() const
{
    return d->db.isOpen() && d->markEnded.has_value();
}

QString SqliteTaskStore::errorString() const
{
    return d->error;
}

bool SqliteTaskStore::open()
{
    if (isOpen())
        return true;
    if (!QSqlDatabase::isDriverAvailable(QStringLiteral("QSQLITE"))) {
        d->error = QStringLiteral("cannot open task store '%1': the Qt SQLite driver (QSQLITE) "
                                  "is not installed")
                           .arg(d->path);
        return false;
    }
    if (d->refuseNonRegularFile())
        return false;
    if (!QSqlDatabase::contains(d->connectionName))
        d->db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), d->connectionName);
    d->db.setDatabaseName(d->path);
    createOwnerOnly(d->path);
    if (!d->db.open())
        return d->fail(QStringLiteral("cannot open"), d->db.lastError());

    // SQLite opens lazily: a file that is not a database shows up at the first statement.
    QSqlQuery version(d->db);
    if (!version.exec(QStringLiteral("PRAGMA user_version")) || !version.next()) {
        d->fail(QStringLiteral("cannot read (not an SQLite database, or corrupt)"),
                version.lastError());
        d->close();
        return false;
    }
    const int stored = version.value(0).toInt();
    version.finish();
    if (stored > SchemaVersion) {
        d->error = QStringLiteral("task store '%1' has schema version %2; this version of "
                                  "TaskConductor reads up to %3")
                           .arg(d->path)
                           .arg(stored)
                           .arg(SchemaVersion);
        d->close();
        return false;
    }
    const bool ok = d->exec(QStringLiteral("PRAGMA journal_mode=WAL"))
            && d->exec(QStringLiteral("PRAGMA synchronous=NORMAL"))
            && d->exec(QStringLiteral("PRAGMA busy_timeout=5000"))
            && d->exec(QStringLiteral(
                    "CREATE TABLE IF NOT EXISTS tasks (id INTEGER PRIMARY KEY, descriptor TEXT "
                    "NOT NULL, name TEXT, state TEXT NOT NULL, outcome TEXT, attempts INTEGER "
                    "NOT NULL DEFAULT 0, exit_code INTEGER NOT NULL DEFAULT 0, duration_ms "
                    "INTEGER NOT NULL DEFAULT 0, message TEXT, enqueued_at INTEGER, started_at "
                    "INTEGER, ended_at INTEGER, metrics TEXT)"))
            && d->addMetricsColumn()
            && d->exec(QStringLiteral("CREATE INDEX IF NOT EXISTS tasks_by_state ON tasks "
                                      "(state, id)"))
            && d->exec(QStringLiteral("CREATE TABLE IF NOT EXISTS task_sources (id INTEGER "
                                      "PRIMARY KEY, digest BLOB NOT NULL)"))
            && d->exec(QStringLiteral("PRAGMA user_version=%1").arg(SchemaVersion))
            && d->prepare(d->insertTask,
                          QStringLiteral("INSERT INTO tasks (id, descriptor, name, state, "
                                         "enqueued_at) VALUES (?, ?, ?, 'pending', ?) ON "
                                         "CONFLICT(id) DO UPDATE SET state = 'pending'"))
            && d->prepare(d->markStarted,
                          QStringLiteral("UPDATE tasks SET state = 'running', attempts = ?, "
                                         "started_at = COALESCE(started_at, ?) WHERE id = ?"))
            && d->prepare(d->markRetrying,
                          QStringLiteral("UPDATE tasks SET state = 'retryWait', attempts = ?, "
                                         "exit_code = ? WHERE id = ?"))
            && d->prepare(d->markEnded,
                          QStringLiteral("UPDATE tasks SET state = 'done', outcome = ?, attempts "
                                         "= MAX(attempts, ?), exit_code = ?, duration_ms = ?, "
                                         "message = ?, ended_at = ?, metrics = ? WHERE id = ?"))
            && d->prepare(d->markInterrupted,
                          QStringLiteral("UPDATE tasks SET state = 'interrupted', message = ? "
                                         "WHERE id = ? AND state IN ('running', 'retryWait')"))
            && d->prepare(d->insertDigest,
                          QStringLiteral("INSERT OR REPLACE INTO task_sources (id, digest) "
                                         "VALUES (?, ?)"));
    if (!ok) {
        if (d->error.contains(QLatin1String("not a database"))
            || d->error.contains(QLatin1String("malformed")))
            d->error.prepend(QStringLiteral("corrupt task store: "));
        d->close();
        return false;
    }
    d->error.clear();
    return true;
}

bool SqliteTaskStore::openReadOnly()
{
    if (d->db.isOpen())
        return true;
    if (!QSqlDatabase::isDriverAvailable(QStringLiteral("QSQLITE"))) {
        d->error = QStringLiteral("cannot open task store '%1': the Qt SQLite driver (QSQLITE) "
                                  "is not installed")
                           .arg(d->path);
        return false;
    }
    if (!QFileInfo(d->path).isFile()) {
        d->error = QStringLiteral("cannot open task store '%1': no such file").arg(d->path);
        return false;
    }
    if (!QSqlDatabase::contains(d->connectionName))
        d->db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), d->connectionName);
    d->db.setDatabaseName(d->path);
    d->db.setConnectOptions(QStringLiteral("QSQLITE_OPEN_READONLY;QSQLITE_BUSY_TIMEOUT=5000"));
    if (!d->db.open())
        return d->fail(QStringLiteral("cannot open"), d->db.lastError());
    // A reader of a WAL database never waits for the writer; only a checkpoint may hold it
    // briefly (the busy timeout).
    QSqlQuery check(d->db);
    if (!check.exec(QStringLiteral("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' "
                                   "AND name = 'tasks'"))
        || !check.next()) {
        d->fail(QStringLiteral("cannot read (not an SQLite database, or corrupt)"),
                check.lastError());
        d->close();
        return false;
    }
    if (check.value(0).toInt() != 1) {
        d->error = QStringLiteral("'%1' is not a task store (it has no tasks table)").arg(d->path);
        d->close();
        return false;
    }
    d->error.clear();
    return true;
}

bool SqliteTaskStore::lockForWriting()
{
    if (d->lockFd >= 0)
        return true;
    if (d->refuseNonRegularFile())
        return false;
    // flock(2), not fcntl(2): SQLite's own fcntl locks on the database are per process and
    // would be released by any close() of the file in this process; a flock belongs to this
    // descriptor only, so a second store object in the same process is refused too.
    const QString lockPath = d->path + QStringLiteral(".lock");
    const int fd =
            ::open(QFile::encodeName(lockPath).constData(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        d->error = QStringLiteral("cannot lock task store '%1': %2: %3")
                           .arg(d->path, lockPath, QString::fromLocal8Bit(::strerror(errno)));
        return false;
    }
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
        const int error = errno;
        char text[32] = {};
        const ssize_t n = ::pread(fd, text, sizeof text - 1, 0);
        ::close(fd);
        const QByteArray pid = QByteArray(text, int(qMax<ssize_t>(0, n))).trimmed();
        if (error == EWOULDBLOCK) {
            d->error = QStringLiteral("task store '%1' is in use by another run (pid %2); one "
                                      "writer at a time")
                               .arg(d->path,
                                    pid.isEmpty() ? QStringLiteral("unknown")
                                                  : QString::fromLatin1(pid));
        } else {
            d->error = QStringLiteral("cannot lock task store '%1': %2")
                               .arg(d->path, QString::fromLocal8Bit(::strerror(error)));
        }
        return false;
    }
    const QByteArray pid = QByteArray::number(qint64(::getpid())) + '\n';
    // Without the pid the lock still holds; another run's message then names no holder.
    if (::ftruncate(fd, 0) == 0) {
        [[maybe_unused]] const ssize_t written =
                ::pwrite(fd, pid.constData(), size_t(pid.size()), 0);
    }
    d->lockFd = fd;
    return true;
}

} // namespace TaskConductor
