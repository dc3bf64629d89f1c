# The tutorial's classic: two namespaces on br0, one /24, pinging each other and
# the bridge; then one namespace on two bridges.
. "$TESTS_SUPPORT/lib.sh"

step "two namespaces on br0"
contain net create red
contain net create blue
contain bridge create br0 --addr 192.0.2.1/24
contain bridge attach br0 red --addr 192.0.2.10/24 --gateway 192.0.2.1
contain bridge attach br0 blue --addr 192.0.2.11/24

step "the namespace end was born inside, named eth0, up and addressed"
assert_contains "$(ip -n red -o link show eth0)" ",UP" "red eth0 flags"
assert_contains "$(ip -n red -o addr show dev eth0)" "192.0.2.10/24"
assert_contains "$(ip -n red route show default)" "via 192.0.2.1 dev eth0" "red default route"
assert_eq "" "$(ip -n blue route show default)" "blue has no default route"

step "host ends: enslaved to br0, up, marked as ours, short unique names"
ports=$(ip -o link show master br0 | awk -F': ' '{print $2}' | cut -d@ -f1)
assert_eq 2 "$(wc -w <<<"$ports")" "ports on br0"
for p in $ports; do
  assert_contains "$(ip -o link show "$p")" ",UP" "$p flags"
  assert_contains "$(ip -d link show "$p")" "alias contain:netns/" "$p alias"
  (( ${#p} <= 15 )) || die "host end name $p is longer than 15 bytes"
done

step "they ping each other and the bridge"
ip netns exec red ping -c1 -w10 192.0.2.11
ip netns exec blue ping -c1 -w10 192.0.2.10
ip netns exec red ping -c1 -w10 192.0.2.1
ping -c1 -w10 192.0.2.11

step "bridge list shows addresses and ports with namespace and interface"
json=$(contain bridge list --json)
assert_eq "192.0.2.1/24" "$(jq -r '.[] | select(.name=="br0") | .addresses[0]' <<<"$json")"
assert_eq "blue:eth0 red:eth0" \
  "$(jq -r '.[] | select(.name=="br0") | .ports[] | "\(.namespace):\(.interface)"' <<<"$json" | sort | xargs)"
assert_eq "true" "$(jq -r '.[] | select(.name=="br0") | .managed' <<<"$json")"
assert_contains "$(contain bridge list)" "red:eth0"

step "a namespace on two bridges: eth1 on br1, reachable there too"
contain bridge create br1 --addr 198.51.100.1/24
contain bridge attach br1 red --addr 198.51.100.10/24
contain bridge attach br1 blue --addr 198.51.100.11/24 --ifname uplink
assert_contains "$(ip -n red -o addr show dev eth1)" "198.51.100.10/24"
assert_contains "$(ip -n blue -o addr show dev uplink)" "198.51.100.11/24"
ip netns exec red ping -c1 -w10 198.51.100.11
assert_eq 2 "$(ip -o link show master br1 | wc -l)" "ports on br1"

step "refusals change nothing"
before=$(kernel_state)
expect_fail 1 'bridge nope does not exist' -- contain bridge attach nope red --addr 192.0.2.20/24
expect_fail 1 'namespace "red" already has a link named eth0' -- \
  contain bridge attach br0 red --addr 192.0.2.20/24 --ifname eth0
expect_fail 1 'namespace "ghost" does not exist' -- contain bridge attach br0 ghost --addr 192.0.2.20/24
expect_fail 2 'not a CIDR' -- contain bridge attach br0 red --addr 192.0.2.20
expect_fail 2 'interface name "abcdefghijklmnop" is invalid' -- contain bridge create abcdefghijklmnop
expect_fail 2 'not the same family' -- contain bridge attach br0 red --addr 192.0.2.20/24 --gateway 2001:db8::1
expect_fail 1 'a link named br0 already exists' -- contain bridge create br0
assert_eq "$before" "$(kernel_state)" "kernel state after refusals"

step "a failure half way rolls back: no port, no record"
contain net create grey
ip netns exec grey sh -c 'echo 1 > /proc/sys/net/ipv6/conf/all/disable_ipv6'
before=$(kernel_state)
rc=0; contain bridge attach br0 grey --addr 2001:db8::7/64 || rc=$?
assert_eq 1 "$rc" "exit code of the failed attach"
assert_eq "$before" "$(kernel_state)" "kernel state after the rollback"
contain network create gnet --subnet 203.0.113.0/24
contain network create g6 --subnet 2001:db8:9::/64
# A bridge's carrier follows its ports: keep one, so that only the attempt could change anything.
contain network attach g6 red
before=$(kernel_state)
rc=0; contain network attach g6 grey || rc=$?
assert_eq 1 "$rc" "exit code of the failed network attach"
assert_eq "$before" "$(kernel_state)" "kernel state after the network rollback"
assert_eq "red" "$(contain network inspect g6 --json | jq -r '.attachments[].namespace')" "address not kept"
contain network delete --force g6
contain network delete gnet
contain net delete grey

step "a bridge contain did not create is refused unless --force"
ip link add other0 type bridge
expect_fail 1 'contain did not create it; use --force' -- contain bridge delete other0
contain bridge delete other0 --force
assert_eq "" "$(ip -o link show other0 2>/dev/null)" "other0 is gone"

step "teardown: deleting the namespaces takes their veths along"
contain net delete red blue
assert_eq "" "$(ip -o link show master br0)" "ports left on br0"
assert_eq "" "$(ip -o link show master br1)" "ports left on br1"
contain bridge delete br0
contain bridge delete br1
