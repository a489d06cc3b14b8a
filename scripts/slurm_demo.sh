#!/usr/bin/env bash
# Run the demo through a real single-node SLURM cluster on this Debian machine and compare it
# with a local run:
#
#   bash scripts/slurm_demo.sh
#
# As root on Debian (CI is): installs slurm-wlm and munge if missing (apt-get), starts munged
# and a SLURM controller and node for this host (a minimal slurm.conf: one node, one partition
# "main", no accounting database), runs the demo once locally and once through profiles/slurm
# (snakemake-executor-plugin-slurm), each into a results folder of its own, compares every
# SDTM, ADaM and ARD file of the two runs, and prints
#
#   slurm: J jobs submitted as G groups; results identical to the local run: yes
#
# It exits non-zero when anything differs. A machine that already runs SLURM is left alone:
# the script then only runs and compares (set SLURM_PARTITION to its partition).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --slurm >/dev/null
work="$(mktemp -d /tmp/inoflow-slurm-XXXXXX)"
partition="${SLURM_PARTITION:-main}"

started_here=0
if ! sinfo -h >/dev/null 2>&1; then
  [ "$(id -u)" = 0 ] || { echo "slurm: no SLURM here, and starting one needs root" >&2; exit 2; }
  if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
    echo "slurm: installing slurm-wlm and munge (apt-get)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq slurm-wlm munge >/dev/null
  fi
  host="$(hostname -s)"
  cpus="$(nproc)"
  memory="$(awk '/MemTotal/ {print int($2 / 1024 * 0.9)}' /proc/meminfo)"
  # munge: a key only munge reads, its folders its own
  mkdir -p /etc/munge /var/log/munge /run/munge /var/lib/munge
  [ -s /etc/munge/munge.key ] || dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none
  chown -R munge:munge /etc/munge /var/log/munge /run/munge /var/lib/munge
  chmod 400 /etc/munge/munge.key
  pgrep -x munged >/dev/null || su -s /bin/sh munge -c munged
  munge -n | unmunge | grep -q "STATUS: *Success" || { echo "slurm: munge does not work" >&2; exit 1; }
  mkdir -p /etc/slurm /var/spool/slurmctld /var/spool/slurmd /var/log/slurm
  cat >/etc/slurm/slurm.conf <<EOF
# written by inoflow's scripts/slurm_demo.sh: a single-node cluster on this host
ClusterName=inoflow
SlurmctldHost=${host}
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
JobAcctGatherType=jobacct_gather/none
ReturnToService=2
MinJobAge=600
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
NodeName=${host} CPUs=${cpus} RealMemory=${memory} State=UNKNOWN
PartitionName=${partition} Nodes=${host} Default=YES MaxTime=INFINITE State=UP
EOF
  slurmctld
  slurmd
  started_here=1
  for _ in $(seq 60); do
    sinfo -h -o "%t" 2>/dev/null | grep -q "idle" && break
    sleep 1
  done
  sinfo -h -o "%t" | grep -q "idle" || { echo "slurm: the node did not come up" >&2; exit 1; }
  echo "slurm: single-node cluster up ($host, $cpus CPUs, $memory MB, partition $partition)"
fi

echo "slurm: the demo locally -> $work/local"
.venv/bin/python -m snakemake --cores "$(nproc)" --config "results=$work/local" >"$work/local.log" 2>&1 ||
  { tail -40 "$work/local.log" >&2; exit 1; }
echo "slurm: the demo through profiles/slurm -> $work/slurm"
start=$(date +%s)
# a group of jobs (a cut's chain) must fit the node: its jobs run side by side only within these
# limits (--cores, --resources), and the extract job's threads are the node's CPUs
node_cpus="$(sinfo -h -N -o "%c" | head -1)"
node_mb="$(sinfo -h -N -o "%m" | head -1)"
.venv/bin/python -m snakemake --workflow-profile profiles/slurm --default-resources "slurm_partition=$partition" \
  --cores "$node_cpus" --resources "mem_mb=$node_mb" --set-threads "extract=$node_cpus" \
  --config "results=$work/slurm" >"$work/slurm.log" 2>&1 || { tail -60 "$work/slurm.log" >&2; exit 1; }
echo "slurm: done in $(($(date +%s) - start)) s"
.venv/bin/python scripts/compare_runs.py "$work/local" "$work/slurm" --snakemake-log "$work/slurm.log"
if [ "$started_here" = 1 ]; then
  echo "slurm: the cluster keeps running (pkill slurmd; pkill slurmctld; pkill munged to stop it)"
fi
