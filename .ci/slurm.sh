#!/usr/bin/env bash
# A one-node SLURM on this machine, for the cluster tests and benchmark (as root):
# Debian's slurm-wlm and munge, one node with this machine's CPUs and memory in one
# partition, accounting off; a job that asks no memory gets its CPUs' share (as on most
# clusters), not the whole node. Safe to run again: it starts only what is not running.
# Prints the partition's line of `sinfo` once the node is idle.
set -euo pipefail

if [ "$(id -u)" != 0 ]; then
    echo "slurm.sh: must run as root (it installs packages and starts daemons)" >&2
    exit 1
fi
if ! command -v slurmctld > /dev/null || ! command -v munged > /dev/null; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q > /dev/null
    apt-get install -y -q slurm-wlm munge > /dev/null
fi

host="$(hostname -s)"
cpus="$(nproc)"
memory_mb="$(awk '/MemTotal/ {print int($2 / 1024 * 0.9)}' /proc/meminfo)"
mkdir -p /etc/slurm /var/spool/slurmctld /var/spool/slurmd /var/log/slurm /run/munge
cat > /etc/slurm/slurm.conf <<EOF
ClusterName=sweepnet-ci
SlurmctldHost=$host
SlurmUser=root
AuthType=auth/munge
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd.pid
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
ReturnToService=2
MinJobAge=300
KillWait=30
DefMemPerCPU=$((memory_mb / cpus))
NodeName=$host CPUs=$cpus RealMemory=$memory_mb State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF

if [ ! -s /etc/munge/munge.key ]; then
    dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key status=none
fi
chown -R munge:munge /etc/munge /run/munge /var/lib/munge /var/log/munge 2>/dev/null || true
chmod 400 /etc/munge/munge.key
pgrep -x munged > /dev/null || runuser -u munge -- /usr/sbin/munged
if pgrep -x slurmctld > /dev/null; then
    scontrol reconfigure  # already running: read the new slurm.conf
else
    /usr/sbin/slurmctld
fi
pgrep -x slurmd > /dev/null || /usr/sbin/slurmd

for _ in $(seq 60); do
    if sinfo -h -o "%P %T %D %c" 2>/dev/null | grep -q "idle"; then
        sinfo -h -o "slurm: partition %P, %D node %N %T, %c CPUs"
        exit 0
    fi
    scontrol update nodename="$host" state=resume > /dev/null 2>&1 || true
    sleep 1
done
echo "slurm.sh: the node did not become idle; see /var/log/slurm/" >&2
sinfo >&2 || true
exit 1
