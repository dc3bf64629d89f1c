# A change's speed against the binary before it, interleaved in one run (for a
# refactoring that must leave speed unchanged, e.g. issue 12's reshaping):
#   contain run --network none --rootfs <busybox> -- busybox true   (container_start's case)
#   contain run --network NET -p 18080:80 -- /bin/true              (container_network's case)
#   bench_batch N: N namespaces on one bridge through the library batch path
# each with BEFORE's and this build's binaries, alternating in a new order each round.
# Usage: BEFORE=/path/to/old/build bench/run before_after [RUNS] [BATCH_N] [BATCH_ROUNDS]
#   BEFORE is a build directory of the older commit (its contain and bench/bench_batch).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
runs=${1:-100} batch_n=${2:-200} batch_rounds=${3:-6}
old=${BEFORE:?set BEFORE to the build directory of the commit to compare with}
new=$(dirname "$CONTAIN")
for b in "$old" "$new"; do
  [[ -x $b/contain && -x $b/bench/bench_batch ]] || { echo "bench: $b lacks contain or bench/bench_batch" >&2; exit 1; }
done
busybox_bundle bundle
"$new/contain" network create bench-net --subnet 10.89.0.0/24 >/dev/null
trap '"$new/contain" network delete --force bench-net >/dev/null' EXIT

start_before() { "$old/contain" run --network none --rootfs bundle/rootfs -- /bin/busybox true; }
start_after() { "$new/contain" run --network none --rootfs bundle/rootfs -- /bin/busybox true; }
network_before() { "$old/contain" run --network bench-net -p 18080:80 -- /bin/true; }
network_after() { "$new/contain" run --network bench-net -p 18080:80 -- /bin/true; }
for _ in 1 2 3; do start_before; start_after; network_before; network_after; done
# Apart: the kernel tears a network run's namespace down after it returns, and
# that work would land on whichever start runs next.
interleave "$runs" start_before start_after
declare -a s_before=("${t_start_before[@]}") s_after=("${t_start_after[@]}")
interleave "$runs" network_before network_after
t_start_before=("${s_before[@]}") t_start_after=("${s_after[@]}")

# bench_batch: whole runs, alternating; its "create" and "teardown" ms/ns lines.
batch_create_before=() batch_create_after=() batch_td_before=() batch_td_after=()
for ((i = 0; i < batch_rounds; i++)); do
  order=(before after)
  ((i % 2)) && order=(after before)
  for which in "${order[@]}"; do
    dir=$old
    [[ $which == after ]] && dir=$new
    out=$("$dir/bench/bench_batch" "$batch_n" 5) || true
    c=$(awk '/^  create/ { print $5 }' <<<"$out") t=$(awk '/^  teardown/ { print $5 }' <<<"$out")
    [[ -n $c && -n $t ]] || { echo "bench: bench_batch ($which) printed: $out" >&2; exit 1; }
    eval "batch_create_$which+=($c)"
    eval "batch_td_$which+=($t)"
  done
done

printf 'before (%s) and after (%s), %d interleaved runs each, median µs per run\n' "$old" "$new" "$runs"
printf '  %-58s %9s %9s %7s\n' "" before after after/before
row() {
  local b a
  b=$(median_us "$2") a=$(median_us "$3")
  printf '  %-58s %9d %9d %7s\n' "$1" "$b" "$a" "$(fraction "$a" "$b")"
}
row "run --network none --rootfs <busybox> -- busybox true" start_before start_after
row "run --network NET -p 18080:80 -- /bin/true" network_before network_after
mb() { median "$@"; }
printf 'bench_batch %d namespaces, %d alternating runs each, median ms per namespace\n' "$batch_n" "$batch_rounds"
printf '  %-58s %9.3f %9.3f %7s\n' "create" "$(mb "${batch_create_before[@]}")" \
  "$(mb "${batch_create_after[@]}")" "$(fraction "$(mb "${batch_create_after[@]}")" "$(mb "${batch_create_before[@]}")")"
printf '  %-58s %9.3f %9.3f %7s\n' "teardown" "$(mb "${batch_td_before[@]}")" \
  "$(mb "${batch_td_after[@]}")" "$(fraction "$(mb "${batch_td_after[@]}")" "$(mb "${batch_td_before[@]}")")"
