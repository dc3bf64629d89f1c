# What resource limits cost at start, in one run, interleaved:
#   contain run --memory 64m --pids-limit 64 --cpus 0.5 -- /bin/true
#   contain run -- /bin/true                      (no limits; still accounted in cgroups)
#   runc run on a busybox bundle with the same limits in config.json
#   and, when CONTAIN_WITHOUT_CGROUPS names a contain binary built without
#   cgroup support (e.g. main before issue 14), that binary: the cost of the
#   cgroups themselves (set-up, placement, removal).
# Targets: limits add <= 1 ms to start-to-exit, and contain with limits
# <= 0.25x runc with limits.
# Usage: bench/run container_limits [RUNS]
set -euo pipefail
. "$(dirname "$0")/lib.sh"
runs=${1:-100}
C=$CONTAIN
oci_peers_ready
busybox_bundle bundle
jq '.linux.resources = {memory: {limit: 67108864}, pids: {limit: 64},
                        cpu: {quota: 50000, period: 100000}}' bundle/config.json > bundle/config.tmp
mv bundle/config.tmp bundle/config.json

limits_once() { "$C" run --memory 64m --pids-limit 64 --cpus 0.5 -- /bin/true; }
plain_once() { "$C" run -- /bin/true; }
runc_once() { runc run --bundle bundle "bench-$RANDOM$RANDOM"; }
fns=(limits_once plain_once runc_once)
if [[ -n ${CONTAIN_WITHOUT_CGROUPS:-} ]]; then
  without_once() { "$CONTAIN_WITHOUT_CGROUPS" run -- /bin/true; }
  fns+=(without_once)
fi

for _ in 1 2 3; do for fn in "${fns[@]}"; do "$fn"; done; done
interleave "$runs" "${fns[@]}"
[[ -z $(ls /run/contain/containers 2>/dev/null) ]] || { echo "bench: containers left" >&2; exit 1; }

l_us=$(median_us limits_once) p_us=$(median_us plain_once) r_us=$(median_us runc_once)
printf 'container start-to-exit with limits, %d interleaved runs (median µs)\n' "$runs"
printf '  %-66s %8d\n' "contain run --memory 64m --pids-limit 64 --cpus 0.5 -- /bin/true" "$l_us"
printf '  %-66s %8d\n' "contain run -- /bin/true (no limits, accounted in cgroups)" "$p_us"
printf '  %-66s %8d\n' "runc run (same limits in config.json, busybox true)" "$r_us"
if [[ -n ${CONTAIN_WITHOUT_CGROUPS:-} ]]; then
  w_us=$(median_us without_once)
  printf '  %-66s %8d\n' "contain without cgroup support ($CONTAIN_WITHOUT_CGROUPS)" "$w_us"
  printf 'cgroups (placement and removal) = %d µs\n' "$((p_us - w_us))"
fi
printf 'limits - no limits = %d µs  (target <= 1000)\n' "$((l_us - p_us))"
printf 'contain / runc = %s  (target <= 0.25)\n' "$(fraction "$l_us" "$r_us")"
