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
# The kernel destroys network namespaces after their last user is gone, in a
# work queue that holds the RTNL lock: a lab taken down just before another is
# brought up slows the new one down (namespace creation needs RTNL here), and
# whoever comes next pays for whoever went before. settle_netns waits (bounded)
# until the number of namespaces the kernel holds is back to the count taken by
# netns_baseline, so that each measured step starts on a quiet kernel.
netns_objects() { awk '$1 == "net_namespace" { print $2 }' /proc/slabinfo; }
netns_baseline() { NETNS_BASELINE=$(netns_objects); }
settle_netns() {
  local deadline=$((SECONDS + 60))
  while (( $(netns_objects) > ${NETNS_BASELINE:?netns_baseline first} + 2 && SECONDS < deadline )); do
    sleep 0.05
  done
}
# interleave RUNS FN...: RUNS rounds, each calling every FN once in turn, each
# call timed on its own with bash's clock, its output dropped: load from other
# work on the machine falls on all alike. Each round draws a new order, so that
# no FN always follows the same one (a runc call leaves cgroups and namespaces
# that the kernel tears down after it returns; whoever comes next pays for
# that). Rotating one order, as this did before, kept its cycle: each FN always
# came right after the same other one. The microseconds of FN's calls go to the array t_FN; median_us FN is their
# median.
interleave() {
  local runs=$1 fn i j k a b
  shift
  local fns=("$@") order
  for fn; do declare -ga "t_$fn=()"; done
  RANDOM=42  # the same orders in every run of a benchmark
  for ((i = 0; i < runs; i++)); do
    order=("${fns[@]}")  # shuffled (Fisher-Yates)
    for ((j = ${#order[@]} - 1; j > 0; j--)); do
      k=$((RANDOM % (j + 1)))
      fn=${order[j]} order[j]=${order[k]} order[k]=$fn
    done
    for ((j = 0; j < ${#order[@]}; j++)); do
      fn=${order[j]}
      a=${EPOCHREALTIME/./}
      "$fn" >/dev/null
      b=${EPOCHREALTIME/./}
      eval "t_$fn+=($((b - a)))"
    done
  done
}
median_us() { local -n times="t_$1"; printf %.0f "$(median "${times[@]}")"; }
# pooled_median_us FN...: the median of all their calls together.
pooled_median_us() {
  local fn all=()
  for fn; do local -n times="t_$fn"; all+=("${times[@]}"); unset -n times; done
  printf %.0f "$(median "${all[@]}")"
}
mean_us() { local -n times="t_$1"; printf '%s\n' "${times[@]}" | awk '{ s += $1 } END { printf "%d", s / NR }'; }
# fraction A B -> A/B with two decimals
fraction() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

# OCI peers (runc, crun). runc puts its container in cgroups below its own; the
# sandbox shows the host's cgroup trees. crun 1.8 refuses a hybrid layout (v1
# hierarchies plus a cgroup2 at /sys/fs/cgroup/unified) as soon as that cgroup2
# has any controller (this host's holds hugetlb), whatever its
# --cgroup-manager: "cgroups in hybrid mode not supported, drop all controllers
# from cgroupv2". Unmounted in the sandbox's private mount namespace (the host
# keeps it), crun sees plain v1. runc then no longer joins a cgroup2 group too;
# measured interleaved (23 Nov, 30 rounds, each call through nsenter) that
# changed nothing: 71.0 ms with it, 71.9 ms without. No benchmark uses hugetlb.
oci_peers_ready() {
  local peer
  for peer in runc crun jq; do
    command -v $peer >/dev/null || { echo "bench: $peer is missing (run scripts/setup)" >&2; exit 1; }
  done
  mkdir -p /run/runc /run/crun
  if mountpoint -q /sys/fs/cgroup/unified; then umount /sys/fs/cgroup/unified; fi
}
# busybox_bundle DIR: an OCI bundle whose root file system is one
# static busybox (shared by contain --rootfs DIR/rootfs, runc and crun), running
# `busybox true`; runc's cgroups get the known relative path contain-bench
# (below the benchmark's own cgroups), removed when the benchmark ends.
busybox_bundle() {
  local dir=$1
  trap 'find /sys/fs/cgroup -depth -type d -name contain-bench -exec rmdir {} + 2>/dev/null || true' EXIT
  mkdir -p "$dir/rootfs/bin"
  cp "$(command -v busybox)" "$dir/rootfs/bin/busybox"
  (cd "$dir" && runc spec)
  jq '.process.terminal = false | .process.args = ["/bin/busybox", "true"] | .root.readonly = false
      | .linux.cgroupsPath = "contain-bench"' "$dir/config.json" > "$dir/config.tmp"
  mv "$dir/config.tmp" "$dir/config.json"
}
