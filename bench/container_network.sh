# What a managed network (with NAT) and one published port add to a
# container's life: setup (veth born in the container's namespace, enslaved,
# addressed, routed; the forward) and teardown (forward removed, address
# released, veth gone with the namespace), measured as the difference between
#   contain run --network NET -p 18080:80 -- /bin/true     and
#   contain run --network none -- /bin/true
# interleaved in one run (medians). Target: <= 10 ms.
# Usage: bench/run container_network [RUNS]
set -euo pipefail
. "$(dirname "$0")/lib.sh"
runs=${1:-100}
C=$CONTAIN
"$C" network create bench-net --subnet 10.89.0.0/24 >/dev/null
trap '"$C" network delete --force bench-net >/dev/null' EXIT

none_once() { "$C" run --network none -- /bin/true; }
managed_once() { "$C" run --network bench-net -p 18080:80 -- /bin/true; }
for _ in 1 2 3; do none_once; managed_once; done

interleave "$runs" none_once managed_once
[[ $("$C" forward list --json) == "[]" ]] || { echo "bench: forwards left" >&2; exit 1; }
# Every run waited for its veth: nothing may be left once the network is gone.
trap - EXIT
"$C" network delete bench-net
[[ $(ip -o link show | grep -vc ': lo:') -eq 0 ]] || { echo "bench: links left" >&2; exit 1; }
[[ -z $(ls /run/contain) ]] || { echo "bench: state left: $(ls /run/contain)" >&2; exit 1; }

none_us=$(median_us none_once) managed_us=$(median_us managed_once)
printf 'container on a managed network, %d interleaved runs each (median µs per run)\n' "$runs"
printf '  %-52s %8d\n' "contain run --network none -- /bin/true" "$none_us"
printf '  %-52s %8d\n' "contain run --network bench-net -p 18080:80 -- /bin/true" "$managed_us"
printf 'network + NAT + published port, setup + teardown = %d µs  (target <= 10000)\n' \
  $((managed_us - none_us))
