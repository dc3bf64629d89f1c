#!/usr/bin/env bash
# 1,000 forwards to one namespace, one `contain forward add` each: a forward is
# one element of an nftables map, so add number 1,000 should cost what add
# number 10 costs. Prints both (and medians of the ten adds around each).
#
#   bench/run forwards_1000 [COUNT]   (default 1000)
set -euo pipefail
. "$(dirname "$0")/lib.sh"
count=${1:-1000}
contain net create app
contain net veth --host app-h --ns app --host-addr 10.0.0.1/24 --ns-addr 10.0.0.2/24
times=()
for ((i = 1; i <= count; i++)); do
  t=$EPOCHREALTIME
  contain forward add --host-port $((10000 + i)) --to app:80
  times+=("$(ms_since "$t")")
done
n=$(nft list map inet contain fwd4 | grep -o ' : 10.0.0.2 . 80' | wc -l)
[[ $n -eq $count ]] || { echo "expected $count map elements, found $n" >&2; exit 1; }
t=$EPOCHREALTIME
contain net delete app
del=$(ms_since "$t")
[[ -z $(nft list ruleset) ]] || { echo "rules left after net delete" >&2; exit 1; }
first=$(printf '%s\n' "${times[@]:5:10}" | median)
last=$(printf '%s\n' "${times[@]:count-10:10}" | median)
printf '%d forwards, one process each\n' "$count"
printf '  add #10:   %7.2f ms    median of adds #6-#15:   %7.2f ms\n' "${times[9]}" "$first"
printf '  add #%d: %7.2f ms    median of the last ten:   %7.2f ms\n' "$count" "${times[count-1]}" "$last"
printf '  ratio #%d/#10: %.2f   (medians: %.2f; target <= 1.2)\n' "$count" \
  "$(bc -l <<<"${times[count-1]}/${times[9]}")" "$(bc -l <<<"$last/$first")"
printf '  net delete with %d forwards (one transaction): %.2f ms\n' "$count" "$del"

# The same through the library, in one process: the cost of the work itself,
# without process start-up (which dominates, and varies, on a loaded machine).
nat_setup=$(dirname "$CONTAIN")/bench/nat_setup
[[ -x $nat_setup ]] || cmake --build "$(dirname "$CONTAIN")" --target nat_setup >/dev/null
mapfile -t lib < <("$nat_setup" forwards "$count")
first=$(printf '%s\n' "${lib[@]:5:10}" | median)
last=$(printf '%s\n' "${lib[@]:count-10:10}" | median)
printf 'the same through the library (engine::add_forward, one process)\n'
printf '  add #10:   %7.3f ms    median of adds #6-#15:   %7.3f ms\n' "${lib[9]}" "$first"
printf '  add #%d: %7.3f ms    median of the last ten:   %7.3f ms\n' "$count" "${lib[count-1]}" "$last"
printf '  ratio #%d/#10: %.2f   (medians: %.2f; target <= 1.2)\n' "$count" \
  "$(bc -l <<<"${lib[count-1]}/${lib[9]}")" "$(bc -l <<<"$last/$first")"
