# sandbox: shared-run
# Named namespaces on a host whose /run is a shared mount (systemd's default):
# each one is mounted once, /run/netns has a peer group of its own, and the
# first-time set-up of /run/netns waits for the lock iproute2 takes on it.
. "$TESTS_SUPPORT/lib.sh"

mounts_at() { awk -v t="$1" '$5 == t' /proc/self/mountinfo | wc -l; }
peer_group() { awk -v t="$1" '$5 == t { for (i = 7; $i != "-"; i++) if ($i ~ /^shared:/) print $i }' \
  /proc/self/mountinfo; }

step "this sandbox's /run is shared, and /run/netns is not a mount point yet"
assert_contains "$(findmnt -no PROPAGATION /run)" "shared" "propagation of /run"
[[ -n $(peer_group /run) ]] || die "no peer group for /run in /proc/self/mountinfo"
assert_eq 0 "$(mounts_at /run/netns)" "mounts at /run/netns before the first create"

step "the first create waits while another tool holds the lock on /run/netns"
# The holder stays alive while it holds the lock: /proc/locks hides the locks
# (and their waiters) of processes that have exited.
mkfifo locked release
flock --close --exclusive /run/netns sh -c 'echo locked > locked; read -r _ < release' &
holder=$!
read -r -t 10 _ < locked || die "flock did not take the lock on /run/netns"
grep -qE -- "^[0-9]+: FLOCK +ADVISORY +WRITE +$holder " /proc/locks || die "the lock is not listed"
"$CONTAIN" net create blue &
creator=$!
# /proc/locks lists a blocked request as "N: -> FLOCK ... WRITE PID".
wait_until 10 grep -qE -- "-> FLOCK +ADVISORY +WRITE +$creator " /proc/locks
assert_eq 0 "$(mounts_at /run/netns)" "mounts at /run/netns while the lock is held"
echo go > release
wait "$holder"
wait "$creator" || die "contain net create blue failed once the lock was released"
rm locked release

step "/run/netns is shared in a peer group of its own; the namespace is mounted once"
assert_eq 1 "$(mounts_at /run/netns)" "mounts at /run/netns"
assert_contains "$(findmnt -no PROPAGATION /run/netns)" "shared" "propagation of /run/netns"
[[ -n $(peer_group /run/netns) ]] || die "/run/netns has no peer group"
[[ $(peer_group /run/netns) != "$(peer_group /run)" ]] ||
  die "/run/netns is in /run's peer group $(peer_group /run)"
assert_eq 1 "$(mounts_at /run/netns/blue)" "mounts of /run/netns/blue"
ip netns exec blue true || die "ip netns exec cannot enter blue"

step "iproute2 and contain share the directory: each namespace once"
ip netns add red
contain net create green
assert_eq 1 "$(mounts_at /run/netns/red)" "mounts of /run/netns/red"
assert_eq 1 "$(mounts_at /run/netns/green)" "mounts of /run/netns/green"
assert_eq 1 "$(mounts_at /run/netns)" "mounts at /run/netns"

step "delete leaves no mount behind"
contain net delete blue green
ip netns delete red
assert_eq 0 "$(awk '$5 ~ "^/run/netns/"' /proc/self/mountinfo | wc -l)" "mounts under /run/netns"
