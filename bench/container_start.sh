#!/usr/bin/env bash
# Start-to-exit of a container, in one run, against peers:
#   contain run --network none --rootfs <busybox> -- /bin/busybox true
#   runc run on an OCI bundle of the same rootfs (new pid, net, ipc, uts, mount ns)
#   unshare -pfnuim --mount-proc true (namespaces only, no rootfs)
# Prints the mean time per run of each and the ratios. Targets: contain <= 0.25x
# runc and <= 1.5x unshare.
#
# Usage (root): bench/container_start.sh [BUILD_DIR] [RUNS]
# It runs inside its own sandbox (new network and mount namespaces, tmpfs on
# /run and on a work directory), so nothing it does is visible on the host.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:-$here/../build}" && pwd)
runs=${2:-200}
[[ $(id -u) -eq 0 ]] || { echo "bench: needs root" >&2; exit 1; }

if [[ ${CONTAIN_BENCH_SANDBOXED:-} != 1 ]]; then
  exec env CONTAIN_BENCH_SANDBOXED=1 unshare --mount --net --propagation private -- "$0" "$build" "$runs"
fi
mount -t tmpfs -o mode=755 bench-run /run
mkdir -p /run/netns /run/contain /run/runc
work=$(mktemp -d /var/tmp/contain-bench.XXXXXX)
mount -t tmpfs bench-work "$work"
trap 'umount -l "$work"; rmdir "$work"' EXIT
cd "$work"
ip link set lo up

contain=$build/contain
busybox=$(command -v busybox)
command -v runc >/dev/null || { echo "bench: runc is missing (run scripts/setup)" >&2; exit 1; }

# One static busybox is the whole root file system, shared by contain and runc.
mkdir -p bundle/rootfs/bin
cp "$busybox" bundle/rootfs/bin/busybox
(cd bundle && runc spec)
jq '.process.terminal = false | .process.args = ["/bin/busybox", "true"] | .root.readonly = false' \
  bundle/config.json > bundle/config.tmp && mv bundle/config.tmp bundle/config.json

# The checks that every tool really runs its container before timing it.
"$contain" run --network none --rootfs bundle/rootfs -- /bin/busybox true
runc run --bundle bundle check-run
unshare -pfnuim --mount-proc true

now_ns() { date +%s%N; }
time_runs() {  # CMD...: mean microseconds per run of CMD over $runs runs
  local start end i
  start=$(now_ns)
  for ((i = 0; i < runs; i++)); do "$@" >/dev/null; done
  end=$(now_ns)
  echo $(((end - start) / runs / 1000))
}
runc_once() { runc run --bundle bundle "bench-$RANDOM$RANDOM"; }

# Warm the page cache and the dynamic linker before measuring.
for _ in 1 2 3; do
  "$contain" run --network none --rootfs bundle/rootfs -- /bin/busybox true
  runc_once
  unshare -pfnuim --mount-proc true
done

contain_us=$(time_runs "$contain" run --network none --rootfs bundle/rootfs -- /bin/busybox true)
runc_us=$(time_runs runc_once)
unshare_us=$(time_runs unshare -pfnuim --mount-proc true)

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
printf 'container start-to-exit, mean of %d runs (µs per run)\n' "$runs"
printf '  %-58s %8d\n' "contain run --network none --rootfs <busybox> -- busybox true" "$contain_us"
printf '  %-58s %8d\n' "runc run (OCI bundle, same rootfs)" "$runc_us"
printf '  %-58s %8d\n' "unshare -pfnuim --mount-proc true" "$unshare_us"
printf 'contain / runc    = %s  (target <= 0.25)\n' "$(ratio "$contain_us" "$runc_us")"
printf 'contain / unshare = %s  (target <= 1.50)\n' "$(ratio "$contain_us" "$unshare_us")"
