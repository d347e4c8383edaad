// SPDX-License-Identifier: MIT
// The one child program of the test suite. Each mode is a behaviour a task can have; tests pick
// a mode by argv instead of relying on the host's shell:
//   lines N [TEXT]         N lines "TEXT i" on stdout (TEXT defaults to "line")
//   err-lines N [TEXT]     the same on stderr
//   mixed                  "out 1", "err 1", "out 2", "err 2" alternating, flushed one by one
//   partial TEXT           TEXT without a newline, then exit 0
//   err-partial TEXT       the same on stderr
//   slow-lines N MS        N lines, MS milliseconds apart, flushed one by one
//   bytes HEX              raw bytes (hex encoded) on stdout, then exit 0
//   exit N                 exit with code N
//   crash                  die of SIGSEGV
//   hang                   print "ready", then sleep until killed
//   threads N              start N threads that sleep, then as "hang"
//   ignore-term            ignore SIGTERM, print "ready", then sleep until killed
//   grandchild exit|hang   fork a grandchild that holds stdout and sleeps; print "grandchild PID";
//                          then the parent exits 0 or hangs
//   setsid-grandchild [exit|hang]  as "grandchild", but the grandchild calls setsid() first,
//                          leaving the task's process group (the parent hangs unless "exit")
//   family LOCK MEMBER...  take an exclusive flock(2) on the file LOCK ("-": none), or print
//                          "locked by a leftover" and exit 3 if another process holds it; then
//                          fork one sleeping descendant per MEMBER, which all keep the lock:
//                          "group" stays in the task's process group, "setsid" leaves it,
//                          "scrubbed" stays but re-executes with an empty environment; print
//                          "task PID", "descendant PID" for each, "ready", then sleep
//   huge-line BYTES        BYTES bytes of 'x' without a newline, then exit 0
//   env NAME...            for each NAME: "NAME=value" or "NAME unset"
//   environ-hex NAME       one line per entry of NAME in environ (duplicates too): the value's
//                          bytes in hex
//   cwd                    the working directory
//   args ARG...            each argument between '<' and '>', one per line
//   succeed-on N FILE      count runs in FILE; exit 1 until the Nth run, which exits 0
//   record FILE TAG MS     append "TAG" as a line to FILE (one write, O_APPEND), print "TAG",
//                          sleep MS milliseconds, then exit 0: a run that leaves a trace
//   head N                 copy N lines of stdin to stdout, then exit 0 (a reader that goes away)
//   paced-lines N RATE     N lines "paced i" at RATE lines per second, in batches every 10 ms
//   cat                    copy stdin to stdout as it comes, until end of input, then exit 0
//   tick MS                "tick i" every MS milliseconds, for ever (output past an idle limit)
//   report-signal          print "ready"; on SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1 or SIGUSR2
//                          print "signal N" and exit 0 (which signal stopped me)
//   burn-cpu MS            spin until this process used MS ms of CPU time, then exit 0
//   allocate MIB           allocate and touch MIB MiB, print "allocated", then exit 0
//   symlink-log PATH TARGET CODE  replace PATH by a symbolic link to TARGET (atomically, as an
//                          attacker would), print "replaced" and "after 1".."after 3", exit CODE
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <string>
#include <sys/file.h>
#include <sys/stat.h>
#include <thread>
#include <time.h>
#include <unistd.h>

extern char **environ;

namespace {

[[noreturn]] void sleepForever()
{
    for (;;)
        pause();
}

void writeAll(int fd, const char *data, size_t size)
{
    while (size > 0) {
        const ssize_t n = write(fd, data, size);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            std::exit(3);
        }
        data += n;
        size -= size_t(n);
    }
}

void printLine(int fd, const std::string &line)
{
    const std::string s = line + "\n";
    writeAll(fd, s.data(), s.size());
}

void reportSignal(int sig)
{
    // Async-signal-safe: write() and _exit() only.
    char text[16] = "signal ";
    size_t n = 7;
    if (sig >= 10)
        text[n++] = char('0' + sig / 10);
    text[n++] = char('0' + sig % 10);
    text[n++] = '\n';
    ssize_t ignored = write(1, text, n);
    (void)ignored;
    _exit(0);
}

int usage()
{
    std::fprintf(stderr, "usage: tc_helper MODE [ARGS...] (see the source for the modes)\n");
    return 64;
}

int hexValue(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

} // namespace

int main(int argc, char **argv)
{
    if (argc < 2)
        return usage();
    const std::string mode = argv[1];
    auto arg = [&](int i, const char *fallback = nullptr) -> std::string {
        if (i + 2 < argc)
            return argv[i + 2];
        if (fallback)
            return fallback;
        std::exit(usage());
    };

    if (mode == "lines" || mode == "err-lines") {
        const long n = std::atol(arg(0).c_str());
        const std::string text = arg(1, "line");
        const int fd = mode == "lines" ? 1 : 2;
        std::string buffer;
        for (long i = 1; i <= n; ++i) {
            buffer += text + " " + std::to_string(i) + "\n";
            if (buffer.size() > 65536) {
                writeAll(fd, buffer.data(), buffer.size());
                buffer.clear();
            }
        }
        writeAll(fd, buffer.data(), buffer.size());
        return 0;
    }
    if (mode == "mixed") {
        printLine(1, "out 1");
        printLine(2, "err 1");
        printLine(1, "out 2");
        printLine(2, "err 2");
        return 0;
    }
    if (mode == "partial" || mode == "err-partial") {
        const std::string text = arg(0);
        writeAll(mode == "partial" ? 1 : 2, text.data(), text.size());
        return 0;
    }
    if (mode == "slow-lines") {
        const long n = std::atol(arg(0).c_str());
        const long ms = std::atol(arg(1).c_str());
        for (long i = 1; i <= n; ++i) {
            printLine(1, "slow " + std::to_string(i));
            if (i < n)
                usleep(useconds_t(ms * 1000));
        }
        return 0;
    }
    if (mode == "bytes") {
        const std::string hex = arg(0);
        std::string raw;
        for (size_t i = 0; i + 1 < hex.size(); i += 2)
            raw += char(hexValue(hex[i]) * 16 + hexValue(hex[i + 1]));
        writeAll(1, raw.data(), raw.size());
        return 0;
    }
    if (mode == "exit")
        return std::atoi(arg(0).c_str());
    if (mode == "crash") {
        std::signal(SIGSEGV, SIG_DFL);
        std::raise(SIGSEGV);
        return 99;
    }
    if (mode == "hang") {
        printLine(1, "ready");
        sleepForever();
    }
    if (mode == "threads") {
        for (int i = std::atoi(arg(0, "2").c_str()); i > 0; --i)
            std::thread(sleepForever).detach();
        printLine(1, "ready");
        sleepForever();
    }
    if (mode == "ignore-term") {
        std::signal(SIGTERM, SIG_IGN);
        printLine(1, "ready");
        sleepForever();
    }
    if (mode == "grandchild" || mode == "setsid-grandchild") {
        const bool parentHangs = arg(0, mode == "setsid-grandchild" ? "hang" : "exit") == "hang";
        const pid_t pid = fork();
        if (pid < 0)
            return 2;
        if (pid == 0) {
            if (mode == "setsid-grandchild")
                setsid();
            sleepForever(); // keeps the inherited stdout open
        }
        printLine(1, "grandchild " + std::to_string(pid));
        if (parentHangs)
            sleepForever();
        return 0;
    }
    if (mode == "family") {
        const std::string lock = arg(0);
        if (lock != "-") {
            const int fd = open(lock.c_str(), O_RDWR | O_CREAT, 0644); // inherited by the family
            if (fd < 0)
                return 2;
            if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
                printLine(1, "locked by a leftover");
                return 3;
            }
        }
        printLine(1, "task " + std::to_string(getpid()));
        for (int i = 3; i < argc; ++i) {
            const std::string member = argv[i];
            const pid_t pid = fork();
            if (pid < 0)
                return 2;
            if (pid == 0) {
                if (member == "setsid")
                    setsid();
                if (member == "scrubbed") {
                    char *const childArgs[] = { argv[0], const_cast<char *>("hang"), nullptr };
                    char *const noEnvironment[] = { nullptr };
                    const int null = open("/dev/null", O_WRONLY);
                    dup2(null, 1); // its "ready" is not the family's
                    execve("/proc/self/exe", childArgs, noEnvironment);
                    _exit(2);
                }
                sleepForever();
            }
            printLine(1, "descendant " + std::to_string(pid));
        }
        printLine(1, "ready");
        sleepForever();
    }
    if (mode == "huge-line") {
        long long remaining = std::atoll(arg(0).c_str());
        std::string block(1 << 16, 'x');
        while (remaining > 0) {
            const size_t n = size_t(std::min<long long>(remaining, (long long)block.size()));
            writeAll(1, block.data(), n);
            remaining -= (long long)n;
        }
        return 0;
    }
    if (mode == "environ-hex") {
        const std::string prefix = arg(0) + "=";
        for (char **entry = environ; *entry; ++entry) {
            if (std::strncmp(*entry, prefix.c_str(), prefix.size()) != 0)
                continue;
            std::string hex;
            for (const char *c = *entry + prefix.size(); *c; ++c) {
                char digits[3];
                std::snprintf(digits, sizeof digits, "%02x",
                              unsigned(static_cast<unsigned char>(*c)));
                hex += digits;
            }
            printLine(1, hex);
        }
        return 0;
    }
    if (mode == "env") {
        for (int i = 2; i < argc; ++i) {
            const char *value = std::getenv(argv[i]);
            printLine(1,
                      value ? std::string(argv[i]) + "=" + value : std::string(argv[i]) + " unset");
        }
        return 0;
    }
    if (mode == "cwd") {
        char buffer[4096];
        if (!getcwd(buffer, sizeof buffer))
            return 2;
        printLine(1, buffer);
        return 0;
    }
    if (mode == "args") {
        for (int i = 2; i < argc; ++i)
            printLine(1, std::string("<") + argv[i] + ">");
        return 0;
    }
    if (mode == "succeed-on") {
        const long n = std::atol(arg(0).c_str());
        const std::string file = arg(1);
        long runs = 0;
        if (FILE *f = std::fopen(file.c_str(), "r")) {
            if (std::fscanf(f, "%ld", &runs) != 1)
                runs = 0;
            std::fclose(f);
        }
        ++runs;
        if (FILE *f = std::fopen(file.c_str(), "w")) {
            std::fprintf(f, "%ld\n", runs);
            std::fclose(f);
        }
        printLine(1, "run " + std::to_string(runs));
        return runs >= n ? 0 : 1;
    }
    if (mode == "record") {
        const std::string tag = arg(1);
        const long ms = std::atol(arg(2).c_str());
        const int fd = open(arg(0).c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (fd < 0)
            return 2;
        const std::string line = tag + "\n";
        writeAll(fd, line.data(), line.size());
        close(fd);
        printLine(1, tag);
        usleep(useconds_t(ms * 1000));
        return 0;
    }
    if (mode == "paced-lines") {
        const long n = std::atol(arg(0).c_str());
        const double rate = std::atof(arg(1).c_str());
        const auto begin = std::chrono::steady_clock::now();
        std::string buffer;
        for (long i = 1; i <= n;) {
            // Write what is due by now, then sleep to the next 10 ms tick.
            const double seconds =
                    std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count();
            const long due = std::min(n, long(seconds * rate) + 1);
            for (; i <= due; ++i)
                buffer += "paced " + std::to_string(i) + "\n";
            writeAll(1, buffer.data(), buffer.size());
            buffer.clear();
            if (i <= n)
                usleep(10000);
        }
        return 0;
    }
    if (mode == "symlink-log") {
        const std::string path = arg(0);
        const std::string temporary = path + ".tc_helper_link";
        unlink(temporary.c_str());
        if (symlink(arg(1).c_str(), temporary.c_str()) != 0
            || rename(temporary.c_str(), path.c_str()) != 0)
            return 2;
        printLine(1, "replaced");
        for (int i = 1; i <= 3; ++i)
            printLine(1, "after " + std::to_string(i));
        return std::atoi(arg(2).c_str());
    }
    if (mode == "cat") {
        char buffer[65536];
        for (;;) {
            const ssize_t n = read(0, buffer, sizeof buffer);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0)
                return n == 0 ? 0 : 3;
            writeAll(1, buffer, size_t(n));
        }
    }
    if (mode == "tick") {
        const int ms = std::atoi(arg(0).c_str());
        for (long i = 1;; ++i) {
            printLine(1, "tick " + std::to_string(i));
            std::this_thread::sleep_for(std::chrono::milliseconds(ms));
        }
    }
    if (mode == "report-signal") {
        for (const int sig : { SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 })
            std::signal(sig, reportSignal);
        printLine(1, "ready");
        sleepForever();
    }
    if (mode == "burn-cpu") {
        const long ms = std::atol(arg(0).c_str());
        volatile unsigned long sink = 0;
        for (;;) {
            timespec used {};
            clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &used);
            if (used.tv_sec * 1000L + used.tv_nsec / 1000000L >= ms)
                return 0;
            for (int i = 0; i < 100000; ++i)
                sink = sink + unsigned(i);
        }
    }
    if (mode == "allocate") {
        const size_t bytes = size_t(std::atol(arg(0).c_str())) << 20;
        char *memory = static_cast<char *>(std::malloc(bytes));
        if (!memory)
            return 2;
        for (size_t i = 0; i < bytes; i += 4096)
            memory[i] = char(i);
        printLine(1, "allocated");
        std::free(memory);
        return 0;
    }
    if (mode == "head") {
        long remaining = std::atol(arg(0).c_str());
        int c = 0;
        while (remaining > 0 && (c = std::getchar()) != EOF) {
            std::putchar(c);
            if (c == '\n')
                --remaining;
        }
        std::fflush(stdout);
        return 0;
    }
    return usage();
}
