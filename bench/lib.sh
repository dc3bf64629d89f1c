# Helpers for benchmarks: timing and ratio printing.
now_ns() { date +%s%N; }
ms_since() { echo $(( ($(now_ns) - $1) / 1000000 )); }
# ratio REFERENCE_MS OURS_MS -> "12.3x"
ratio() { awk -v r="$1" -v o="$2" 'BEGIN { if (o <= 0) o = 0.001; printf "%.1fx", r / o }'; }
links_left() { ip -o link show | grep -vc ': lo:' || true; }
# Waits (bounded) until only lo is left: the kernel destroys namespaces asynchronously.
wait_links_gone() {
  local deadline=$((SECONDS + 20))
  while (( $(links_left) > 0 && SECONDS < deadline )); do sleep 0.01; done
}
