# Helpers for benchmarks (sourced; the scripts run under bench/run).
# Timing uses bash's $EPOCHREALTIME: no process is started to read the clock.
#   t=$EPOCHREALTIME; work; ms=$(ms_since "$t")     -> milliseconds, 3 decimals
[[ -n ${CONTAIN:-} ]] || { echo "bench: run me through bench/run" >&2; exit 1; }
contain() { "$CONTAIN" "$@"; }
ms_since() {
  local us=$(( ${EPOCHREALTIME//[.,]/} - ${1//[.,]/} ))
  printf '%d.%03d\n' $((us / 1000)) $((us % 1000))
}
# median [VALUES...]: of the arguments, or of stdin's lines when none are given.
median() {
  { if (($#)); then printf '%s\n' "$@"; else cat; fi; } | sort -g |
    awk '{ v[NR] = $1 } END { print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'
}
# ratio REFERENCE OURS -> "12.3x"
ratio() { awk -v r="$1" -v o="$2" 'BEGIN { if (o <= 0) o = 0.001; printf "%.1fx", r / o }'; }
links_left() { ip -o link show | grep -vc ': lo:' || true; }
# Waits (bounded) until only lo is left: the kernel destroys namespaces asynchronously.
wait_links_gone() {
  local deadline=$((SECONDS + 20))
  while (( $(links_left) > 0 && SECONDS < deadline )); do sleep 0.01; done
}
