#!/usr/bin/env bash
# Brings up a single-node Slurm (Debian 12: Slurm 22.05, munge) as root without systemd, and
# smoke-tests it. Records the daemons' PIDs in $SLURM_PIDDIR; stop them with down.sh.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
piddir=${SLURM_PIDDIR:?set SLURM_PIDDIR to a directory for the daemons\' PID files}
export DEBIAN_FRONTEND=noninteractive

if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null \
    || ! command -v srun >/dev/null || ! command -v munged >/dev/null; then
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends slurmctld slurmd slurm-client munge
fi
if [ ! -s /etc/munge/munge.key ]; then
    mungekey --create
    chown munge:munge /etc/munge/munge.key
    chmod 0400 /etc/munge/munge.key
fi

# CPUs must match the machine, or slurmd marks the node INVAL/DRAIN.
mkdir -p /etc/slurm
sed "s/^NodeName=localhost CPUs=[0-9]*/NodeName=localhost CPUs=$(nproc)/" "$here/slurm.conf" \
    > /etc/slurm/slurm.conf
# proctrack/cgroup also kills descendants that left the process group (setsid, double fork);
# it needs a cgroup v1 freezer hierarchy. Without it, linuxproc tracks by parent pid only.
if [ -d /sys/fs/cgroup/freezer ] && [ "${SLURM_PROCTRACK:-cgroup}" = cgroup ]; then
    sed -i 's#^ProctrackType=.*#ProctrackType=proctrack/cgroup#' /etc/slurm/slurm.conf
    cp "$here/cgroup.conf" /etc/slurm/cgroup.conf
fi

mkdir -p "$piddir" /run/munge /var/log/munge /var/lib/munge /var/log/slurm \
    /var/lib/slurm/slurmd /var/lib/slurm/slurmctld
chown munge:munge /run/munge /var/log/munge /var/lib/munge
chown slurm:slurm /var/lib/slurm/slurmctld /var/log/slurm 2>/dev/null || true
chmod 0755 /run/munge

# munged forks into the background; --pid-file lets down.sh stop it by PID.
runuser -u munge -- /usr/sbin/munged --pid-file=/run/munge/munged.pid
for _ in $(seq 50); do [ -S /run/munge/munge.socket.2 ] && break; sleep 0.1; done
cp /run/munge/munged.pid "$piddir/munged.pid"
munge -n | unmunge >/dev/null # credential round trip

/usr/sbin/slurmctld # daemonizes, writes /run/slurmctld.pid
/usr/sbin/slurmd -N localhost # daemonizes, writes /run/slurmd.pid
for _ in $(seq 40); do [ -s /run/slurmctld.pid ] && [ -s /run/slurmd.pid ] && break; sleep 0.1; done
cp /run/slurmctld.pid "$piddir/slurmctld.pid"
cp /run/slurmd.pid "$piddir/slurmd.pid"

state=""
for _ in $(seq 150); do
    state=$(sinfo -h -N -o '%T' 2>/dev/null || true)
    case "$state" in idle*) break ;; esac
    sleep 0.1
done
case "$state" in idle*) ;; *) echo "slurm node not idle: '$state'" >&2; exit 1 ;; esac

out=$(timeout 30 srun -Q -n1 --input=none /bin/echo slurm-ok)
if [ "$out" != slurm-ok ]; then
    echo "slurm smoke test FAILED: '$out'" >&2
    exit 1
fi
echo "slurm is up: $(sinfo -h -o '%P %D %T %C')"
