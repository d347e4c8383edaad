// SPDX-License-Identifier: MIT
#pragma once

#include <QtCore/qbytearrayview.h>

namespace TaskConductor {

//! The few lines of /bin/sh every step runs first, on the compute node (see SlurmStep): change
//! to the working directory and check the program as execvp() would, then report the step id
//! ("\x1e" "tc-step J.S") and exec the task with stdin from /dev/null; a failure becomes one
//! record instead ("\x1e" "tc-fail chdir: REASON" or "\x1e" "tc-fail execvp: REASON").
//! $1 = working directory, $2... = the task's argv: no value is ever pasted into the script.
inline constexpr char slurmStepScript[] = R"sh(dir=$1; shift
if ! cd -- "$dir" 2>/dev/null; then
  if [ ! -e "$dir" ]; then why='No such file or directory'
  elif [ ! -d "$dir" ]; then why='Not a directory'
  else why='Permission denied'; fi
  printf '\036tc-fail chdir: %s\n' "$why"; exit 127
fi
case $1 in
  */*) prog=$1 ;;
  *) prog=; saved=$IFS; IFS=:
     for d in $PATH; do
       if [ -f "${d:-.}/$1" ] && [ -x "${d:-.}/$1" ]; then prog=${d:-.}/$1; break; fi
     done
     IFS=$saved ;;
esac
if [ -z "$prog" ] || [ ! -e "$prog" ]; then
  printf '\036tc-fail execvp: No such file or directory\n'; exit 127
fi
if [ -d "$prog" ] || [ ! -x "$prog" ]; then
  printf '\036tc-fail execvp: Permission denied\n'; exit 127
fi
printf '\036tc-step %s.%s\n' "$SLURM_JOB_ID" "$SLURM_STEP_ID"
exec "$@" </dev/null)sh";

//! Every record starts with these bytes.
inline constexpr QByteArrayView slurmRecordStart = "\x1etc-";

//! The script that holds an allocation: salloc runs it on the submit host once the allocation
//! is ready; it reports the job id ("tc-holding J") and reads the pipe from the executor. It
//! ends at once when the executor writes slurmHolderRelease (then salloc relinquishes the job).
//! At a bare end of file the executor died, and salloc gets SIGTERM at the same moment
//! (PR_SET_PDEATHSIG): salloc's handler relinquishes a job that once pended, and if salloc's
//! own relinquish (after the script ends) overlaps the handler's, salloc deadlocks on its
//! config lock and holds the job until its time limit (seen with Slurm 22.05). So the script
//! lets the handler finish first; a job granted at once has no such handler call and ends
//! when the script does, 2 s later.
inline constexpr char slurmHolderScript[] =
        R"sh(printf 'tc-holding %s\n' "$SLURM_JOB_ID"; read -r word; [ "$word" = release ] || sleep 2)sh";

//! What the executor writes to the holder script to release the allocation.
inline constexpr char slurmHolderRelease[] = "release\n";

} // namespace TaskConductor
