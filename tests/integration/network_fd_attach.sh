# The library attaches a namespace referenced by an open fd (as containers are),
# not by name: it gets an address, shows up in listings under its owner, and
# is detached (or removed with the network) without leftovers.
. "$TESTS_SUPPORT/lib.sh"
ATTACH_FD=${ATTACH_FD:?the path of the attach_fd helper}

contain network create apps --subnet 203.0.113.0/24
contain net create named
assert_eq "203.0.113.2/24" "$(contain network attach apps named)" "named namespace"

step "an unnamed namespace, held by a process"
mkfifo ready
unshare --net sh -c 'echo up > ready; exec sleep 60' &
holder=$!
read -t 10 -r _ <> ready
assert_eq "lo" "$(links_in_netns_of $holder)" "links of the holder before the attach"
assert_eq "eth0 203.0.113.3/24" "$("$ATTACH_FD" attach apps /proc/$holder/ns/net container/c1)" "fd attach"
assert_contains "$(nsenter -t $holder -n ip -o addr show dev eth0)" "203.0.113.3/24"
assert_contains "$(nsenter -t $holder -n ip route show default)" "via 203.0.113.1"
nsenter -t $holder -n ping -c1 -w10 203.0.113.2
json=$(contain network inspect apps --json)
assert_eq "container/c1 null" "$(jq -r '.attachments[] | select(.owner=="container/c1") | "\(.owner) \(.namespace)"' <<<"$json")"
assert_contains "$(contain bridge list)" "container/c1:eth0"
expect_fail 1 'already attached' -- "$ATTACH_FD" attach apps /proc/$holder/ns/net container/c1

step "detach by fd releases the address"
"$ATTACH_FD" detach apps /proc/$holder/ns/net container/c1
assert_eq "lo" "$(links_in_netns_of $holder)" "links of the holder after detach"
assert_eq "eth0 203.0.113.3/24" "$("$ATTACH_FD" attach apps /proc/$holder/ns/net container/c1)" "address reused"

step "network delete --force removes the container's port too"
contain network delete --force apps
assert_eq "lo" "$(links_in_netns_of $holder)" "links of the holder after network delete"
kill $holder
wait $holder 2>/dev/null || true
contain net delete named
