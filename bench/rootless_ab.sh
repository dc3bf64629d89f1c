# Rootless `contain run --rootfs <busybox> -- /bin/busybox true` against bwrap,
# both as nobody through setpriv (as bench/container_userns.sh does), with any
# number of contain binaries or environments, interleaved in one run: for A/B
# of a change to the rootless start path.
#   CONTAINS="/path/a:/path/b:VAR=1 /path/b" COPIES=3 bench/run rootless_ab [RUNS]
# (default: $CONTAIN alone, one copy). An entry may start with VAR=VALUE words, passed
# through `env`. On a shared machine, run it at real-time priority
# (`chrt -f 10 bench/run rootless_ab 300`): builds then no longer preempt the
# measured processes and the ratio comes out as on a quiet machine (1.26-1.34
# against 1.32 measured quiet on 30 Nov). Root `contain run` cannot be measured
# that way: with RT group scheduling, an RT task may not join a v1 cpu cgroup.
# The state store (XDG_RUNTIME_DIR) is in the working folder, which bench/run
# mounts as a tmpfs; RUNTIME_DIR=tmpfs puts it in bench/run's /run instead, as
# logind's /run/user/UID is. (On ext4 under load, creating, renaming and
# removing the record and its folder cost 0.3-0.5 ms of a run.)
set -euo pipefail
. "$(dirname "$0")/lib.sh"
runs=${1:-100}
command -v bwrap >/dev/null || { echo "bench: bwrap is missing (run scripts/setup)" >&2; exit 1; }
user=65534
mkdir -p user/run user/rootfs/bin
cp "$(command -v busybox)" user/rootfs/bin/busybox
chown -R $user:$user user
runtime_dir=$PWD/user/run
if [[ ${RUNTIME_DIR:-} == tmpfs ]]; then
  runtime_dir=/run/user/$user
  mkdir -p "$runtime_dir"
  chown $user:$user "$runtime_dir"
  chmod 700 "$runtime_dir"
fi
as_user() {
  setpriv --reuid=$user --regid=$user --clear-groups --inh-caps=-all \
    env XDG_RUNTIME_DIR="$runtime_dir" "$@"
}
IFS=: read -ra contains <<< "${CONTAINS:-$CONTAIN}"
# COPIES=K: each binary (every contain and bwrap) runs from K copies of its
# file, interleaved, and its figure is the median of all their runs. Two copies
# of one file differ by up to 0.7 ms a run here (where the page cache put their
# pages: measured 1 Dec, bench/RESULTS.md), which is more than most changes
# being compared.
copies=${COPIES:-1}
mkdir -p copies
# copy_of FILE NAME: the path to run, a copy of FILE when COPIES > 1.
copy_of() {
  if ((copies == 1)); then printf %s "$1"; return; fi
  cp "$1" "copies/$2"
  printf %s "$PWD/copies/$2"
}
fns=()
for i in "${!contains[@]}"; do
  read -ra words <<< "${contains[i]}"
  for ((k = 0; k < copies; k++)); do
    w=("${words[@]}")
    for j in "${!w[@]}"; do
      [[ ${w[j]} == *=* ]] || { w[j]=$(copy_of "${w[j]}" "contain_${i}_$k"); break; }
    done
    eval "contain_${i}_$k() { as_user $(printf '%q ' "${w[@]}") run --rootfs user/rootfs -- /bin/busybox true; }"
    fns+=("contain_${i}_$k")
  done
done
bwraps=()
for ((k = 0; k < copies; k++)); do
  eval "bwrap_$k() { as_user $(copy_of "$(command -v bwrap)" "bwrap_$k") --unshare-all --ro-bind user/rootfs / /bin/busybox true; }"
  bwraps+=("bwrap_$k")
done
fns+=("${bwraps[@]}")
for fn in "${fns[@]}"; do "$fn"; "$fn"; done
interleave "$runs" "${fns[@]}"
[[ -z $(ls "$runtime_dir/contain/containers" 2>/dev/null) ]] || { echo "bench: rootless containers left" >&2; exit 1; }
# spread FN...: the lowest and highest of their medians, when there are copies.
spread() {
  ((copies > 1)) || return 0
  local fn m=()
  for fn; do m+=("$(median_us "$fn")"); done
  printf '  (copies %s-%s)' "$(printf '%s\n' "${m[@]}" | sort -n | head -1)" \
    "$(printf '%s\n' "${m[@]}" | sort -n | tail -1)"
}
b_us=$(pooled_median_us "${bwraps[@]}")
printf 'rootless start-to-exit, %d interleaved runs (median µs), %d copies of each binary, state in %s\n' \
  "$runs" "$copies" "$runtime_dir"
for i in "${!contains[@]}"; do
  mine=()
  for ((k = 0; k < copies; k++)); do mine+=("contain_${i}_$k"); done
  us=$(pooled_median_us "${mine[@]}")
  printf '  %-60s %8d  / bwrap %s%s\n' "${contains[i]}" "$us" "$(fraction "$us" "$b_us")" "$(spread "${mine[@]}")"
done
printf '  %-60s %8d%s\n' "bwrap --unshare-all --ro-bind <busybox> /" "$b_us" "$(spread "${bwraps[@]}")"
