# Managed networks get NAT and are isolated from each other; both reach the
# internet. Then the tutorial's three namespaces on two bridges (bridge attach).
. "$TESTS_SUPPORT/lib.sh"

step "the internet at 203.0.113.2 behind the host's uplink 203.0.113.1"
make_internet

step "two managed networks, one namespace on each"
contain network create blue --subnet 10.1.0.0/24
contain network create red --subnet 10.2.0.0/24
contain net create a
contain net create b
contain network attach blue a
contain network attach red b
a_ip=$(ip -n a -o -4 addr show dev eth0 | awk '{print $4}' | cut -d/ -f1)
b_ip=$(ip -n b -o -4 addr show dev eth0 | awk '{print $4}' | cut -d/ -f1)
serve_whoami a tcp 80
serve_whoami b tcp 80
assert_contains "$(nft list set inet contain nat4)" "10.1.0.0/24"
assert_contains "$(nft list set inet contain nat4)" "10.2.0.0/24"

step "both reach the internet, seen as the host's uplink address"
assert_eq 203.0.113.1 "$(ask_from a tcp 203.0.113.2 80)"
assert_eq 203.0.113.1 "$(ask_from b tcp 203.0.113.2 80)"

step "neither reaches the other"
rc=0; WHOAMI_TIMEOUT=2 ask_from a tcp "$b_ip" 80 || rc=$?
assert_eq 1 "$rc" "blue -> red"
rc=0; WHOAMI_TIMEOUT=2 ask_from b tcp "$a_ip" 80 || rc=$?
assert_eq 1 "$rc" "red -> blue"

step "a published port of a managed network: from the internet, localhost and the other network"
contain forward add --host-port 8080 --to a:80
assert_eq 203.0.113.2 "$(ask_from internet tcp 203.0.113.1 8080)"
assert_eq 10.1.0.1 "$(python3 "$TESTS_SUPPORT/whoami.py" ask tcp 127.0.0.1 8080)"
assert_eq 1 "$(cat /proc/sys/net/ipv4/conf/$(contain network inspect blue --json | jq -r .bridge)/route_localnet)" \
  "route_localnet on blue's bridge"
assert_eq "$b_ip" "$(ask_from b tcp 203.0.113.1 8080)"

step "detaching a namespace removes the forwards to it"
contain forward add --host-port 9090 --to b:80
contain network detach red b
assert_eq '[8080]' "$(contain forward list --json | jq -c '[.[].host_port]')" "forwards after detach"
contain network attach red b >/dev/null

step "deleting a network removes its NAT, isolation and the forwards into it"
stop_whoami
contain network delete --force blue
assert_eq '[]' "$(contain forward list --json | jq -c .)" "forwards after network delete"
assert_not_contains "$(nft list set inet contain nat4)" "10.1.0.0/24"
contain network delete --force red
assert_not_contains "$(nft list tables)" "contain" "tables after the last network"
contain net delete a b

step "no NAT with --no-nat: the internet cannot answer"
contain network create green --subnet 10.3.0.0/24 --no-nat
contain net create g
contain network attach green g
rc=0; WHOAMI_TIMEOUT=2 ask_from g tcp 203.0.113.2 80 || rc=$?
assert_eq 1 "$rc" "--no-nat network to the internet"
assert_not_contains "$(nft list set inet contain nat4)" "10.3.0.0/24"
contain net delete g
contain network delete green
assert_not_contains "$(nft list tables)" "contain" "tables after green"

step "the tutorial: A-B on one bridge, B-C on another; A cannot reach C"
contain bridge create br-ab
contain bridge create br-bc
for n in A B C; do contain net create "$n"; done
contain bridge attach br-ab A --addr 192.0.2.1/24
contain bridge attach br-ab B --addr 192.0.2.2/24
contain bridge attach br-bc B --addr 198.51.100.2/24 --ifname eth1
contain bridge attach br-bc C --addr 198.51.100.3/24
ip netns exec A ping -c1 -w10 192.0.2.2
ip netns exec B ping -c1 -w10 198.51.100.3
rc=0; ip netns exec A ping -c1 -W1 198.51.100.3 >/dev/null 2>&1 || rc=$?
assert_eq 2 "$rc" "A -> C (no route: B is not a router)"
ip -n A route add 198.51.100.0/24 via 192.0.2.2
rc=0; ip netns exec A ping -c1 -W1 198.51.100.3 >/dev/null 2>&1 || rc=$?
assert_eq 1 "$rc" "A -> C through B (B does not forward)"
contain net delete A B C
contain bridge delete br-ab
contain bridge delete br-bc

stop_whoami
contain net delete internet
