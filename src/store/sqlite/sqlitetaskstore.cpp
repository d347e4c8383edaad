// SPDX-License-Identifier: MIT
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

QString stateName(TaskState state)
{
    switch (state) {
    case TaskState::Pending:
    case TaskState::Blocked: // stored as accepted; its dependencies decide again on resume
        return QStringLiteral("pending");
    case TaskState::Running:
    case TaskState::Stopping:
        return QStringLiteral("running");
    case TaskState::RetryWait:
        return QStringLiteral("retryWait");
    case TaskState::Done:
        return QStringLiteral("done");
    }
    return QString();
}

TaskState stateFromName(const QString &name)
{
    // "interrupted": stopped on purpose while running (recordInterrupted()); resumed as such.
    if (name == QLatin1String("running") || name == QLatin1String("interrupted"))
        return TaskState::Running;
    if (name == QLatin1String("retryWait"))
        return TaskState::RetryWait;
    if (name == QLatin1String("done"))
        return TaskState::Done;
    return TaskState::Pending;
}

QVariant msecs(const QDateTime &at)
{
    return at.isValid() ? QVariant(at.toMSecsSinceEpoch()) : QVariant();
}

QDateTime fromMsecs(const QVariant &value)
{
    return value.isNull() ? QDateTime() : QDateTime::fromMSecsSinceEpoch(value.toLongLong());
}

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

const char *const Columns = "id, descriptor, state, outcome, attempts, exit_code, duration_ms, "
                            "message, enqueued_at, started_at, ended_at, ";

} // namespace

class SqliteTaskStorePrivate
{
public:
    QString path;
    QString connectionName;
    QString error;
    QSqlDatabase db;
    std::optional<QSqlQuery> insertTask, markStarted, markRetrying, markEnded;
    std::optional<QSqlQuery> markInterrupted, insertDigest;
    bool inTransaction = false;
    int lockFd = -1; // the writer lock's file, flock()ed while open

    std::optional<bool> metricsColumn; // whether "tasks" has it; asked once
    bool hasMetricsColumn()
    {
        if (!metricsColumn) {
            QSqlQuery columns(db);
            metricsColumn = false;
            if (columns.exec(QStringLiteral("PRAGMA table_info(tasks)"))) {
                while (columns.next()) {
                    if (columns.value(1).toString() == QLatin1String("metrics"))
                        metricsColumn = true;
                }
            }
        }
        return *metricsColumn;
    }
    //! Stores made before metrics were kept (schema 1 without the column) get it, empty.
    bool addMetricsColumn()
    {
        if (hasMetricsColumn())
            return true;
        metricsColumn.reset();
        return exec(QStringLiteral("ALTER TABLE tasks ADD COLUMN metrics TEXT"));
    }

    ~SqliteTaskStorePrivate()
    {
        if (lockFd >= 0)
            ::close(lockFd); // releases the lock
    }
    //! A path that exists but is no regular file (/dev/null, a directory) is refused before
    //! SQLite creates anything next to it (a "-journal").
    bool refuseNonRegularFile()
    {
        struct stat info;
        if (::stat(QFile::encodeName(path).constData(), &info) == 0 && !S_ISREG(info.st_mode)) {
            error = QStringLiteral("cannot open task store '%1': not a regular file").arg(path);
            return true;
        }
        return false;
    }

    bool fail(const QString &what, const QSqlError &sqlError)
    {
        error = QStringLiteral("%1 (task store '%2'): %3").arg(what, path, sqlError.text());
        return false;
    }
    bool exec(const QString &sql)
    {
        QSqlQuery query(db);
        if (!query.exec(sql))
            return fail(QStringLiteral("'%1' failed").arg(sql), query.lastError());
        return true;
    }
    bool prepare(std::optional<QSqlQuery> &query, const QString &sql)
    {
        query.emplace(db);
        if (!query->prepare(sql))
            return fail(QStringLiteral("preparing '%1' failed").arg(sql), query->lastError());
        return true;
    }
    bool begin()
    {
        if (inTransaction)
            return true;
        if (!db.transaction())
            return fail(QStringLiteral("beginning a transaction failed"), db.lastError());
        inTransaction = true;
        return true;
    }
    bool run(QSqlQuery &query)
    {
        if (!begin())
            return false;
        if (!query.exec())
            return fail(QStringLiteral("writing failed"), query.lastError());
        return true;
    }
    void close()
    {
        insertTask.reset();
        markStarted.reset();
        markRetrying.reset();
        markEnded.reset();
        markInterrupted.reset();
        insertDigest.reset();
        metricsColumn.reset();
        if (db.isOpen())
            db.close();
    }
    QList<StoredTask> select(const QString &where, const QVariantList &values);
};

QList<StoredTask> SqliteTaskStorePrivate::select(const QString &tail, const QVariantList &values)
{
    QList<StoredTask> tasks;
    if (!db.isOpen())
        return tasks;
    QSqlQuery query(db);
    query.setForwardOnly(true);
    if (!query.prepare(
                QStringLiteral("SELECT %1%2 FROM tasks %3")
                        .arg(QLatin1String(Columns),
                             // a store from before metrics, opened read-only, lacks the column
                             hasMetricsColumn() ? QLatin1String("metrics") : QLatin1String("NULL"),
                             tail))) {
        fail(QStringLiteral("reading failed"), query.lastError());
        return tasks;
    }
    for (const QVariant &value : values)
        query.addBindValue(value);
    if (!query.exec()) {
        fail(QStringLiteral("reading failed"), query.lastError());
        return tasks;
    }
    while (query.next()) {
        StoredTask task;
        task.id = query.value(0).toULongLong();
        const std::optional<TaskDescriptor> descriptor =
                TaskStore::descriptorFromJson(query.value(1).toByteArray());
        if (!descriptor) {
            error = QStringLiteral("task %1 in '%2' has an unreadable descriptor; skipped")
                            .arg(task.id)
                            .arg(path);
            continue;
        }
        task.descriptor = *descriptor;
        task.state = stateFromName(query.value(2).toString());
        task.outcome = TaskEvent::outcomeFromName(query.value(3).toString());
        task.attempts = query.value(4).toInt();
        task.exitCode = query.value(5).toInt();
        task.durationMs = query.value(6).toLongLong();
        task.message = query.value(7).toString();
        task.enqueuedAt = fromMsecs(query.value(8));
        task.startedAt = fromMsecs(query.value(9));
        task.endedAt = fromMsecs(query.value(10));
        if (!query.value(11).isNull())
            task.metrics = TaskStore::metricsFromJson(query.value(11).toByteArray());
        tasks.append(task);
    }
    return tasks;
}

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

QList<StoredTask> SqliteTaskStore::tasksFrom(TaskId firstId, int limit)
{
    return d->select(QStringLiteral("WHERE id >= ? ORDER BY id LIMIT ?"),
                     { qint64(firstId), std::max(0, limit) });
}

bool SqliteTaskStore::recordEnqueued(TaskId id, const TaskDescriptor &task, const QDateTime &at)
{
    if (!isOpen())
        return d->fail(QStringLiteral("not open"), QSqlError());
    QSqlQuery &q = *d->insertTask;
    q.bindValue(0, qint64(id));
    q.bindValue(1, QString::fromUtf8(descriptorToJson(task)));
    q.bindValue(2, task.name().isEmpty() ? QVariant() : QVariant(task.name()));
    q.bindValue(3, msecs(at));
    return d->run(q);
}

bool SqliteTaskStore::recordEvent(const TaskEvent &event, const QDateTime &at)
{
    if (!isOpen())
        return d->fail(QStringLiteral("not open"), QSqlError());
    const qint64 id = qint64(event.taskId());
    if (event.isTerminal()) {
        QSqlQuery &q = *d->markEnded;
        // The one classification of a terminal event, under the one vocabulary's name.
        q.bindValue(0, TaskEvent::outcomeName(*event.outcome()));
        q.bindValue(1, event.attempt());
        q.bindValue(2, event.exitCode());
        q.bindValue(3, event.durationMs());
        q.bindValue(4, event.message().isEmpty() ? QVariant() : QVariant(event.message()));
        q.bindValue(5, msecs(at));
        q.bindValue(6, QString::fromUtf8(metricsToJson(event.metrics())));
        q.bindValue(7, id);
        return d->run(q);
    }
    if (event.kind() == EventKind::Started) {
        QSqlQuery &q = *d->markStarted;
        q.bindValue(0, event.attempt());
        q.bindValue(1, msecs(at));
        q.bindValue(2, id);
        return d->run(q);
    }
    if (event.kind() == EventKind::Retrying) {
        QSqlQuery &q = *d->markRetrying;
        q.bindValue(0, event.attempt());
        q.bindValue(1, event.exitCode());
        q.bindValue(2, id);
        return d->run(q);
    }
    return true;
}

bool SqliteTaskStore::flush()
{
    if (!d->inTransaction)
        return true;
    d->inTransaction = false;
    if (!d->db.commit()) {
        const QSqlError error = d->db.lastError();
        d->db.rollback();
        return d->fail(QStringLiteral("committing failed"), error);
    }
    return true;
}

QList<StoredTask> SqliteTaskStore::unfinishedTasks()
{
    return d->select(QStringLiteral("WHERE state != 'done' ORDER BY id"), {});
}

std::optional<StoredTask> SqliteTaskStore::task(TaskId id)
{
    const QList<StoredTask> found = d->select(QStringLiteral("WHERE id = ?"), { qint64(id) });
    if (found.isEmpty())
        return std::nullopt;
    return found.first();
}

TaskId SqliteTaskStore::highestTaskId()
{
    if (!isOpen())
        return 0;
    QSqlQuery query(d->db);
    if (!query.exec(QStringLiteral("SELECT MAX(id) FROM tasks")) || !query.next())
        return 0;
    return query.value(0).toULongLong();
}

QList<StoredTask> SqliteTaskStore::history(const HistoryQuery &query)
{
    QStringList conditions;
    QVariantList values;
    if (query.state) {
        conditions.append(QStringLiteral("state = ?"));
        values.append(stateName(*query.state));
    }
    if (query.outcome) {
        // Stores written before Outcome named a rejection by its event, "internalError".
        conditions.append(QStringLiteral("outcome IN (?, ?)"));
        values.append(TaskEvent::outcomeName(*query.outcome));
        values.append(*query.outcome == Outcome::Rejected ? QStringLiteral("internalError")
                                                          : TaskEvent::outcomeName(*query.outcome));
    }
    QString tail;
    if (!conditions.isEmpty())
        tail = QStringLiteral("WHERE ") + conditions.join(QStringLiteral(" AND ")) + u' ';
    tail += QStringLiteral("ORDER BY id DESC LIMIT ?");
    values.append(std::max(0, query.limit));
    return d->select(tail, values);
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

bool SqliteTaskStore::recordInterrupted(TaskId id, const QString &reason)
{
    if (!isOpen())
        return d->fail(QStringLiteral("not open"), QSqlError());
    QSqlQuery &q = *d->markInterrupted;
    q.bindValue(0, reason);
    q.bindValue(1, qint64(id));
    return d->run(q);
}

bool SqliteTaskStore::recordSourceDigest(TaskId id, const QByteArray &digest)
{
    if (!isOpen())
        return d->fail(QStringLiteral("not open"), QSqlError());
    QSqlQuery &q = *d->insertDigest;
    q.bindValue(0, qint64(id));
    q.bindValue(1, digest);
    return d->run(q);
}

QList<QByteArray> SqliteTaskStore::sourceDigests(TaskId first, int count)
{
    QList<QByteArray> digests(qMax(0, count));
    if (!isOpen() || count <= 0)
        return digests;
    QSqlQuery query(d->db);
    query.setForwardOnly(true);
    if (!query.prepare(QStringLiteral("SELECT id, digest FROM task_sources WHERE id >= ? AND "
                                      "id < ? ORDER BY id"))) {
        d->fail(QStringLiteral("reading failed"), query.lastError());
        return digests;
    }
    query.addBindValue(qint64(first));
    query.addBindValue(qint64(first) + count);
    if (!query.exec()) {
        d->fail(QStringLiteral("reading failed"), query.lastError());
        return digests;
    }
    while (query.next())
        digests[qsizetype(query.value(0).toLongLong() - qint64(first))] =
                query.value(1).toByteArray();
    return digests;
}

bool SqliteTaskStore::recordExecutorIdentity(const QByteArray &identity)
{
    if (!isOpen())
        return d->fail(QStringLiteral("not open"), QSqlError());
    // Created on first use, so that open() (and a reader's openReadOnly()) change nothing.
    if (!d->begin()
        || !d->exec(QStringLiteral("CREATE TABLE IF NOT EXISTS store_values (key TEXT PRIMARY "
                                   "KEY, value BLOB NOT NULL)")))
        return false;
    QSqlQuery query(d->db);
    if (!query.prepare(QStringLiteral("INSERT OR REPLACE INTO store_values (key, value) VALUES "
                                      "('executor', ?)")))
        return d->fail(QStringLiteral("writing failed"), query.lastError());
    query.addBindValue(identity);
    return d->run(query);
}

QByteArray SqliteTaskStore::executorIdentity()
{
    if (!isOpen())
        return {};
    QSqlQuery query(d->db);
    // No table yet (no Broker recorded one): nothing.
    if (!query.exec(QStringLiteral("SELECT value FROM store_values WHERE key = 'executor'"))
        || !query.next())
        return {};
    return query.value(0).toByteArray();
}

bool SqliteTaskStore::clear()
{
    if (!isOpen())
        return d->fail(QStringLiteral("not open"), QSqlError());
    return d->begin() && d->exec(QStringLiteral("DELETE FROM tasks"))
            && d->exec(QStringLiteral("DELETE FROM task_sources")) && flush();
}

} // namespace TaskConductor
