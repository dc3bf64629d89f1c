# contain gc: after a crash, state and kernel are reconciled.
. "$TESTS_SUPPORT/lib.sh"

step "nothing to do on a clean host"
assert_eq "nothing to collect" "$(contain gc)"

step "a namespace removed behind our back leaves a record: gc removes it"
contain net create lost
contain net veth --host lost-h --ns lost --ns-addr 192.0.2.2/24
ip netns del lost        # not through contain: the record stays
[[ -f /run/contain/netns/lost ]] || die "record should still be there"
out=$(contain gc)
echo "$out"
assert_contains "$out" "removed the record of namespace lost"
[[ ! -e /run/contain/netns/lost ]] || die "record left after gc"

step "a veth kept alive by a process in a removed namespace is deleted"
contain net create held
contain net veth --host held-h --ns held
# A process keeps the namespace alive after its name is gone.
mkfifo ready
ip netns exec held sh -c 'echo inside > ready; exec sleep 600' &
holder=$!
read -t 10 line < ready   # the process is inside before the name goes
ip netns del held
ip link show held-h >/dev/null || die "the host end should still exist while the namespace lives"
out=$(contain gc --json)
echo "$out"
assert_contains "$(jq -r '.removed[]' <<<"$out")" "deleted link held-h"
if ip link show held-h 2>/dev/null; then die "held-h left after gc"; fi
kill $holder
wait $holder 2>/dev/null || true
assert_eq "nothing to collect" "$(contain gc)"
