# What the default confinement costs at start, in one run, against peers:
#   contain run --rootfs <busybox> -- busybox true             (Docker's caps, seccomp, masks)
#   contain run --privileged --rootfs <busybox> -- busybox true (none of it)
#   runc run / crun run on an OCI bundle of the same rootfs with Docker's 14
#   capabilities and contain's default seccomp profile (resolved for those
#   capabilities) in config.json
# Targets: contain <= 0.25x runc and <= 0.5x crun, and the default hardening
# costs <= 1.5 ms over --privileged (difference of medians).
# Usage: bench/run container_security [RUNS]
set -euo pipefail
. "$(dirname "$0")/lib.sh"
runs=${1:-100}
C=$CONTAIN
oci_peers_ready
profile=$(dirname "$0")/../data/seccomp/default.json
caps='["CAP_CHOWN","CAP_DAC_OVERRIDE","CAP_FSETID","CAP_FOWNER","CAP_MKNOD","CAP_NET_RAW",
       "CAP_SETGID","CAP_SETUID","CAP_SETFCAP","CAP_SETPCAP","CAP_NET_BIND_SERVICE",
       "CAP_SYS_CHROOT","CAP_KILL","CAP_AUDIT_WRITE"]'
# The profile resolved for Docker's capabilities on amd64, in the OCI runtime
# spec's form (no includes/excludes; architectures listed).
jq --argjson caps "$caps" '{
    defaultAction, defaultErrnoRet,
    architectures: ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
    syscalls: [.syscalls[]
      | select((.includes.caps // []) - $caps == [])
      | select(((.excludes.caps // []) - ((.excludes.caps // []) - $caps)) == [])
      | select((.includes.arches // ["amd64"]) | index("amd64"))
      | select((.excludes.arches // []) | index("amd64") | not)
      | del(.includes, .excludes, .comment)]}' "$profile" > seccomp.json
busybox_bundle bundle
jq --argjson caps "$caps" --slurpfile seccomp seccomp.json '
    .process.capabilities = {bounding: $caps, effective: $caps, permitted: $caps}
    | .linux.seccomp = $seccomp[0]' bundle/config.json > bundle/config.tmp
mv bundle/config.tmp bundle/config.json

default_once() { "$C" run --rootfs bundle/rootfs -- /bin/busybox true; }
privileged_once() { "$C" run --privileged --rootfs bundle/rootfs -- /bin/busybox true; }
runc_once() { runc run --bundle bundle "bench-$RANDOM$RANDOM"; }
crun_once() { crun --cgroup-manager=disabled run --bundle bundle "bench-$RANDOM$RANDOM"; }

for _ in 1 2 3; do default_once; privileged_once; runc_once; crun_once; done

interleave "$runs" default_once privileged_once runc_once crun_once
[[ -z $(ls /run/contain/containers 2>/dev/null) ]] || { echo "bench: containers left" >&2; exit 1; }

d_us=$(median_us default_once) p_us=$(median_us privileged_once)
r_us=$(median_us runc_once) c_us=$(median_us crun_once)
printf 'container start-to-exit with confinement, %d interleaved runs (median µs)\n' "$runs"
printf '  %-66s %8d\n' "contain run --rootfs <busybox> (caps, seccomp, masked paths)" "$d_us"
printf '  %-66s %8d\n' "contain run --privileged --rootfs <busybox>" "$p_us"
printf '  %-66s %8d\n' "runc run (Docker's caps + seccomp in config.json)" "$r_us"
printf '  %-66s %8d\n' "crun run (same bundle; --cgroup-manager=disabled)" "$c_us"
printf 'contain / runc = %s  (target <= 0.25)\n' "$(fraction "$d_us" "$r_us")"
printf 'contain / crun = %s  (target <= 0.50)\n' "$(fraction "$d_us" "$c_us")"
printf 'default - privileged = %d µs  (target <= 1500)\n' "$((d_us - p_us))"
