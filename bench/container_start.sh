# Start-to-exit of a container, in one run, against peers:
#   contain run --network none --rootfs <busybox> -- /bin/busybox true
#   runc run on an OCI bundle of the same rootfs (new pid, net, ipc, uts, mount ns)
#   unshare -pfnuim --mount-proc true (namespaces only, no rootfs)
# Prints the mean time per run of each and the ratios. Targets: contain <= 0.25x
# runc and <= 1.5x unshare. Usage: bench/run container_start [RUNS]
set -euo pipefail
. "$(dirname "$0")/lib.sh"
runs=${1:-200}
C=$CONTAIN
command -v runc >/dev/null || { echo "bench: runc is missing (run scripts/setup)" >&2; exit 1; }
mkdir -p /run/runc
# runc puts its container in cgroups: it needs the host's /sys/fs/cgroup, which
# the sandbox's own sysfs (mounted over /sys) hides.
if [[ ! -d /sys/fs/cgroup/cpuset && ! -e /sys/fs/cgroup/cgroup.controllers ]]; then umount /sys; fi

# One static busybox is the whole root file system, shared by contain and runc.
mkdir -p bundle/rootfs/bin
cp "$(command -v busybox)" bundle/rootfs/bin/busybox
(cd bundle && runc spec)
jq '.process.terminal = false | .process.args = ["/bin/busybox", "true"] | .root.readonly = false' \
  bundle/config.json > bundle/config.tmp && mv bundle/config.tmp bundle/config.json

contain_once() { "$C" run --network none --rootfs bundle/rootfs -- /bin/busybox true; }
runc_once() { runc run --bundle bundle "bench-$RANDOM$RANDOM"; }
unshare_once() { unshare -pfnuim --mount-proc true; }

# Each must work before it is timed; the repeats warm the page cache.
for _ in 1 2 3; do contain_once; runc_once; unshare_once; done

# Interleaved, one call of each per round, each timed on its own with bash's
# clock (no process to read it): load from other work on the machine falls on
# all three alike. Ratios are of the medians.
declare -a t_contain t_runc t_unshare
for ((i = 0; i < runs; i++)); do
  a=${EPOCHREALTIME/./}; contain_once >/dev/null; b=${EPOCHREALTIME/./}
  runc_once >/dev/null; c=${EPOCHREALTIME/./}
  unshare_once >/dev/null; d=${EPOCHREALTIME/./}
  t_contain+=($((b - a))) t_runc+=($((c - b))) t_unshare+=($((d - c)))
done
[[ -z $(ls /run/contain/containers 2>/dev/null) ]] || { echo "bench: containers left" >&2; exit 1; }

mean() { printf '%s\n' "$@" | awk '{ s += $1 } END { printf "%d", s / NR }'; }
fraction() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
contain_us=$(printf %.0f "$(median "${t_contain[@]}")") runc_us=$(printf %.0f "$(median "${t_runc[@]}")")
unshare_us=$(printf %.0f "$(median "${t_unshare[@]}")")
printf 'container start-to-exit, %d interleaved runs each (µs per run)      median     mean\n' "$runs"
printf '  %-62s %8d %8d\n' "contain run --network none --rootfs <busybox> -- busybox true" \
  "$contain_us" "$(mean "${t_contain[@]}")"
printf '  %-62s %8d %8d\n' "runc run (OCI bundle of the same rootfs)" "$runc_us" "$(mean "${t_runc[@]}")"
printf '  %-62s %8d %8d\n' "unshare -pfnuim --mount-proc true" "$unshare_us" "$(mean "${t_unshare[@]}")"
printf 'contain / runc    = %s  (target <= 0.25)\n' "$(fraction "$contain_us" "$runc_us")"
printf 'contain / unshare = %s  (target <= 1.50)\n' "$(fraction "$contain_us" "$unshare_us")"
