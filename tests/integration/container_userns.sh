# contain run --userns: root inside is an unprivileged range of host ids,
# allocated per container from the pool and given back with the record;
# --uidmap/--gidmap; --userns=host; exec joins the user namespace; the rootfs
# is seen through an idmapped mount (owned by root inside, never chowned).
. "$TESTS_SUPPORT/lib.sh"

pool=1000000000  # the documented default pool's first id (no /etc/subuid entry for "contain")
grep -q '^contain:' /etc/subuid 2>/dev/null && die "this host has /etc/subuid entries for contain"

step "a busybox root file system owned by root"
mkdir -p rootfs/bin rootfs/etc rootfs/proc rootfs/dev rootfs/sys  # mount points made by any run
cp "$(command -v busybox)" rootfs/bin/busybox
for applet in sh cat id touch stat ls echo sleep mknod head; do ln -s busybox rootfs/bin/$applet; done
echo 'root:x:0:0:root:/root:/bin/sh' > rootfs/etc/passwd
echo 'root:x:0:' > rootfs/etc/group
chown -R 0:0 rootfs
before=$(find rootfs -printf '%U:%G %m %p\n' | sort)

step "root inside, the first range of the pool outside"
map=$(contain run --userns --rootfs rootfs -- cat /proc/self/uid_map | xargs)
assert_eq "0 $pool 65536" "$map" "uid_map inside"
map=$(contain run --userns --rootfs rootfs -- cat /proc/self/gid_map | xargs)
assert_eq "0 $pool 65536" "$map" "gid_map inside"
assert_eq "0:0" "$(contain run --userns --rootfs rootfs -- sh -c 'echo $(id -u):$(id -g)')" "id"
# Without --userns the host's map is seen: the observer above can tell them apart.
assert_eq "0 0 4294967295" "$(contain run --rootfs rootfs -- cat /proc/self/uid_map | xargs)" \
  "uid_map without --userns"
assert_eq "0 0 4294967295" "$(contain run --userns=host -- cat /proc/self/uid_map | xargs)" \
  "uid_map with --userns=host"

step "the rootfs is root's inside (idmapped), and DIR is never chowned"
assert_eq "0:0" "$(contain run --userns --rootfs rootfs -- stat -c %u:%g /bin/busybox)" "owner inside"
contain run --userns --rootfs rootfs -- touch /made-inside
assert_eq "0:0" "$(stat -c %u:%g rootfs/made-inside)" "a file root made inside, on the host"
rm rootfs/made-inside
after=$(find rootfs -printf '%U:%G %m %p\n' | sort)
assert_eq "$before" "$after" "the rootfs' owners and modes after the runs"

step "a volume keeps host ownership: a file made in it belongs to the mapped id"
mkdir shared && chmod 1777 shared
contain run --userns --rootfs rootfs -v "$PWD/shared:/shared" -- touch /shared/plain
assert_eq "$pool:$pool" "$(stat -c %u:%g shared/plain)" "owner on the host of a file made in a volume"
assert_eq "65534" "$(contain run --userns --rootfs rootfs -v "$PWD/shared:/shared" -- stat -c %u /shared)" \
  "a root-owned volume inside (root of the host is not mapped)"
step "... unless it is idmapped (,idmap): then as the root"
mkdir idmapped
contain run --userns --rootfs rootfs -v "$PWD/idmapped:/data:rw,idmap" -- sh -c \
  'touch /data/made && stat -c %u /data' > owner_inside
assert_eq "0" "$(cat owner_inside)" "an idmapped volume's owner inside"
assert_eq "0:0" "$(stat -c %u:%g idmapped/made)" "a file made in an idmapped volume, on the host"

step "two containers at once get disjoint ranges; exec sees the same map"
contain run -d --name a --userns -- sleep 1000 >/dev/null
contain run -d --name b --userns --rootfs rootfs -- sleep 1000 >/dev/null
a_map=$(contain exec a -- cat /proc/self/uid_map | xargs)
b_map=$(contain exec b -- cat /proc/self/uid_map | xargs)
assert_eq "0 $pool 65536" "$a_map" "a's map (seen by exec)"
assert_eq "0 $((pool + 65536)) 65536" "$b_map" "b's map (seen by exec)"
# What exec sees is the container's own map, from outside too.
b_pid=$(contain inspect b --json | jq -r .pid)
assert_eq "$b_map" "$(xargs < /proc/$b_pid/uid_map)" "b's map from the host"
assert_eq "0" "$(contain exec b -- id -u)" "exec's uid"
assert_contains "$(contain inspect b --json | jq -c .namespaces)" '"user"' "inspect's namespaces"
assert_eq "0:$((pool + 65536)):65536" "$(contain inspect b --json | jq -r .userns.uid_map)" \
  "the recorded range"
# The processes are the mapped ids on the host.
assert_eq "$((pool + 65536))" "$(stat -c %u /proc/$b_pid)" "b's process owner on the host"

step "the range is free again after rm"
contain rm -f a
contain run -d --name c --userns -- sleep 1000 >/dev/null
assert_eq "0 $pool 65536" "$(contain exec c -- cat /proc/self/uid_map | xargs)" "c reuses a's range"
contain rm -f b c

step "gc gives back the range of a container whose 'contain run' was killed"
"$CONTAIN" run --name k --userns -- sleep 1000 &  # not the function: $! is contain itself
runner=$!
wait_until 10 sh -c "'$CONTAIN' ps --json | jq -e '.[] | select(.name == \"k\")'"
assert_eq "0:$pool:65536" "$(contain inspect k --json | jq -r .userns.uid_map)" "k's range"
kill -9 $runner
wait $runner || true
# Its container dies of the parent-death signal; gc then removes the record.
wait_until 10 sh -c "'$CONTAIN' gc >/dev/null && [ \"\$('$CONTAIN' ps -a --json | jq length)\" = 0 ]"
contain run -d --name e --userns -- sleep 1000 >/dev/null
assert_eq "0 $pool 65536" "$(contain exec e -- cat /proc/self/uid_map | xargs)" "e reuses k's range"
contain rm -f e

step "--overlay: the idmapped DIR is the lower layer, writes go to the tmpfs layer"
out=$(contain run --userns --rootfs rootfs --overlay -- sh -c 'touch /new && stat -c %u:%g /bin/busybox /new' | xargs)
assert_eq "0:0 0:0" "$out" "owners inside"
[[ ! -e rootfs/new ]] || die "--overlay wrote into DIR"

step "explicit maps (podman's --uidmap/--gidmap)"
out=$(contain run --uidmap 0:200000:1000 --uidmap 1000:300000:10 --gidmap 0:400000:2000 \
  -- cat /proc/self/uid_map /proc/self/gid_map | xargs)
assert_eq "0 200000 1000 1000 300000 10 0 400000 2000" "$out" "explicit maps"
assert_eq "0 500000 10" "$(contain run --uidmap 0:500000:10 -- cat /proc/self/gid_map | xargs)" \
  "--gidmap defaults to --uidmap"

step "bad input is refused before anything happens"
expect_fail 2 "--userns=bogus: unknown mode" -- contain run --userns=bogus -- true
expect_fail 2 "--uidmap '0:1': not three numbers" -- contain run --uidmap 0:1 -- true
expect_fail 2 "--uidmap 0:1000:10 and 5:2000:10: the container ids overlap" -- \
  contain run --uidmap 0:1000:10 --uidmap 5:2000:10 -- true
expect_fail 2 "--userns=host shares the host's user ids" -- contain run --userns=host --uidmap 0:1:1 -- true
expect_fail 2 "idmap needs a user namespace" -- contain run -v "$PWD/shared:/s:idmap" -- true
# A failure inside, after the maps, is reported as without --userns.
expect_fail 1 "enter the working directory /nowhere" -- contain run --userns --rootfs rootfs -w /nowhere -- true
# The value of --userns is never the next word: that is the command.
assert_eq "0 $pool 65536" "$(contain run --userns cat /proc/self/uid_map | xargs)" \
  "--userns followed by the command"
step "the pool: /etc/subuid and /etc/subgid entries of the user contain, by name"
# Private copies over the host's files, in this test's mount namespace only.
printf 'someone:100000:65536\ncontain:300000:131072\n' > subuid
printf '# the gids\ncontain:400000:65536\n' > subgid
mount --bind subuid /etc/subuid
mount --bind subgid /etc/subgid
assert_eq "0 300000 65536" "$(contain run --userns -- cat /proc/self/uid_map | xargs)" \
  "uid_map from contain's /etc/subuid range"
assert_eq "0 400000 65536" "$(contain run --userns -- cat /proc/self/gid_map | xargs)" \
  "gid_map from contain's /etc/subgid range"
step "... and by uid: the user contain's, from /etc/passwd"
{ grep -v '^contain:' /etc/passwd; echo 'contain:x:987:987::/nonexistent:/usr/sbin/nologin'; } > passwd
mount --bind passwd /etc/passwd
printf '986:100000:65536\n987:500000:65536\n' > subuid
printf '987:600000:65536\n' > subgid
assert_eq "0 500000 65536" "$(contain run --userns -- cat /proc/self/uid_map | xargs)" \
  "uid_map from a range keyed by contain's uid"
assert_eq "0 600000 65536" "$(contain run --userns -- cat /proc/self/gid_map | xargs)" \
  "gid_map from a range keyed by contain's uid"
umount /etc/passwd /etc/subuid /etc/subgid
rm -rf shared idmapped rootfs owner_inside subuid subgid passwd
