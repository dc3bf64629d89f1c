# Managed networks: pooled and static addresses, overlap refusal, detach and
# release, delete refusal and --force, IPv6-only, release on `net delete`.
. "$TESTS_SUPPORT/lib.sh"

for ns in a b c d; do contain net create $ns; done

step "create a network: bridge cn-web with the gateway, intent recorded"
contain network create web --subnet 192.0.2.0/24
assert_contains "$(ip -o addr show dev cn-web)" "192.0.2.1/24"
assert_contains "$(ip -d link show cn-web)" "alias contain:network/web"
json=$(contain network inspect web --json)
assert_eq "192.0.2.0/24 192.0.2.1 cn-web true true" \
  "$(jq -r '"\(.subnet) \(.gateway) \(.bridge) \(.nat) \(.isolated)"' <<<"$json")" "network record"

step "pooled and static addresses"
assert_eq "192.0.2.2/24" "$(contain network attach web a)" "first pooled address"
assert_eq "192.0.2.50/24" "$(contain network attach web b --ip 192.0.2.50)" "static address"
assert_eq "192.0.2.3/24" "$(contain network attach web c --ifname web0)" "second pooled address"
assert_contains "$(ip -n a -o addr show dev eth0)" "192.0.2.2/24"
assert_contains "$(ip -n c -o addr show dev web0)" "192.0.2.3/24"
assert_contains "$(ip -n a route show default)" "via 192.0.2.1 dev eth0"
ip netns exec a ping -c1 -w10 192.0.2.50
ip netns exec c ping -c1 -w10 192.0.2.1
assert_eq "a:eth0:192.0.2.2/24 b:eth0:192.0.2.50/24 c:web0:192.0.2.3/24" \
  "$(contain network inspect web --json | jq -r '.attachments[] | "\(.namespace):\(.interface):\(.address)"' | sort | xargs)"
assert_contains "$(contain network list)" "192.0.2.0/24"
assert_eq "web" "$(contain network list --json | jq -r '.[].name')"

step "static addresses are validated before anything changes"
before=$(kernel_state)
expect_fail 1 'address 192.0.2.50 is already in use on network "web"' -- contain network attach web d --ip 192.0.2.50
expect_fail 2 'address 192.0.2.1 is the gateway' -- contain network attach web d --ip 192.0.2.1
expect_fail 2 'address 192.0.2.0 is the network address' -- contain network attach web d --ip 192.0.2.0
expect_fail 2 'address 192.0.2.255 is the broadcast address' -- contain network attach web d --ip 192.0.2.255
expect_fail 2 'address 198.51.100.9 is not inside subnet 192.0.2.0/24' -- contain network attach web d --ip 198.51.100.9
expect_fail 2 'address "192.0.2.x" is malformed' -- contain network attach web d --ip 192.0.2.x
expect_fail 1 'already attached with address 192.0.2.2' -- contain network attach web a
expect_fail 1 'network "nope" does not exist' -- contain network attach nope d
expect_fail 1 'namespace "ghost" does not exist' -- contain network attach web ghost

step "overlapping subnets are refused, naming the conflict"
expect_fail 1 'subnet 192.0.2.128/25 overlaps network "web" \(192.0.2.0/24\)' -- \
  contain network create web2 --subnet 192.0.2.128/25
ip link add spare0 type bridge
ip addr add 198.51.100.1/24 dev spare0
before=$(kernel_state)
expect_fail 1 'overlaps address 198.51.100.1/24 on spare0' -- contain network create up --subnet 198.51.100.0/25
expect_fail 2 'subnet 203.0.113.5/24 has host bits set' -- contain network create x --subnet 203.0.113.5/24
expect_fail 2 'gateway 203.0.113.255 is the broadcast address' -- contain network create x --subnet 203.0.113.0/24 --gateway 203.0.113.255
expect_fail 2 'gateway 192.0.2.1 is not inside subnet 203.0.113.0/24' -- contain network create x --subnet 203.0.113.0/24 --gateway 192.0.2.1
expect_fail 2 'network name "waytoolongname" is invalid' -- contain network create waytoolongname --subnet 203.0.113.0/24
expect_fail 2 'network name "a/b" is invalid' -- contain network create a/b --subnet 203.0.113.0/24
expect_fail 2 'too small' -- contain network create x --subnet 203.0.113.0/31
expect_fail 1 'network "web": it already exists' -- contain network create web --subnet 203.0.113.0/24
assert_eq "$before" "$(kernel_state)" "kernel state after refusals"
ip link del spare0

step "detach removes the interface and releases the address"
contain network detach web c
assert_eq "" "$(ip -n c -o link show web0 2>/dev/null)" "web0 in c"
assert_eq "192.0.2.3/24" "$(contain network attach web d)" "released address handed out again"
expect_fail 1 'detach namespace "c" from network "web": it is not attached' -- contain network detach web c

step "net delete releases the namespace's address; the kernel removes the veth"
contain net delete a
assert_eq "b d" "$(contain network inspect web --json | jq -r '.attachments[].namespace' | sort | xargs)"
assert_eq 2 "$(ip -o link show master cn-web | wc -l)" "ports left on cn-web"
assert_eq "192.0.2.2/24" "$(contain network attach web c)" "a's address is free again"

step "an IPv6-only network"
contain network create v6 --subnet 2001:db8:6::/64 --no-nat
assert_eq "false" "$(contain network inspect v6 --json | jq -r .nat)" "nat intent"
assert_eq "2001:db8:6::2/64" "$(contain network attach v6 b)" "first IPv6 address"
assert_eq "2001:db8:6::3/64" "$(contain network attach v6 d)" "second IPv6 address"
assert_contains "$(ip -n b -o addr show dev eth1)" "2001:db8:6::2/64"
assert_contains "$(ip -n b -6 route show default)" "via 2001:db8:6::1 dev eth1"
ip netns exec b ping -6 -c1 -W2 2001:db8:6::3
ip netns exec d ping -6 -c1 -W2 2001:db8:6::1
expect_fail 2 'address 192.0.2.9 is not inside subnet 2001:db8:6::/64' -- contain network attach v6 c --ip 192.0.2.9

step "--ip-range: addresses handed out from the range only; --ip anywhere in the subnet"
contain network create ranged --subnet 198.51.100.0/24 --ip-range 198.51.100.200/31
assert_eq "198.51.100.200-198.51.100.201" "$(contain network inspect ranged --json | jq -r .ip_range)"
assert_contains "$(contain network inspect ranged)" "addresses from 198.51.100.200-198.51.100.201"
assert_eq "198.51.100.200/24" "$(contain network attach ranged b)" "first address of the range"
assert_eq "198.51.100.201/24" "$(contain network attach ranged d)" "last address of the range"
before=$(kernel_state)
expect_fail 1 'no free address left in 198.51.100.200-198.51.100.201' -- contain network attach ranged c
assert_eq "$before" "$(kernel_state)" "kernel state after the refusal"
assert_eq "198.51.100.7/24" "$(contain network attach ranged c --ip 198.51.100.7)" "static outside the range"
expect_fail 2 'address range 198.51.100.0-198.51.100.255: .* is not inside subnet 192.0.2.0/28' -- \
  contain network create bad --subnet 192.0.2.0/28 --ip-range 198.51.100.0/24
expect_fail 2 '--ip-range 198.51.100.9/24 has host bits set' -- \
  contain network create bad --subnet 198.51.100.0/24 --ip-range 198.51.100.9/24
contain network delete --force ranged

step "--mtu: the bridge and every attachment's veth, both ends"
contain network create jumbo --subnet 203.0.113.128/25 --mtu 9000 --no-nat
assert_eq "9000" "$(contain network inspect jumbo --json | jq -r .mtu)"
contain network attach jumbo b >/dev/null
assert_contains "$(ip -o link show cn-jumbo)" "mtu 9000"
assert_contains "$(ip -n b -o link show eth2)" "mtu 9000"
host_end=$(contain network inspect jumbo --json | jq -r '.attachments[0].host')
assert_contains "$(ip -o link show "$host_end")" "mtu 9000"
expect_fail 2 'mtu' -- contain network create tiny --subnet 203.0.113.0/28 --mtu 20
contain network delete --force jumbo

step "delete is refused while anything is attached, unless --force"
before=$(kernel_state)
expect_fail 1 'network "web": 3 still attached .*use --force' -- contain network delete web
assert_eq "$before" "$(kernel_state)" "kernel state after the refusal"
contain network delete --force web
assert_eq "" "$(ip -o link show cn-web 2>/dev/null)" "cn-web is gone"
assert_eq "" "$(ip -n b -o addr show | grep 192.0.2)" "b's address on web is gone"
contain network detach v6 b
contain network detach v6 d
contain network delete v6
assert_eq "[]" "$(contain network list --json | jq -c .)" "networks left"

contain net delete b c d
