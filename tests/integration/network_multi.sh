# A namespace on several managed networks: the first network gives the default
# route, later ones only their subnet route, unless --default-route asks for it.
. "$TESTS_SUPPORT/lib.sh"

default_of() {  # NS FAMILY(-4|-6): "GATEWAY DEV" of each default route
  ip -n "$1" "$2" -j route show default | jq -r '.[] | "\(.gateway) \(.dev)"' | xargs
}

contain network create neta --subnet 198.51.100.0/24
contain network create netb --subnet 203.0.113.0/24
contain network create netc --subnet 192.0.2.0/24
contain net create app
contain net create other

step "the first network gives the default route"
assert_eq "198.51.100.2/24" "$(contain network attach neta app)" "address on neta"
assert_eq "198.51.100.1 eth0" "$(default_of app -4)" "default route after the first attach"

step "a second network: its subnet route only, and no error"
assert_eq "203.0.113.2/24" "$(contain network attach netb app)" "address on netb"
assert_eq "198.51.100.1 eth0" "$(default_of app -4)" "default route after the second attach"
assert_eq "eth1" "$(ip -n app -4 -j route show 203.0.113.0/24 | jq -r '.[].dev')" "subnet route of netb"
ip netns exec app ping -c1 -w10 198.51.100.1 >/dev/null || die "neta's gateway unreachable"
ip netns exec app ping -c1 -w10 203.0.113.1 >/dev/null || die "netb's gateway unreachable"

step "a namespace whose first network is netb has netb's gateway as its default route"
assert_eq "203.0.113.3/24" "$(contain network attach netb other)" "address of other"
assert_eq "203.0.113.1 eth0" "$(default_of other -4)" "default route of other"

step "--default-route: this network's gateway replaces the default route"
assert_eq "192.0.2.2/24" "$(contain network attach netc app --default-route)" "address on netc"
assert_eq "192.0.2.1 eth2" "$(default_of app -4)" "default route after --default-route"
assert_eq "eth0" "$(ip -n app -4 -j route show 198.51.100.0/24 | jq -r '.[].dev')" "subnet route of neta"

step "each family has its own first network"
contain network create v6 --subnet 2001:db8:6::/64
addr6=$(contain network attach v6 app)
# The bridge is told the new address's MAC: no packet has to wait for (or, with
# br_netfilter, be lost in) its resolution.
mac6=$(ip -n app -j link show eth3 | jq -r '.[0].address')
br6=$(contain network inspect v6 --json | jq -r .bridge)
assert_contains "$(ip -6 neigh show "${addr6%/*}" dev "$br6")" "lladdr $mac6" "the bridge's entry for ${addr6%/*}"
assert_eq "2001:db8:6::1 eth3" "$(default_of app -6)" "IPv6 default route"
assert_eq "192.0.2.1 eth2" "$(default_of app -4)" "IPv4 default route unchanged"

step "detach and delete leave the other networks' routes"
contain network detach netc app
assert_eq "" "$(default_of app -4)" "no IPv4 default route once its network is detached"
assert_eq "eth1" "$(ip -n app -4 -j route show 203.0.113.0/24 | jq -r '.[].dev')" "netb still reachable"
contain network delete --force neta
contain network delete --force netb
contain network delete netc
contain network delete --force v6
contain net delete app other

step "dual stack from the command line: an address of each family, NAT for both"
contain network create ds --subnet 192.0.2.0/24 --subnet 2001:db8:d::/64 --gateway 2001:db8:d::fe \
  --ip-range 192.0.2.128/25
assert_eq "192.0.2.0/24 2001:db8:d::/64 2001:db8:d::fe 192.0.2.128-192.0.2.255" \
  "$(contain network inspect ds --json | jq -r '"\(.subnet) \(.more_subnets[0].subnet) \(.more_subnets[0].gateway) \(.ip_range)"')"
contain net create dsa
assert_eq "192.0.2.128/24,2001:db8:d::1/64" "$(contain network attach ds dsa)" "both addresses"
assert_eq "2001:db8:d::fe eth0" "$(default_of dsa -6)" "the IPv6 default route"
# An IPv6 "internet" behind the host: what it sees is the host's address (NAT).
contain net create inet6
contain net veth --host up6 --ns inet6 --host-addr 2001:db8:ff::1/64 --ns-addr 2001:db8:ff::2/64
serve_whoami inet6 tcp 80
assert_eq "2001:db8:ff::1" "$(ask_from dsa tcp 2001:db8:ff::2 80)" "IPv6 source seen outside"
stop_whoami
for bad in "--subnet 198.51.100.0/24 --subnet 203.0.113.0/24|one address family" \
           "--subnet 198.51.100.0/24 --subnet 2001:db8:8::/64 --gateway 10.0.0.1|in none of the subnets" \
           "--subnet 198.51.100.0/24 --subnet 2001:db8:8::/64 --subnet 2001:db8:9::/64|at most two --subnet" \
           "--subnet 198.51.100.0/24 --ip-range 198.51.100.0/25 --ip-range 198.51.100.128/25|one range per subnet"; do
  # shellcheck disable=SC2086
  expect_fail 2 "${bad#*|}" -- contain network create bad ${bad%%|*}
done
assert_eq "" "$(ip -o link show cn-bad 2>/dev/null)" "nothing made by the refused creates"
contain network detach ds dsa
contain network delete ds
contain net delete dsa inet6
