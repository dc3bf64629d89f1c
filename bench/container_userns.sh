# What a user namespace costs at start, and rootless contain against its
# peers, in one run, interleaved:
#   contain run --userns --rootfs <busybox> -- busybox true    (allocated range, idmapped root)
#   contain run --rootfs <busybox> -- busybox true             (the same without --userns)
# and, as an ordinary user (nobody, through setpriv, which all three pay alike):
#   contain run --rootfs <busybox> -- busybox true             (rootless: one-id map)
#   bwrap --unshare-all --ro-bind <busybox> / /bin/busybox true
#   runc --root ... run  (a rootless bundle of the same rootfs: `runc spec --rootless`)
# Targets: --userns adds <= 2 ms; rootless contain <= 1.0x bwrap and <= 0.4x rootless runc.
# Usage: bench/run container_userns [RUNS]
set -euo pipefail
. "$(dirname "$0")/lib.sh"
runs=${1:-50}
C=$CONTAIN
oci_peers_ready
command -v bwrap >/dev/null || { echo "bench: bwrap is missing (run scripts/setup)" >&2; exit 1; }
busybox_bundle bundle

user=65534
mkdir -p user/run user/runc
cp -a bundle/rootfs user/rootfs
(cd user && runc spec --rootless)
jq '.process.terminal = false | .process.args = ["/bin/busybox", "true"] | .root.readonly = false
    | del(.linux.resources)' user/config.json > user/config.tmp
mv user/config.tmp user/config.json
# runc spec --rootless maps the caller's ids: it ran as root here, so they become nobody's.
jq --argjson u $user '.linux.uidMappings = [{containerID: 0, hostID: $u, size: 1}]
    | .linux.gidMappings = [{containerID: 0, hostID: $u, size: 1}]' user/config.json > user/config.tmp
mv user/config.tmp user/config.json
chown -R $user:$user user
as_user() {
  setpriv --reuid=$user --regid=$user --clear-groups --inh-caps=-all \
    env XDG_RUNTIME_DIR="$PWD/user/run" "$@"
}

userns_once() { "$C" run --userns --rootfs bundle/rootfs -- /bin/busybox true; }
plain_once() { "$C" run --rootfs bundle/rootfs -- /bin/busybox true; }
rootless_once() { as_user "$C" run --rootfs user/rootfs -- /bin/busybox true; }
bwrap_once() { as_user bwrap --unshare-all --ro-bind user/rootfs / /bin/busybox true; }
runc_once() { as_user runc --root "$PWD/user/runc" run --bundle user "bench-$RANDOM$RANDOM"; }

for _ in 1 2 3; do userns_once; plain_once; rootless_once; bwrap_once; runc_once; done

interleave "$runs" userns_once plain_once rootless_once bwrap_once runc_once
[[ -z $(ls /run/contain/containers 2>/dev/null) ]] || { echo "bench: containers left" >&2; exit 1; }
[[ -z $(ls user/run/contain/containers 2>/dev/null) ]] || { echo "bench: rootless containers left" >&2; exit 1; }

u_us=$(median_us userns_once) p_us=$(median_us plain_once)
r_us=$(median_us rootless_once) b_us=$(median_us bwrap_once) o_us=$(median_us runc_once)
printf 'container start-to-exit, user namespaces, %d interleaved runs (median µs)\n' "$runs"
printf '  %-66s %8d\n' "contain run --userns --rootfs <busybox> (root)" "$u_us"
printf '  %-66s %8d\n' "contain run --rootfs <busybox> (root, no user namespace)" "$p_us"
printf '  %-66s %8d\n' "contain run --rootfs <busybox> (rootless, as nobody)" "$r_us"
printf '  %-66s %8d\n' "bwrap --unshare-all --ro-bind <busybox> / (as nobody)" "$b_us"
printf '  %-66s %8d\n' "runc run, rootless bundle (as nobody)" "$o_us"
printf 'userns - plain = %d µs  (target <= 2000)\n' "$((u_us - p_us))"
printf 'rootless contain / bwrap = %s  (target <= 1.00)\n' "$(fraction "$r_us" "$b_us")"
printf 'rootless contain / rootless runc = %s  (target <= 0.40)\n' "$(fraction "$r_us" "$o_us")"
