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
