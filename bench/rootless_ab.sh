# Rootless `contain run --rootfs <busybox> -- /bin/busybox true` against bwrap,
# both as nobody through setpriv (as bench/container_userns.sh does), with any
# number of contain binaries or environments, interleaved in one run: for A/B
# of a change to the rootless start path.
#   CONTAINS="/path/a:/path/b:VAR=1 /path/b" bench/run rootless_ab [RUNS]
# (default: $CONTAIN alone). An entry may start with VAR=VALUE words, passed
# through `env`. On a shared machine, run it at real-time priority
# (`chrt -f 10 bench/run rootless_ab 300`): builds then no longer preempt the
# measured processes and the ratio comes out as on a quiet machine (1.26-1.34
# against 1.32 measured quiet on 30 Nov). Root `contain run` cannot be measured
# that way: with RT group scheduling, an RT task may not join a v1 cpu cgroup.
# The state store (XDG_RUNTIME_DIR) is in the working folder, on /tmp's disk;
# RUNTIME_DIR=tmpfs puts it on a tmpfs as logind's /run/user/UID is (bench/run's
# /run): on ext4 under load, creating, renaming and removing the record and its
# folder cost 0.3-0.5 ms of a run that bwrap, which records nothing, does not pay.
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
fns=()
for i in "${!contains[@]}"; do
  read -ra words <<< "${contains[i]}"
  eval "contain_$i() { as_user $(printf '%q ' "${words[@]}") run --rootfs user/rootfs -- /bin/busybox true; }"
  fns+=("contain_$i")
done
bwrap_once() { as_user bwrap --unshare-all --ro-bind user/rootfs / /bin/busybox true; }
fns+=(bwrap_once)
for fn in "${fns[@]}"; do "$fn"; "$fn"; done
interleave "$runs" "${fns[@]}"
[[ -z $(ls "$runtime_dir/contain/containers" 2>/dev/null) ]] || { echo "bench: rootless containers left" >&2; exit 1; }
b_us=$(median_us bwrap_once)
printf 'rootless start-to-exit, %d interleaved runs (median µs), state in %s\n' "$runs" "$runtime_dir"
for i in "${!contains[@]}"; do
  us=$(median_us "contain_$i")
  printf '  %-60s %8d  / bwrap %s\n' "${contains[i]}" "$us" "$(fraction "$us" "$b_us")"
done
printf '  %-60s %8d\n' "bwrap --unshare-all --ro-bind <busybox> /" "$b_us"
