// SPDX-License-Identifier: MIT
// The machine's limit: posix_spawn N processes, P at once, and reap them with waitpid.
//   peer_spawn N P COMMAND [ARGS...]
// Prints one line: "tasks=N seconds=S tasks_per_s=R".
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <spawn.h>
#include <sys/wait.h>

extern char **environ;

int main(int argc, char **argv)
{
    if (argc < 4) {
        std::fprintf(stderr, "usage: peer_spawn N P COMMAND [ARGS...]\n");
        return 2;
    }
    const int tasks = std::atoi(argv[1]);
    const int concurrency = std::max(1, std::atoi(argv[2]));
    char **command = argv + 3;

    const auto start = std::chrono::steady_clock::now();
    int launched = 0;
    int running = 0;
    int failures = 0;
    while (launched < tasks || running > 0) {
        while (launched < tasks && running < concurrency) {
            pid_t pid;
            if (posix_spawn(&pid, command[0], nullptr, nullptr, command, environ) != 0) {
                std::perror("posix_spawn");
                return 1;
            }
            ++launched;
            ++running;
        }
        int status = 0;
        if (waitpid(-1, &status, 0) > 0) {
            --running;
            failures += !(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        }
    }
    const double seconds =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("tasks=%d seconds=%.4f tasks_per_s=%.1f failures=%d\n", tasks, seconds,
                tasks / seconds, failures);
    return failures == 0 ? 0 : 1;
}
