# NAT to an "internet" namespace, and ports published from namespaces: from
# outside, from the host itself (127.0.0.1 too), hairpin, TCP, UDP and IPv6.
. "$TESTS_SUPPORT/lib.sh"
ask() { python3 "$TESTS_SUPPORT/whoami.py" ask "$@"; }

step "somebody else's nftables table, present before and untouched after"
nft -f - <<'NFT'
table ip foreign {
  chain input { type filter hook input priority 0; policy accept; tcp dport 9999 drop; }
  chain forward { type filter hook forward priority 0; policy accept; jump custom; }
  chain custom { ip saddr 192.0.2.99 drop; }
  chain postrouting { type nat hook postrouting priority 100; policy accept; ip saddr 192.0.2.0/24 oifname "nothing0" masquerade; }
}
NFT
foreign_before=$(nft list table ip foreign)

step "the internet: a namespace at 203.0.113.2 (and 2001:db8:ff::2), our default route"
contain net create internet
contain net veth --host uplink --ns internet --host-addr 203.0.113.1/24 --ns-addr 203.0.113.2/24
ip addr add 2001:db8:ff::1/64 dev uplink nodad
ip -n internet addr add 2001:db8:ff::2/64 dev veth0 nodad
ip route add default via 203.0.113.2
ip -6 route add default via 2001:db8:ff::2
serve_whoami internet tcp 80

step "two namespaces on a bridge of the test's own, 10.0.0.0/24 and 2001:db8:1::/64"
ip link add br0 type bridge
ip addr add 10.0.0.1/24 dev br0
ip addr add 2001:db8:1::1/64 dev br0 nodad
ip link set br0 up
for n in app:2 peer:3; do
  ns=${n%:*} host=${n#*:}
  contain net create "$ns"
  contain net veth --host "$ns-h" --ns "$ns" --ns-addr "10.0.0.$host/24"
  ip link set "$ns-h" master br0
  ip -n "$ns" addr add "2001:db8:1::$host/64" dev veth0 nodad
  ip -n "$ns" route add default via 10.0.0.1
  ip -n "$ns" -6 route add default via 2001:db8:1::1
done

step "without NAT the internet cannot answer 10.0.0.2 (even with forwarding on)"
echo 1 >/proc/sys/net/ipv4/ip_forward
rc=0; WHOAMI_TIMEOUT=2 ip netns exec app python3 "$TESTS_SUPPORT/whoami.py" ask tcp 203.0.113.2 80 || rc=$?
assert_eq 1 "$rc" "reaching the internet without NAT"
echo 0 >/proc/sys/net/ipv4/ip_forward   # so that nat enable must turn it on

step "with NAT the internet sees the host's uplink address"
contain nat enable --subnet 10.0.0.0/24
assert_eq 203.0.113.1 "$(ip netns exec app python3 "$TESTS_SUPPORT/whoami.py" ask tcp 203.0.113.2 80)"
assert_eq 1 "$(cat /proc/sys/net/ipv4/ip_forward)" "net.ipv4.ip_forward"
assert_contains "$(contain nat list --json | jq -r '.[].subnet')" "10.0.0.0/24"
echo 1 >/proc/sys/net/ipv6/conf/all/forwarding
rc=0; WHOAMI_TIMEOUT=2 ip netns exec app python3 "$TESTS_SUPPORT/whoami.py" ask tcp 2001:db8:ff::2 80 || rc=$?
assert_eq 1 "$rc" "reaching the internet over IPv6 without NAT"
echo 0 >/proc/sys/net/ipv6/conf/all/forwarding
contain nat enable --subnet 2001:db8:1::/64
assert_eq 2001:db8:ff::1 "$(ip netns exec app python3 "$TESTS_SUPPORT/whoami.py" ask tcp 2001:db8:ff::2 80)"
assert_eq 1 "$(cat /proc/sys/net/ipv6/conf/all/forwarding)" "net.ipv6.conf.all.forwarding"

step "publish app's port 80 (TCP) and 53 (UDP) on the host"
serve_whoami app tcp 80
serve_whoami app udp 53
contain forward add --host-port 8080 --to app:80
contain forward add --host-port 5353 --proto udp --to app:53
list=$(contain forward list --json)
assert_eq '10.0.0.2:80 [2001:db8:1::2]:80' "$(jq -r '.[] | select(.host_port==8080) | .targets | join(" ")' <<<"$list")" "targets of 8080"
assert_eq 'netns/app' "$(jq -r '.[] | select(.host_port==5353) | .owner' <<<"$list")" "owner of 5353"
# One rule set, forwards are map elements.
assert_contains "$(nft list map inet contain fwd4)" "tcp . 8080 : 10.0.0.2 . 80"
assert_contains "$(nft list map inet contain fwd4)" "udp . 5353 : 10.0.0.2 . 53"

step "from the internet, the client's own address arrives (TCP, UDP, IPv6)"
assert_eq 203.0.113.2 "$(ip netns exec internet python3 "$TESTS_SUPPORT/whoami.py" ask tcp 203.0.113.1 8080)"
assert_eq 203.0.113.2 "$(ip netns exec internet python3 "$TESTS_SUPPORT/whoami.py" ask udp 203.0.113.1 5353)"
assert_eq 2001:db8:ff::2 "$(ip netns exec internet python3 "$TESTS_SUPPORT/whoami.py" ask tcp 2001:db8:ff::1 8080)"

step "from the host itself: its own address and 127.0.0.1"
assert_eq 203.0.113.1 "$(ask tcp 203.0.113.1 8080)"
assert_eq 10.0.0.1 "$(ask tcp 127.0.0.1 8080)"
assert_eq 10.0.0.1 "$(ask udp 127.0.0.1 5353)"
# route_localnet only where the target is reached, nowhere else.
assert_eq 1 "$(cat /proc/sys/net/ipv4/conf/br0/route_localnet)" "route_localnet on br0"
assert_eq 0 "$(cat /proc/sys/net/ipv4/conf/uplink/route_localnet)" "route_localnet on uplink"
assert_eq 0 "$(cat /proc/sys/net/ipv4/conf/all/route_localnet)" "route_localnet on all"

step "hairpin: peer, on the same bridge, through the host's addresses"
assert_eq 10.0.0.1 "$(ip netns exec peer python3 "$TESTS_SUPPORT/whoami.py" ask tcp 203.0.113.1 8080)"
assert_eq 10.0.0.1 "$(ip netns exec peer python3 "$TESTS_SUPPORT/whoami.py" ask tcp 10.0.0.1 8080)"
assert_eq 2001:db8:1::1 "$(ip netns exec peer python3 "$TESTS_SUPPORT/whoami.py" ask tcp 2001:db8:1::1 8080)"

step "a forward bound to one host address, to IP:PORT"
contain forward add --host-port 8081 --host-addr 203.0.113.1 --to 10.0.0.2:80
assert_eq 203.0.113.2 "$(ip netns exec internet python3 "$TESTS_SUPPORT/whoami.py" ask tcp 203.0.113.1 8081)"
rc=0; WHOAMI_TIMEOUT=2 ask tcp 10.0.0.1 8081 || rc=$?
assert_eq 1 "$rc" "8081 on another host address"

step "bad input and duplicates are refused before any change"
before=$(kernel_state)
expect_fail 1 'host port 8080/tcp: it is already forwarded to app:80' -- contain forward add --host-port 8080 --to peer:80
expect_fail 2 'port "0" is invalid' -- contain forward add --host-port 0 --to app:80
expect_fail 2 'port "65536" is invalid' -- contain forward add --host-port 65536 --to app:80
expect_fail 2 'port "0" is invalid' -- contain forward add --host-port 8090 --to app:0
expect_fail 2 'protocol "sctp" is invalid' -- contain forward add --host-port 8090 --proto sctp --to app:80
expect_fail 2 'forward destination "app" is invalid' -- contain forward add --host-port 8090 --to app
expect_fail 1 'namespace "nope" does not exist' -- contain forward add --host-port 8090 --to nope:80
contain net create bare
expect_fail 1 'namespace "bare" has no address on a contain-managed interface' -- contain forward add --host-port 8090 --to bare:80
expect_fail 1 'there is no such forward' -- contain forward remove --host-port 8090
expect_fail 1 'already enabled' -- contain nat enable --subnet 10.0.0.0/24
expect_fail 2 'overlaps 10.0.0.0/24' -- contain nat enable --subnet 10.0.0.128/25
contain net delete bare
assert_eq "$before" "$(kernel_state)" "kernel state after refusals"

step "removal stops the forward"
contain forward remove --host-port 8080
rc=0; WHOAMI_TIMEOUT=2 ip netns exec internet python3 "$TESTS_SUPPORT/whoami.py" ask tcp 203.0.113.1 8080 || rc=$?
assert_eq 1 "$rc" "8080 after its removal"
assert_eq 203.0.113.2 "$(ip netns exec internet python3 "$TESTS_SUPPORT/whoami.py" ask udp 203.0.113.1 5353)"
contain forward remove --host-port 8081 --host-addr 203.0.113.1

step "deleting the namespace removes the forwards it owns"
stop_whoami
contain net delete app peer
assert_eq '[]' "$(contain forward list --json | jq -c .)" "forwards after net delete"
assert_eq 0 "$(cat /proc/sys/net/ipv4/conf/br0/route_localnet)" "route_localnet restored on br0"
contain nat disable --subnet 10.0.0.0/24
contain nat disable --subnet 2001:db8:1::/64
assert_not_contains "$(nft list tables)" "contain" "tables after the last element"

step "the foreign table is byte-identical"
assert_eq "$foreign_before" "$(nft list table ip foreign)" "the foreign table"
nft delete table ip foreign
contain net delete internet
ip link del br0
