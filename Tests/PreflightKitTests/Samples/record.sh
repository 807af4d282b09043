#!/bin/sh
# Records this machine's files that preflight and the shield read into DIR
# (default vm-2cpu), as a tree under a fake root. Read-only on the machine.
# The kernel command line is cut at " -- " (the init's own arguments follow)
# and mounts outside /proc, /sys and cgroups are left out.
set -eu
out=${1:-vm-2cpu}
copy() { mkdir -p "$out/$(dirname "$1")"; cat "/$1" > "$out/$1"; }
copy proc/interrupts
copy proc/swaps
copy proc/sys/kernel/sched_rt_runtime_us
copy proc/sys/kernel/sched_rt_period_us
mkdir -p "$out/proc"
sed 's/ -- .*//' /proc/cmdline > "$out/proc/cmdline"
grep -E ' (proc|sysfs|cgroup|cgroup2|tmpfs /sys)' /proc/mounts | grep -E '^(proc|sysfs|cgroup|cgroup2|tmpfs /sys/fs/cgroup) ' > "$out/proc/mounts"
copy proc/irq/default_smp_affinity
for d in /proc/irq/[0-9]*; do
  for f in smp_affinity_list effective_affinity_list; do
    [ -r "$d/$f" ] && copy "${d#/}/$f"
  done
done
tids=""
for task in 1/1 1/59 2/2 14/14 21/21 22/22 38/38; do
  [ -d "/proc/${task%/*}/task/${task#*/}" ] || continue
  copy "proc/${task%/*}/task/${task#*/}/stat"
  copy "proc/${task%/*}/task/${task#*/}/status"
  [ "${task%/*}" = "${task#*/}" ] && copy "proc/${task%/*}/stat"
  tids="$tids ${task#*/}"
done
for f in online possible isolated cpu0/topology/thread_siblings_list cpu1/topology/thread_siblings_list \
         smt/control cpuidle/current_driver; do
  copy "sys/devices/system/cpu/$f"
done
copy sys/devices/system/clocksource/clocksource0/current_clocksource
copy sys/devices/system/clocksource/clocksource0/available_clocksource
copy sys/kernel/mm/transparent_hugepage/enabled
copy sys/kernel/mm/transparent_hugepage/defrag
for f in cpuset.cpus cpuset.mems cpuset.sched_load_balance cpuset.cpu_exclusive; do copy "sys/fs/cgroup/cpuset/$f"; done
# Only the recorded threads, so the tasks file matches the recorded /proc.
for t in $tids; do echo "$t"; done > "$out/sys/fs/cgroup/cpuset/tasks"
for f in cgroup.controllers cgroup.subtree_control; do copy "sys/fs/cgroup/unified/$f"; done
