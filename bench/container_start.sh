# Start-to-exit of a container, in one run, against peers:
#   contain run --network none --rootfs <busybox> -- /bin/busybox true
#   runc run on an OCI bundle of the same rootfs (new pid, net, ipc, uts, mount ns)
#   crun run on the same bundle (same config.json), without cgroups (see below)
#   unshare -pfnuim --mount-proc true (namespaces only, no rootfs)
# Prints the median and mean time per run of each and the ratios. Targets: contain
# <= 0.25x runc and <= 1.5x unshare; contain/crun is for reference, no target.
# Usage: bench/run container_start [RUNS]
set -euo pipefail
. "$(dirname "$0")/lib.sh"
runs=${1:-200}
C=$CONTAIN
for peer in runc crun; do
  command -v $peer >/dev/null || { echo "bench: $peer is missing (run scripts/setup)" >&2; exit 1; }
done
mkdir -p /run/runc /run/crun
# runc puts its container in cgroups: it needs the host's /sys/fs/cgroup, which
# the sandbox's own sysfs (mounted over /sys) hides.
if [[ ! -d /sys/fs/cgroup/cpuset && ! -e /sys/fs/cgroup/cgroup.controllers ]]; then umount /sys; fi
# crun 1.8 refuses a hybrid layout (v1 hierarchies on a tmpfs plus a cgroup2 at
# /sys/fs/cgroup/unified) as soon as that cgroup2 has any controller (this host's
# holds hugetlb), whatever its --cgroup-manager: "cgroups in hybrid mode not
# supported, drop all controllers from cgroupv2". Unmounted in this sandbox's
# private mount namespace (the host keeps it), crun sees plain v1. runc then no
# longer joins a cgroup2 group too; measured interleaved (23 Nov, 30 rounds, each
# call through nsenter) that changed nothing: 71.0 ms with it, 71.9 ms without.
# Nothing here uses hugetlb.
if mountpoint -q /sys/fs/cgroup/unified; then umount /sys/fs/cgroup/unified; fi

# One static busybox is the whole root file system, shared by contain, runc and
# crun; runc and crun run the same bundle and config.json.
mkdir -p bundle/rootfs/bin
cp "$(command -v busybox)" bundle/rootfs/bin/busybox
(cd bundle && runc spec)
# runc's cgroups get a known path, so that one left by a runc killed midway (the
# sandbox cannot hold the host's cgroup tree) is removed when we end.
jq '.process.terminal = false | .process.args = ["/bin/busybox", "true"] | .root.readonly = false
    | .linux.cgroupsPath = "contain-bench"' \
  bundle/config.json > bundle/config.tmp && mv bundle/config.tmp bundle/config.json
trap 'rmdir /sys/fs/cgroup/*/contain-bench 2>/dev/null || true' EXIT

contain_once() { "$C" run --network none --rootfs bundle/rootfs -- /bin/busybox true; }
runc_once() { runc run --bundle bundle "bench-$RANDOM$RANDOM"; }
# crun makes no cgroups (--cgroup-manager=disabled), like contain; runc does. With
# its default cgroupfs manager crun puts the container at /<id> of every v1
# hierarchy, from the root, so also out of the memory cgroup this benchmark runs
# in (runc makes its groups below the caller's); that costs crun ≈ 6 ms here
# (23 Nov, 30 rounds through nsenter: 31.3 ms with cgroupfs, 25.2 ms disabled).
crun_once() { crun --cgroup-manager=disabled run --bundle bundle "bench-$RANDOM$RANDOM"; }
unshare_once() { unshare -pfnuim --mount-proc true; }

# Each must work before it is timed; the repeats warm the page cache.
for _ in 1 2 3; do contain_once; runc_once; crun_once; unshare_once; done

# Interleaved, one call of each per round, each timed on its own with bash's
# clock (no process to read it): load from other work on the machine falls on
# all four alike. Ratios are of the medians.
declare -a t_contain t_runc t_crun t_unshare
for ((i = 0; i < runs; i++)); do
  a=${EPOCHREALTIME/./}; contain_once >/dev/null; b=${EPOCHREALTIME/./}
  runc_once >/dev/null; c=${EPOCHREALTIME/./}
  crun_once >/dev/null; d=${EPOCHREALTIME/./}
  unshare_once >/dev/null; e=${EPOCHREALTIME/./}
  t_contain+=($((b - a))) t_runc+=($((c - b))) t_crun+=($((d - c))) t_unshare+=($((e - d)))
done
[[ -z $(ls /run/contain/containers 2>/dev/null) ]] || { echo "bench: containers left" >&2; exit 1; }

mean() { printf '%s\n' "$@" | awk '{ s += $1 } END { printf "%d", s / NR }'; }
fraction() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
contain_us=$(printf %.0f "$(median "${t_contain[@]}")") runc_us=$(printf %.0f "$(median "${t_runc[@]}")")
crun_us=$(printf %.0f "$(median "${t_crun[@]}")") unshare_us=$(printf %.0f "$(median "${t_unshare[@]}")")
printf 'container start-to-exit, %d interleaved runs each (µs per run)      median     mean\n' "$runs"
printf '  %-62s %8d %8d\n' "contain run --network none --rootfs <busybox> -- busybox true" \
  "$contain_us" "$(mean "${t_contain[@]}")"
printf '  %-62s %8d %8d\n' "runc run (OCI bundle of the same rootfs)" "$runc_us" "$(mean "${t_runc[@]}")"
printf '  %-62s %8d %8d\n' "crun run (same bundle; --cgroup-manager=disabled)" "$crun_us" \
  "$(mean "${t_crun[@]}")"
printf '  %-62s %8d %8d\n' "unshare -pfnuim --mount-proc true" "$unshare_us" "$(mean "${t_unshare[@]}")"
printf 'contain / runc    = %s  (target <= 0.25)\n' "$(fraction "$contain_us" "$runc_us")"
printf 'contain / unshare = %s  (target <= 1.50)\n' "$(fraction "$contain_us" "$unshare_us")"
printf 'contain / crun    = %s  (for reference; no target)\n' "$(fraction "$contain_us" "$crun_us")"
