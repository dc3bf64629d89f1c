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
oci_peers_ready
busybox_bundle bundle
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

interleave "$runs" contain_once runc_once crun_once unshare_once
[[ -z $(ls /run/contain/containers 2>/dev/null) ]] || { echo "bench: containers left" >&2; exit 1; }

contain_us=$(median_us contain_once) runc_us=$(median_us runc_once)
crun_us=$(median_us crun_once) unshare_us=$(median_us unshare_once)
printf 'container start-to-exit, %d interleaved runs each (µs per run)      median     mean\n' "$runs"
printf '  %-62s %8d %8d\n' "contain run --network none --rootfs <busybox> -- busybox true" \
  "$contain_us" "$(mean_us contain_once)"
printf '  %-62s %8d %8d\n' "runc run (OCI bundle of the same rootfs)" "$runc_us" "$(mean_us runc_once)"
printf '  %-62s %8d %8d\n' "crun run (same bundle; --cgroup-manager=disabled)" "$crun_us" \
  "$(mean_us crun_once)"
printf '  %-62s %8d %8d\n' "unshare -pfnuim --mount-proc true" "$unshare_us" "$(mean_us unshare_once)"
printf 'contain / runc    = %s  (target <= 0.25)\n' "$(fraction "$contain_us" "$runc_us")"
printf 'contain / unshare = %s  (target <= 1.50)\n' "$(fraction "$contain_us" "$unshare_us")"
printf 'contain / crun    = %s  (for reference; no target)\n' "$(fraction "$contain_us" "$crun_us")"
