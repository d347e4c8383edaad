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
//! is ready; it reports the job id ("tc-holding J") and reads the pipe from the executor until
//! that closes (the executor releases it, or died), and then salloc relinquishes the job.
inline constexpr char slurmHolderScript[] =
        R"sh(printf 'tc-holding %s\n' "$SLURM_JOB_ID"; exec cat >/dev/null)sh";

} // namespace TaskConductor
