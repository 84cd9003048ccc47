#!/usr/bin/env bash
# A real one-node SLURM cluster on this machine, for testing `snakemake --executor slurm`.
#
#   scripts/slurm-local.sh start    install slurm-wlm + munge (apt, root) if missing, write the
#                                   config, start munged, slurmctld and slurmd; waits until the
#                                   node is idle. Does nothing if the cluster already answers.
#   scripts/slurm-local.sh stop     stop the daemons this script started (by their pid files)
#   scripts/slurm-local.sh status   daemons, node state and queue; exit 0 only if usable
#
# Design (see docs/cluster.md):
# - No cgroups: proctrack/linuxproc and task/none, so it runs in containers and CI runners.
#   CPU and memory requests are scheduled but not enforced.
# - No accounting daemon: Snakemake's SLURM plugin is run with `--slurm-status-command squeue`,
#   which needs finished jobs to stay visible to squeue, hence MinJobAge=600.
# - SlurmctldHost=localhost and `slurmd -N localhost`, whatever the host name is.
# - State lives under $SLURM_LOCAL_ROOT; state from another ClusterName is wiped, since it
#   would stop slurmctld with "CLUSTER NAME MISMATCH".
# - /etc/slurm/slurm.conf is written only if absent or written by this script before: a
#   site's own configuration is never replaced.
#
# Environment: SLURM_LOCAL_ROOT (default /var/lib/scce-slurm), SLURM_LOCAL_CPUS (default: nproc),
# SLURM_LOCAL_MEM_MB (default: 90% of MemTotal), SLURM_LOCAL_CLUSTER (default scce-local).
set -euo pipefail

ROOT=${SLURM_LOCAL_ROOT:-/var/lib/scce-slurm}
CLUSTER=${SLURM_LOCAL_CLUSTER:-scce-local}
CONF=/etc/slurm/slurm.conf
MARKER="# written by scce-genomics scripts/slurm-local.sh"
RUN=$ROOT/run
LOG=$ROOT/log
STATE=$ROOT/state
SPOOL=$ROOT/spool
MUNGE_PID=$RUN/munged.pid
MUNGE_SOCKET=/run/munge/munge.socket.2
PACKAGES=(slurm-wlm munge)

log() { printf 'slurm-local: %s\n' "$*" >&2; }
die() {
  log "$*"
  exit 1
}

alive() { # alive PIDFILE -> 0 if the daemon named in PIDFILE runs (not a reused pid)
  local pid name
  [[ -s $1 ]] || return 1
  pid=$(cat "$1")
  name=$(basename "$1" .pid)
  [[ $(cat "/proc/$pid/comm" 2>/dev/null) == "$name" ]]
}

cluster_answers() {
  command -v sinfo >/dev/null 2>&1 && timeout 5 sinfo -h -o '%T' 2>/dev/null | grep -qE 'idle|mix|alloc'
}

install_packages() {
  local missing=()
  command -v slurmctld >/dev/null 2>&1 || missing+=(slurm-wlm)
  command -v munged >/dev/null 2>&1 || missing+=(munge)
  ((${#missing[@]})) || return 0
  if [[ $(id -u) -ne 0 ]] || ! command -v apt-get >/dev/null 2>&1; then
    die "missing ${missing[*]}; install them as root (apt-get install ${PACKAGES[*]})"
  fi
  log "installing ${missing[*]} (apt-get)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

write_config() {
  if [[ -f $CONF ]] && ! grep -qF "$MARKER" "$CONF"; then
    die "$CONF exists and was not written by this script; refusing to replace a site's config"
  fi
  local cpus mem
  cpus=${SLURM_LOCAL_CPUS:-$(nproc)}
  mem=${SLURM_LOCAL_MEM_MB:-$(awk '/MemTotal/ {printf "%d", $2 / 1024 * 0.9}' /proc/meminfo)}
  mkdir -p /etc/slurm "$RUN" "$LOG" "$STATE" "$SPOOL"
  cat >"$CONF.tmp" <<EOF
$MARKER
ClusterName=$CLUSTER
SlurmctldHost=localhost
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation=$STATE
SlurmdSpoolDir=$SPOOL
SlurmctldPidFile=$RUN/slurmctld.pid
SlurmdPidFile=$RUN/slurmd.pid
SlurmctldLogFile=$LOG/slurmctld.log
SlurmdLogFile=$LOG/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
SchedulerType=sched/backfill
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
# finished jobs stay visible to squeue for 10 min: the status source without accounting
MinJobAge=600
ReturnToService=2
MpiDefault=none
# the declared node may differ from the hardware (SLURM_LOCAL_CPUS / SLURM_LOCAL_MEM_MB)
SlurmdParameters=config_overrides
NodeName=localhost CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=local Nodes=localhost Default=YES MaxTime=INFINITE State=UP
EOF
  mv "$CONF.tmp" "$CONF"
  # StateSaveLocation remembers its cluster name; another name makes slurmctld exit.
  if [[ -f $STATE/clustername && $(cat "$STATE/clustername") != "$CLUSTER" ]]; then
    log "wiping state of cluster '$(cat "$STATE/clustername")' in $STATE"
    find "$STATE" -mindepth 1 -delete
  fi
}

start_munge() {
  if [[ -S $MUNGE_SOCKET ]] && munge -n </dev/null 2>/dev/null | unmunge >/dev/null 2>&1; then
    return 0 # a munged (ours or the system's) already answers
  fi
  [[ -s /etc/munge/munge.key ]] || {
    log "creating /etc/munge/munge.key"
    if command -v mungekey >/dev/null 2>&1; then
      mungekey --create --keyfile=/etc/munge/munge.key
    else
      dd if=/dev/urandom of=/etc/munge/munge.key bs=1 count=1024 status=none
    fi
  }
  mkdir -p /run/munge /var/log/munge /var/lib/munge
  chown munge:munge /etc/munge/munge.key /run/munge /var/log/munge /var/lib/munge
  chmod 0400 /etc/munge/munge.key
  chmod 0755 /run/munge
  rm -f "$MUNGE_SOCKET" "$MUNGE_SOCKET.lock"
  runuser -u munge -- munged 2>>"$LOG/munged.err" || die "munged did not start; see $LOG/munged.err"
  # munged keeps its own pid file in /run/munge; a copy in $RUN marks it as started by us.
  for _ in $(seq 50); do
    [[ -s /run/munge/munged.pid ]] && break
    sleep 0.1
  done
  cp /run/munge/munged.pid "$MUNGE_PID"
  for _ in $(seq 50); do
    munge -n </dev/null 2>/dev/null | unmunge >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  die "munged does not answer; see $LOG/munged.err"
}

start() {
  if cluster_answers && alive "$RUN/slurmctld.pid" && alive "$RUN/slurmd.pid"; then
    log "already running"
    status
    return 0
  fi
  [[ $(id -u) -eq 0 ]] || die "start needs root (it writes $CONF and runs the daemons as root)"
  install_packages
  write_config
  start_munge
  alive "$RUN/slurmctld.pid" || {
    slurmctld -f "$CONF" || die "slurmctld did not start; see $LOG/slurmctld.log"
  }
  alive "$RUN/slurmd.pid" || {
    slurmd -f "$CONF" -N localhost || die "slurmd did not start; see $LOG/slurmd.log"
  }
  for _ in $(seq 60); do
    if cluster_answers; then
      log "cluster '$CLUSTER' is up (partition 'local')"
      sinfo
      return 0
    fi
    # a node left DOWN/DRAINED by an earlier run comes back with RESUME
    if sinfo -h -o '%T' 2>/dev/null | grep -qE 'down|drain'; then
      scontrol update NodeName=localhost State=RESUME >/dev/null 2>&1 || true
    fi
    sleep 0.5
  done
  tail -n 20 "$LOG/slurmctld.log" "$LOG/slurmd.log" >&2 || true
  die "the node did not become idle within 30 s"
}

stop_pidfile() { # stop_pidfile NAME PIDFILE
  local pid
  if alive "$2"; then
    pid=$(cat "$2")
    kill "$pid"
    for _ in $(seq 100); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
      log "$1 ($pid) ignores SIGTERM; sending SIGKILL"
      kill -9 "$pid"
    fi
    log "stopped $1 ($pid)"
  fi
  rm -f "$2"
}

# Snakemake's SLURM plugin runs `scontrol show config` each time Snakemake starts, even for a
# local run; against a stopped controller that call waits MessageTimeout - 1 s (9 s by default).
# A stopped cluster's config says MessageTimeout=1, so "down" is answered at once; `start`
# writes the full config again.
mark_stopped() {
  [[ -f $CONF ]] && grep -qF "$MARKER" "$CONF" || return 0
  grep -v '^MessageTimeout=' "$CONF" >"$CONF.tmp"
  echo "MessageTimeout=1" >>"$CONF.tmp"
  mv "$CONF.tmp" "$CONF"
}

stop() {
  stop_pidfile slurmd "$RUN/slurmd.pid"
  stop_pidfile slurmctld "$RUN/slurmctld.pid"
  stop_pidfile munged "$MUNGE_PID" # only a munged this script started
  mark_stopped
}

status() {
  local ok=0 name pidfile
  for name in munged slurmctld slurmd; do
    pidfile=$RUN/$name.pid
    if alive "$pidfile"; then
      printf '%-10s running (pid %s)\n' "$name" "$(cat "$pidfile")"
    else
      printf '%-10s not running\n' "$name"
      [[ $name == munged ]] || ok=1
    fi
  done
  if cluster_answers; then
    sinfo
    squeue
  else
    echo "cluster: not answering"
    ok=1
  fi
  return $ok
}

case ${1:-} in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *)
    echo "usage: $0 start|stop|status" >&2
    exit 2
    ;;
esac
