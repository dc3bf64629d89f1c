# Sourced by the benchmarks: re-runs the calling script inside a throwaway
# sandbox (new network and mount namespaces, tmpfs on /run), like the tests, so
# that nothing a benchmark does touches the host.
if [[ -z ${CONTAIN_BENCH_SANDBOX:-} ]]; then
  [[ $(id -u) -eq 0 ]] || { echo "benchmarks need root" >&2; exit 1; }
  export CONTAIN_BENCH_SANDBOX=1
  export CONTAIN=${CONTAIN:-$(cd "$(dirname "$0")/.." && pwd)/build/contain}
  exec unshare --mount --net --fork --propagation private -- bash -c '
    mount -t tmpfs -o mode=755 contain-bench-run /run
    mkdir -p /run/netns /run/contain /run/lock
    mount -t sysfs sysfs /sys 2>/dev/null || true
    ip link set lo up
    exec bash "$0" "$@"' "$0" "$@"
fi
contain() { "$CONTAIN" "$@"; }
# Milliseconds since an $EPOCHREALTIME value (a bash builtin: no process).
ms_since() { echo "scale=3; ($EPOCHREALTIME - $1) * 1000 / 1" | bc; }
median() { sort -n | awk '{v[NR]=$1} END {print (NR%2 ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2)}'; }
