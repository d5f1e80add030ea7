#!/usr/bin/env bash
# A one-node SLURM on this machine, for the tests marked `slurm` (tests/launch/slurm_test.py):
# Debian's slurm-wlm and munge, as root, localhost only, no GPU GRES. Idempotent: a cluster
# that answers `sinfo` is left as it is.
#
#   bash tools/slurm_local.sh          # install if needed, configure, start; prints sinfo
#   bash tools/slurm_local.sh stop     # stops slurmd, slurmctld and munged
#
# Pass --gpus-per-node=0 to scripts that ask for GPUs (launch/slurm.sbatch asks for 8).
set -euo pipefail

if [ "${1:-}" = stop ]; then
  pkill -x slurmd || true; pkill -x slurmctld || true; pkill -x munged || true
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "tools/slurm_local.sh: needs root (it installs packages and starts daemons)" >&2
  exit 1
fi
# Up, with the 2 CPUs the multi-host test's 2 tasks ask for: left as it is.
if sinfo -h -o %T 2>/dev/null | grep -qE 'idle|mixed|alloc' \
    && [ "$(sinfo -h -o %c 2>/dev/null | head -1)" -ge 2 ] 2>/dev/null; then
  sinfo
  exit 0
fi
if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slurm-wlm munge >/dev/null
fi

host=$(hostname)
# Every CPU of the machine (not only those this shell may use), and at least 2 (the
# multi-host test's 2 tasks), which SLURM accepts beyond the hardware with config_overrides.
cpus=$(nproc --all)
[ "$cpus" -ge 2 ] || cpus=2
mem_mb=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 * 8 / 10 ))

mkdir -p /etc/munge /var/log/munge /var/lib/munge /run/munge
if [ ! -s /etc/munge/munge.key ]; then
  dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key 2>/dev/null
fi
chown -R munge:munge /etc/munge /var/log/munge /var/lib/munge /run/munge
chmod 400 /etc/munge/munge.key
chmod 700 /etc/munge
pgrep -x munged >/dev/null || su -s /bin/sh munge -c /usr/sbin/munged

mkdir -p /etc/slurm /var/spool/slurmctld /var/spool/slurmd /var/log/slurm
cat > /etc/slurm/slurm.conf <<EOF
ClusterName=gan_jax_local
SlurmctldHost=${host}
SlurmUser=root
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU_Memory
DefMemPerCPU=4000
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
ReturnToService=2
KillWait=30
MinJobAge=600
JobRequeue=1
SlurmdParameters=config_overrides
NodeName=${host} CPUs=${cpus} RealMemory=${mem_mb} State=UNKNOWN
PartitionName=main Nodes=${host} Default=YES MaxTime=INFINITE State=UP
EOF
if pgrep -x slurmctld >/dev/null; then  # running with an older configuration: re-read it
  pkill -x slurmd || true; pkill -x slurmctld || true; sleep 2
fi
pgrep -x slurmctld >/dev/null || slurmctld
pgrep -x slurmd >/dev/null || slurmd
for _ in $(seq 60); do
  if sinfo -h -o %T 2>/dev/null | grep -qE 'idle|mixed|alloc'; then
    sinfo
    exit 0
  fi
  scontrol update nodename="${host}" state=resume >/dev/null 2>&1 || true
  sleep 1
done
echo "tools/slurm_local.sh: the node did not come up; see /var/log/slurm/" >&2
exit 1
