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

time_runs() {  # CMD: mean microseconds per run over $runs runs
  local start i
  start=$(now_ns)
  for ((i = 0; i < runs; i++)); do "$1" >/dev/null; done
  echo $((($(now_ns) - start) / runs / 1000))
}
contain_us=$(time_runs contain_once)
runc_us=$(time_runs runc_once)
unshare_us=$(time_runs unshare_once)
[[ -z $(ls /run/contain/containers 2>/dev/null) ]] || { echo "bench: containers left" >&2; exit 1; }

fraction() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
printf 'container start-to-exit, mean of %d runs (µs per run)\n' "$runs"
printf '  %-62s %8d\n' "contain run --network none --rootfs <busybox> -- busybox true" "$contain_us"
printf '  %-62s %8d\n' "runc run (OCI bundle of the same rootfs)" "$runc_us"
printf '  %-62s %8d\n' "unshare -pfnuim --mount-proc true" "$unshare_us"
printf 'contain / runc    = %s  (target <= 0.25)\n' "$(fraction "$contain_us" "$runc_us")"
printf 'contain / unshare = %s  (target <= 1.50)\n' "$(fraction "$contain_us" "$unshare_us")"
