// SPDX-License-Identifier: MIT
#include "fdbudget.h"

#include <dirent.h>
#include <sys/resource.h>

namespace TaskConductor {

long fileDescriptorLimit()
{
    rlimit limit {};
    if (::getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY)
        return -1;
    return long(limit.rlim_cur);
}

long openFileDescriptors()
{
    DIR *dir = ::opendir("/proc/self/fd");
    if (!dir)
        return 0; // not Linux: assume the limit is all ours
    long count = -1; // the directory stream's own descriptor
    while (const dirent *entry = ::readdir(dir)) {
        if (entry->d_name[0] != '.')
            ++count;
    }
    ::closedir(dir);
    return count < 0 ? 0 : count;
}

int runningTasksThatFitFdLimit()
{
    const long limit = fileDescriptorLimit();
    if (limit < 0)
        return -1;
    const long spare = limit - openFileDescriptors() - fileDescriptorsToStartATask;
    return spare <= 0 ? 0 : int(spare / fileDescriptorsPerRunningTask);
}

bool anotherTaskFitsFdLimit()
{
    const long limit = fileDescriptorLimit();
    return limit < 0
            || limit - openFileDescriptors()
            >= fileDescriptorsPerRunningTask + fileDescriptorsToStartATask;
}

} // namespace TaskConductor
