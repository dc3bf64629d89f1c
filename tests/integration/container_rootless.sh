# contain run by an ordinary user (rootless): a user namespace maps the user
# to root inside; with /etc/subuid and /etc/subgid ranges (private copies bound
# over the host's files, in this sandbox's mount namespace only) the full map
# through newuidmap/newgidmap. State under $XDG_RUNTIME_DIR/contain, per user.
. "$TESTS_SUPPORT/lib.sh"

user=65534  # nobody: newuidmap needs a user with a passwd entry
other=4242
mkdir home-nobody home-other && chown $user:$user home-nobody && chown $other:$other home-other
as_user() {
  setpriv --reuid=$user --regid=$user --clear-groups --inh-caps=-all \
    env XDG_RUNTIME_DIR="$PWD/home-nobody" "$@"
}
as_other() {
  setpriv --reuid=$other --regid=$other --clear-groups --inh-caps=-all \
    env XDG_RUNTIME_DIR="$PWD/home-other" "$@"
}
[[ $(as_user id -u) == "$user" ]] || die "setpriv did not switch to uid $user"
# The host's files (empty here) say nothing of nobody: the one-id map first.
! grep -q "^nobody:" /etc/subuid || die "the host's /etc/subuid has an entry for nobody"

step "one-id map: the user is root inside, nothing else is mapped"
assert_eq "0 $user 1" "$(as_user "$CONTAIN" run -- cat /proc/self/uid_map | xargs)" "uid_map"
assert_eq "0 $user 1" "$(as_user "$CONTAIN" run -- cat /proc/self/gid_map | xargs)" "gid_map"
assert_eq "deny" "$(as_user "$CONTAIN" run -- cat /proc/self/setgroups)" "setgroups"
assert_eq "0 box 1" "$(as_user "$CONTAIN" run --hostname box -- sh -c 'echo $(id -u) $(hostname) $$')" \
  "uid, hostname, PID"
assert_contains "$(as_user "$CONTAIN" run -- ip -o link show lo)" "UP" "loopback"
# Its own /proc: PID 1 is the command, and no process of the sandbox shows.
assert_eq "/proc/1" "$(as_user "$CONTAIN" run -- sh -c 'echo /proc/[0-9]*')" "processes in /proc"
[[ -z $(ls -A home-nobody/contain 2>/dev/null) ]] || die "state left: $(ls -A home-nobody/contain)"

step "a rootfs of the user's own: root's inside; one of root's: a clear error"
mkdir -p rootfs/bin rootfs/etc
cp "$(command -v busybox)" rootfs/bin/busybox
for applet in sh cat id stat touch sleep echo; do ln -s busybox rootfs/bin/$applet; done
chown -R $user:$user rootfs
assert_eq "0 0:0" "$(as_user "$CONTAIN" run --rootfs rootfs -- sh -c 'echo $(id -u) $(stat -c %u:%g /bin/busybox)')" \
  "uid and the rootfs' owner inside"
as_user "$CONTAIN" run --rootfs rootfs -- touch /made
assert_eq "$user" "$(stat -c %u rootfs/made)" "a file made inside, on the host"
mkdir -p rootroot/bin && cp rootfs/bin/busybox rootroot/bin/
expect_fail 2 "--rootfs .*/rootroot is owned by uid 0, not by you \(uid $user\)" -- \
  as_user "$CONTAIN" run --rootfs rootroot -- true

step "what needs root is refused clearly"
expect_fail 2 "--network web: a managed network needs root" -- as_user "$CONTAIN" run --network web -- true
expect_fail 2 "--uidmap/--gidmap need root" -- as_user "$CONTAIN" run --uidmap 0:1:1 -- true
expect_fail 2 "idmapped mounts need root" -- as_user "$CONTAIN" run --userns -v "$PWD/rootfs:/r:idmap" -- true
# cgroup v1 cannot be delegated: limits are refused, never ignored, and nothing is made.
expect_fail 1 "--memory: the memory cgroup controller needs a group of ours under .*which this user may not write to" -- \
  as_user "$CONTAIN" run --memory 64m -- true
expect_fail 1 "--pids-limit: the pids cgroup controller needs a group" -- as_user "$CONTAIN" run --pids-limit 10 -- true
[[ -z $(ls -A home-nobody/contain 2>/dev/null) ]] || die "state left: $(ls -A home-nobody/contain)"

step "with private /etc/subuid and /etc/subgid: the full map through newuidmap/newgidmap"
echo "nobody:200000:65536" > subuid
echo "nobody:300000:65536" > subgid
mount --bind subuid /etc/subuid
mount --bind subgid /etc/subgid
assert_eq "0 $user 1 1 200000 65536" "$(as_user "$CONTAIN" run -- cat /proc/self/uid_map | xargs)" "full uid_map"
assert_eq "0 $user 1 1 300000 65536" "$(as_user "$CONTAIN" run -- cat /proc/self/gid_map | xargs)" "full gid_map"
assert_eq "allow" "$(as_user "$CONTAIN" run -- cat /proc/self/setgroups)" "setgroups with the full map"

step "ps, exec, logs, stop, rm: per user"
mkfifo ready && chmod 666 ready
as_user "$CONTAIN" run -d --name web -- sh -c "echo hello; echo > $PWD/ready; exec sleep 1000" >/dev/null
read -r -t 10 _ <> ready || die "the container did not start"
assert_eq "hello" "$(as_user "$CONTAIN" logs web)" "logs"
assert_contains "$(as_user "$CONTAIN" ps)" "web" "the user's ps"
assert_eq "0" "$(contain ps -a --json | jq length)" "root's ps lists no user's container"
assert_eq "0" "$(as_other "$CONTAIN" ps -a --json | jq length)" "another user's ps"
expect_fail 1 'container "web" does not exist' -- as_other "$CONTAIN" rm -f web
assert_eq "0 $user 1 1 200000 65536" "$(as_user "$CONTAIN" exec web -- cat /proc/self/uid_map | xargs)" \
  "exec's map"
assert_eq "0" "$(as_user "$CONTAIN" exec web -- id -u)" "exec's uid"
web_pid=$(as_user "$CONTAIN" inspect web --json | jq -r .pid)
assert_eq "$user" "$(stat -c %u /proc/$web_pid)" "the container's process, on the host"
as_user "$CONTAIN" stop --time 1 web
assert_contains "$(as_user "$CONTAIN" ps -a)" "exited" "ps -a after stop"
as_user "$CONTAIN" rm web
[[ -z $(ls -A home-nobody/contain 2>/dev/null) ]] || die "state left: $(ls -A home-nobody/contain)"

step "--network netns: a namespace made in the user's own user namespace is joined through it"
mkfifo held && chmod 666 held
# (setpriv itself, not the as_user function: $! must be the holder, not a subshell.)
setpriv --reuid=$user --regid=$user --clear-groups --inh-caps=-all \
  unshare -Urn sh -c "ip link set lo up && ip addr add 192.0.2.5/32 dev lo && echo > $PWD/held && exec sleep 1000" &
holder=$!
read -r -t 10 _ <> held || die "the user's namespace holder did not start"
out=$(as_user "$CONTAIN" run --network netns:pid:$holder -- sh -c 'id -u; ip -o -4 addr show lo; echo $$')
assert_contains "$out" "192.0.2.5/32" "the joined namespace's address"
assert_eq "0" "$(head -1 <<<"$out")" "uid inside"
assert_eq "1" "$(tail -1 <<<"$out")" "PID inside (its own PID namespace)"
assert_eq "$(readlink /proc/$holder/ns/net)" \
  "$(as_user "$CONTAIN" run --network netns:pid:$holder -- readlink /proc/self/ns/net)" "network namespace"
assert_eq "$(readlink /proc/$holder/ns/user)" \
  "$(as_user "$CONTAIN" run --network netns:pid:$holder -- readlink /proc/self/ns/user)" "user namespace"
as_user "$CONTAIN" run -d --name joined --network netns:pid:$holder -- sleep 1000 >/dev/null
assert_contains "$(as_user "$CONTAIN" exec joined -- ip -o -4 addr show lo)" "192.0.2.5/32" "exec in it"
as_user "$CONTAIN" rm -f joined
contain net create roots
expect_fail 2 "--network netns:roots: that network namespace belongs to the host's users \(root\)" -- \
  as_user "$CONTAIN" run --network netns:roots -- true
contain net delete roots
kill $holder
wait $holder 2>/dev/null || true
rm held
[[ -z $(ls -A home-nobody/contain 2>/dev/null) ]] || die "state left: $(ls -A home-nobody/contain)"

step "root lists users' containers only when asked (ps --all-users)"
mkdir -p /run/user/$user && chown $user:$user /run/user/$user && chmod 700 /run/user/$user
as_logged_in() {
  setpriv --reuid=$user --regid=$user --clear-groups --inh-caps=-all \
    env XDG_RUNTIME_DIR=/run/user/$user "$@"
}
as_logged_in "$CONTAIN" run -d --name api -- sh -c "echo > $PWD/ready; exec sleep 1000" >/dev/null
read -r -t 10 _ <> ready || die "the container did not start"
contain run -d --name mine -- sleep 1000 >/dev/null
assert_eq "mine" "$(contain ps --json | jq -r '.[].name' | xargs)" "root's ps"
assert_eq "api:$user mine:0" "$(contain ps --all-users --json | jq -r '.[] | "\(.name):\(.user)"' | sort | xargs)" \
  "root's ps --all-users"
assert_contains "$(contain ps --all-users | grep ' api ')" "nobody" "USER column"
expect_fail 2 "only root may list other users' containers" -- as_logged_in "$CONTAIN" ps --all-users
# A user's corrupt record (theirs to write) leaves out that user's folder, with
# a warning naming it; root's own containers and the other folders are listed.
mkdir -p /run/user/12345/contain/containers
echo '{not json' >/run/user/12345/contain/containers/bad
chown -R 12345 /run/user/12345
listed=$(contain ps --all-users --json 2>warned)
assert_eq "api:$user mine:0" "$(jq -r '.[] | "\(.name):\(.user)"' <<<"$listed" | sort | xargs)" \
  "ps --all-users beside a corrupt folder"
assert_contains "$(cat warned)" "warning: the containers of user 12345 in /run/user/12345/contain are left out" \
  "the warning"
rm -rf /run/user/12345 warned
as_logged_in "$CONTAIN" rm -f api
contain rm -f mine
assert_eq "" "$(contain ps -a --all-users --json | jq -r '.[].name' | xargs)" "after rm"
rm -rf /run/user/$user

umount /etc/subuid /etc/subgid
rm -rf rootfs rootroot subuid subgid ready home-nobody home-other
