# Managed networks are isolated from each other and both reach the outside.
# The engine steps of `network create` (NAT + isolation, owned by the network)
# are driven through tests/tools/engine_firewall on bridges the test makes.
. "$TESTS_SUPPORT/lib.sh"
ENGINE_FIREWALL=${ENGINE_FIREWALL:?the path of the engine_firewall helper}
engine() { "$ENGINE_FIREWALL" "$@"; }

step "the internet at 203.0.113.2 behind the host's uplink 203.0.113.1"
make_internet

step "two networks: br1 (10.1.0.0/24: a1, a2) and br2 (10.2.0.0/24: b1)"
for n in 1 2; do
  ip link add "br$n" type bridge
  ip addr add "10.$n.0.1/24" dev "br$n"
  ip link set "br$n" up
done
attach() {  # NS BRIDGE-NUMBER HOST-NUMBER
  contain net create "$1"
  contain net veth --host "$1-h" --ns "$1" --ns-addr "10.$2.0.$3/24"
  ip link set "$1-h" master "br$2"
  ip -n "$1" route add default via "10.$2.0.1"
}
attach a1 1 2; attach a2 1 3; attach b1 2 2
serve_whoami b1 tcp 80
serve_whoami a2 tcp 80

step "before isolation, the host routes between them"
echo 1 >/proc/sys/net/ipv4/ip_forward
assert_eq 10.1.0.2 "$(ask_from a1 tcp 10.2.0.2 80)"

step "NAT and isolation, as network create does them"
engine nat 10.1.0.0/24 network/n1
engine isolate 10.1.0.0/24 br1 network/n1
engine nat 10.2.0.0/24 network/n2
engine isolate 10.2.0.0/24 br2 network/n2
assert_contains "$(nft list set inet contain isolated)" '"br1"'

step "the networks cannot reach each other, in either direction"
rc=0; WHOAMI_TIMEOUT=2 ask_from a1 tcp 10.2.0.2 80 || rc=$?
assert_eq 1 "$rc" "a1 -> b1"
rc=0; WHOAMI_TIMEOUT=2 ask_from b1 tcp 10.1.0.3 80 || rc=$?
assert_eq 1 "$rc" "b1 -> a2"

step "within a network and to the internet, everything passes"
assert_eq 10.1.0.2 "$(ask_from a1 tcp 10.1.0.3 80)"
assert_eq 203.0.113.1 "$(ask_from a1 tcp 203.0.113.2 80)"
assert_eq 203.0.113.1 "$(ask_from b1 tcp 203.0.113.2 80)"

step "a port published from one network is reachable from the other"
contain forward add --host-port 8080 --to b1:80
assert_eq 10.1.0.2 "$(ask_from a1 tcp 203.0.113.1 8080)"
contain forward remove --host-port 8080

step "removing one network's entries by owner lifts its isolation only"
engine remove-owned network/n1
assert_not_contains "$(nft list set inet contain isolated)" '"br1"'
# Reachable again; n2 still masquerades what leaves it for a subnet without NAT.
assert_eq 10.1.0.1 "$(ask_from b1 tcp 10.1.0.3 80)"
engine remove-owned network/n2
assert_not_contains "$(nft list tables)" "contain" "tables after the last owner"

stop_whoami
contain net delete a1 a2 b1 internet
ip link del br1
ip link del br2
