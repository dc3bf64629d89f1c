# A veth pair from the host into a namespace, addressed, IPv4 and IPv6.
. "$TESTS_SUPPORT/lib.sh"

contain net create app

step "watch the host's links while the veth is made"
ip -o monitor link > monitor.log &
monitor=$!
# `ip monitor` cannot say when it listens: create markers until one shows up.
wait_until 5 bash -c 'ip link add mark0 type bridge 2>/dev/null; ip link del mark0; grep -q mark0 monitor.log'

step "veth with IPv4 and IPv6 on both ends"
contain net veth --host app-h --ns app --host-addr 192.0.2.1/24 --ns-addr 192.0.2.2/24
contain net veth --host app-h6 --ns app --peer eth6 --host-addr 2001:db8::1/64 --ns-addr 2001:db8::2/64

ip link add mark1 type bridge; wait_until 5 grep -q mark1 monitor.log; ip link del mark1
kill $monitor
# The peer was born inside the namespace: the host never had a link by its name.
assert_not_contains "$(cat monitor.log)" "veth0" "host link events"
assert_not_contains "$(cat monitor.log)" "eth6" "host link events"

step "both ends are up, addressed, and marked as ours"
assert_contains "$(ip -o link show app-h)" ",UP" "host end flags"
assert_contains "$(ip -d link show app-h)" "alias contain:netns/app" "host end alias"
assert_contains "$(ip -n app -o link show veth0)" ",UP" "namespace end flags"
assert_contains "$(ip -o addr show dev app-h)" "192.0.2.1/24"
assert_contains "$(ip -n app -o addr show dev veth0)" "192.0.2.2/24"
assert_contains "$(ip -n app -o addr show dev eth6)" "2001:db8::2/64"
assert_not_contains "$(ip -n app -o addr show dev eth6 | grep 2001:db8::2)" "tentative" "IPv6 address state"

step "packets cross in both directions"
ping -c1 -w10 192.0.2.2
ip netns exec app ping -c1 -w10 192.0.2.1
ping -6 -c1 -W2 2001:db8::2
ip netns exec app ping -6 -c1 -W2 2001:db8::1

step "names in use are refused before anything changes"
before=$(kernel_state)
expect_fail 1 'host already has a link named app-h' -- contain net veth --host app-h --ns app --peer x1
expect_fail 1 'namespace already has a link named veth0' -- contain net veth --host app-h2 --ns app
expect_fail 1 'namespace "nope" does not exist' -- contain net veth --host h9 --ns nope
assert_eq "$before" "$(kernel_state)" "kernel state after refusals"

step "a failure half way rolls back"
# With IPv6 off inside, the namespace end's address is refused after the pair exists.
ip netns exec app sh -c 'echo 1 > /proc/sys/net/ipv6/conf/all/disable_ipv6'
before=$(kernel_state)
rc=0; contain net veth --host app-h3 --ns app --peer eth3 --ns-addr 2001:db8:3::2/64 || rc=$?
assert_eq 1 "$rc" "exit code of the failed veth"
assert_eq "$before" "$(kernel_state)" "kernel state after the rollback"

step "deleting the namespace removes the host ends too"
contain net delete app
assert_eq "lo" "$(ip -o link show | awk -F': ' '{print $2}' | tr '\n' ' ' | xargs)" "host links"
