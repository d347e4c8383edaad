#!/usr/bin/env bash
# Stops the daemons that up.sh started, by their recorded PIDs only.
piddir=${SLURM_PIDDIR:?set SLURM_PIDDIR to the directory up.sh used}
for daemon in slurmd slurmctld munged; do
    file="$piddir/$daemon.pid"
    [ -f "$file" ] || continue
    pid=$(cat "$file")
    if kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid"
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        if kill -0 "$pid" 2>/dev/null; then
            echo "$daemon ($pid) ignored TERM, sending KILL"
            kill -KILL "$pid"
        fi
    fi
    echo "stopped $daemon ($pid)"
    rm -f "$file"
done
