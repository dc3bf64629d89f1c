# Ports on bridges, as the tutorials make them: both ends named, a default
# route inside, no address used twice on one bridge, no bridge deleted from
# under its ports, and gc for ports whose bridge went behind our back.
. "$TESTS_SUPPORT/lib.sh"

default_of() { ip -n "$1" -4 -j route show default | jq -r '.[] | "\(.gateway) \(.dev)"' | xargs; }
links_of() { ip -n "$1" -o link show | awk -F': ' '{ sub(/@.*/, "", $2); print $2 }' | xargs; }

contain net create red
contain net create blue

step "net veth --gateway: the default route inside"
contain net veth --host red-h --ns red --host-addr 192.0.2.1/24 --ns-addr 192.0.2.2/24 --gateway 192.0.2.1
assert_eq "192.0.2.1 veth0" "$(default_of red)" "default route in red"
ip netns exec red ping -c1 -w10 192.0.2.1 >/dev/null || die "the host end is unreachable from red"
before=$(kernel_state)
expect_fail 2 '--gateway 192.0.2.1 needs --ns-addr' -- contain net veth --host x-h --ns blue --gateway 192.0.2.1
expect_fail 2 'gateway 198.51.100.1 is not in the subnet of --ns-addr 192.0.2.9/24' -- \
  contain net veth --host x-h --ns blue --ns-addr 192.0.2.9/24 --gateway 198.51.100.1
expect_fail 1 'the namespace already has a default route via 192.0.2.1; leave out --gateway' -- \
  contain net veth --host red-h2 --ns red --peer veth1 --ns-addr 10.9.0.2/24 --gateway 10.9.0.1
assert_eq "$before" "$(kernel_state)" "kernel state after the refusals"

step "bridge attach --host names the host end"
contain bridge create br0 --addr 198.51.100.1/24
assert_eq "eth0 blue-h" "$(contain bridge attach br0 blue --addr 198.51.100.10/24 --host blue-h --gateway 198.51.100.1)"
assert_eq "br0" "$(ip -j link show blue-h | jq -r '.[0].master')" "master of blue-h"
assert_eq "198.51.100.1 eth0" "$(default_of blue)" "default route in blue"

step "an address already used on the bridge is refused, naming its holder"
before=$(kernel_state)
expect_fail 1 'address 198.51.100.10 is already used on bridge br0 by namespace "blue" \(eth0, host end blue-h\)' -- \
  contain bridge attach br0 red --addr 198.51.100.10/24
expect_fail 1 'address 198.51.100.1 is already used on bridge br0 by bridge br0 itself' -- \
  contain bridge attach br0 red --addr 198.51.100.1/24
expect_fail 1 'the host already has a link named blue-h \(choose another --host name\)' -- \
  contain bridge attach br0 red --addr 198.51.100.11/24 --host blue-h
expect_fail 1 'namespace "red" already has a default route via 192.0.2.1; leave out --gateway' -- \
  contain bridge attach br0 red --addr 198.51.100.11/24 --gateway 198.51.100.1
assert_eq "$before" "$(kernel_state)" "kernel state after the refusals"
assert_eq "eth0 red-b" "$(contain bridge attach br0 red --addr 198.51.100.11/24 --host red-b)" "a free address"
ip netns exec red ping -c1 -w10 198.51.100.10 >/dev/null || die "red cannot reach blue over br0"

step "bridge delete refuses a bridge with ports, unless --force"
before=$(kernel_state)
expect_fail 1 'delete bridge br0: 2 still attached \((blue:eth0, red:eth0|red:eth0, blue:eth0)\); .* or use --force' -- \
  contain bridge delete br0
assert_eq "$before" "$(kernel_state)" "kernel state after the refusal"
contain bridge delete --force br0
for l in br0 blue-h red-b; do
  if ip link show "$l" >/dev/null 2>&1; then die "$l is still there after bridge delete --force"; fi
done
assert_eq "lo" "$(links_of blue)" "links in blue"
assert_eq "lo veth0" "$(links_of red)" "links in red (its net veth stays)"
assert_eq '[]' "$(jq -c '[.links[] | select(.bridge == "br0")]' /run/contain/netns/red)" "red's record of br0"
[[ ! -e /run/contain/netns/blue ]] || assert_eq '[]' "$(jq -c .links /run/contain/netns/blue)" "blue's record"
[[ ! -e /run/contain/bridge/br0 ]] || die "the record of br0 is left"

step "gc deletes the ports of a bridge deleted behind our back"
contain bridge create br1
contain bridge attach br1 blue --addr 203.0.113.10/24 --host blue-h1 >/dev/null
ip link del br1
ip -o link show blue-h1 >/dev/null || die "blue-h1 should outlive its bridge until gc"
out=$(contain gc)
echo "$out"
assert_contains "$out" "deleted link blue-h1 of namespace blue (its bridge br1 no longer exists)"
assert_contains "$out" "removed the record of bridge br1 (it no longer exists)"
if ip link show blue-h1 >/dev/null 2>&1; then die "blue-h1 is still there after gc"; fi
assert_eq "lo" "$(links_of blue)" "links in blue after gc"
assert_eq "nothing to collect" "$(contain gc)" "a second gc"

contain net delete red blue
