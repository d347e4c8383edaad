// SPDX-License-Identifier: MIT
#include "childexec.h"

#include <QtCore/qfile.h>
#include <QtCore/qstandardpaths.h>

#include <cerrno>
#include <sys/mman.h>
#include <unistd.h>

namespace TaskConductor {

namespace {

constexpr int errorSlotCount = 16384;

// Appends \a text with its NUL and returns where it starts.
qsizetype appendString(QByteArray &buffer, const QByteArray &text)
{
    const qsizetype at = buffer.size();
    buffer.append(text);
    buffer.append('\0');
    return at;
}

// Appends a pointer to each string at \a offsets in \a buffer, once the buffer has stopped
// growing (an append may move it).
void appendPointers(std::vector<char *> &pointers, QByteArray &buffer,
                    const QList<qsizetype> &offsets)
{
    pointers.reserve(pointers.size() + size_t(offsets.size()) + 1);
    for (qsizetype offset : offsets)
        pointers.push_back(buffer.data() + offset);
}

} // namespace

bool EncodedEnvironment::encode(const QProcessEnvironment &environment, QByteArrayView leftOut)
{
    if (m_encoded && m_source == environment && m_leftOut == leftOut)
        return m_exact;
    m_source = environment;
    m_leftOut = leftOut.toByteArray();
    m_encoded = true;
    m_exact = false;
    m_bytes.clear();
    m_entries.clear();
    const QStringList variables = environment.toStringList();
    QList<qsizetype> offsets;
    offsets.reserve(variables.size());
    for (const QString &variable : variables) {
        if (variable.contains(QChar::ReplacementCharacter))
            return false;
        // What QProcess passes: the name and the value encoded as Value::bytes() does.
        const QByteArray entry = variable.toLocal8Bit();
        const qsizetype equals = entry.indexOf('=');
        if (equals >= 0 && QByteArrayView(entry.constData(), equals) == leftOut)
            continue;
        offsets.append(appendString(m_bytes, entry));
    }
    appendPointers(m_entries, m_bytes, offsets);
    m_exact = true;
    return true;
}

ExecErrorTable::ExecErrorTable()
{
    // Shared, not private: a child that QProcess forks (rather than vforks) writes its copy.
    void *memory = ::mmap(nullptr, errorSlotCount * sizeof(int), PROT_READ | PROT_WRITE,
                          MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (memory == MAP_FAILED)
        return;
    m_slots = static_cast<int *>(memory);
    m_free.reserve(errorSlotCount);
    for (int i = errorSlotCount - 1; i >= 0; --i)
        m_free.push_back(i);
}

ExecErrorTable::~ExecErrorTable()
{
    if (m_slots)
        ::munmap(m_slots, errorSlotCount * sizeof(int));
}

int *ExecErrorTable::acquire()
{
    if (m_free.empty())
        return nullptr;
    int *slot = m_slots + m_free.back();
    m_free.pop_back();
    *slot = 0;
    return slot;
}

void ExecErrorTable::release(int *slot)
{
    if (slot)
        m_free.push_back(int(slot - m_slots));
}

void ChildExec::prepare(const QStringList &command, const std::vector<char *> &shared,
                        QByteArray ownEntry, int *errorSlot)
{
    clear();
    // As QProcess 6.4 resolves it: a bare name in the host's PATH; not found, it stays empty
    // and the exec fails with ENOENT.
    const QString &program = command.first();
    const QString resolved =
            program.contains(u'/') ? program : QStandardPaths::findExecutable(program);
    QList<qsizetype> offsets;
    offsets.reserve(command.size());
    offsets.append(appendString(m_strings, QFile::encodeName(resolved)));
    for (qsizetype i = 1; i < command.size(); ++i)
        offsets.append(appendString(m_strings, command.at(i).toLocal8Bit()));
    appendPointers(m_argv, m_strings, offsets);
    m_argv.push_back(nullptr);

    m_ownEntry = std::move(ownEntry);
    m_envp.reserve(shared.size() + 2);
    m_envp = shared;
    if (!m_ownEntry.isEmpty())
        m_envp.push_back(m_ownEntry.data());
    m_envp.push_back(nullptr);
    m_errorSlot = errorSlot;
    *m_errorSlot = 0;
}

void ChildExec::run() const noexcept
{
    ::execve(m_argv.front(), m_argv.data(), m_envp.data());
    *static_cast<volatile int *>(m_errorSlot) = errno;
    ::_exit(127);
}

void ChildExec::clear()
{
    m_strings.clear();
    m_argv.clear();
    m_ownEntry.clear();
    m_envp.clear();
    m_errorSlot = nullptr;
}

} // namespace TaskConductor
