# The CNI plugin mode, driven as a runtime drives a plugin: the environment
# (CNI_COMMAND, CNI_CONTAINERID, CNI_NETNS, CNI_IFNAME, CNI_ARGS) and the
# network configuration on stdin; the result or the error JSON on stdout.
. "$TESTS_SUPPORT/lib.sh"

# cni COMMAND CONTAINERID NETNS IFNAME CONFIG [CNI_ARGS]: prints stdout, sets RC.
cni() {
  local netns_var=()
  [[ -n $3 ]] && netns_var=(CNI_NETNS="$3")
  RC=0
  OUT=$(env -i PATH="$PATH" CNI_COMMAND="$1" CNI_CONTAINERID="$2" "${netns_var[@]}" \
    CNI_IFNAME="$4" CNI_PATH=/nonexistent CNI_ARGS="${6:-}" "$CONTAIN" <<<"$5") || RC=$?
}
# cni_ok ...: as cni, and it must succeed.
cni_ok() { cni "$@"; [[ $RC -eq 0 ]] || die "CNI $1 failed ($RC): $OUT"; }
# cni_err CODE MSG-PATTERN ...: fails with that CNI error code and message.
cni_err() {
  local code=$1 pattern=$2
  shift 2
  cni "$@"
  [[ $RC -ne 0 ]] || die "CNI $1 succeeded, expected code $code: $OUT"
  assert_eq "$code" "$(jq -r .code <<<"$OUT")" "error code of $*"
  grep -qE -- "$pattern" <<<"$(jq -r .msg <<<"$OUT")" || die "CNI $1 said [$OUT], expected /$pattern/"
  echo "refused as expected: $(jq -c . <<<"$OUT")"
}
conf() {  # conf VERSION [extra JSON members]
  echo "{\"cniVersion\":\"$1\",\"name\":\"pods\",\"type\":\"contain\",\"ipMasq\":true,
    \"ipam\":{\"type\":\"host-local\",\"ranges\":[[{\"subnet\":\"198.51.100.0/24\",
    \"gateway\":\"198.51.100.1\"}]],\"routes\":[{\"dst\":\"0.0.0.0/0\"}]},
    \"dns\":{\"nameservers\":[\"198.51.100.1\"]}${2:+,$2}}"
}
ID1=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
ID2=fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210

step "VERSION: supported versions, whatever else is set"
out=$(env -i CNI_COMMAND=VERSION CNI_NETNS=garbage "$CONTAIN" <<<'{"cniVersion":"0.4.0"}')
assert_eq '["0.3.0","0.3.1","0.4.0","1.0.0","1.1.0"]' "$(jq -c .supportedVersions <<<"$out")"
out=$(env -i CNI_COMMAND=VERSION "$CONTAIN" cni </dev/null)
assert_eq "1.1.0" "$(jq -r .cniVersion <<<"$out")"
assert_eq "" "$(find /run/contain -mindepth 1)" "the state store after VERSION"
# Answered before anything else runs: the only files opened are the dynamic
# loader's (its cache and the libraries); the runtime's whole configuration is
# read (the writer of a 300 KB stdin, more than a pipe holds, finishes).
env -i CNI_COMMAND=VERSION "$(command -v strace)" -f -o version.trace -e trace=openat,open \
  "$CONTAIN" </dev/null >/dev/null
opened=$(grep -oE '"[^"]+"' version.trace | tr -d '"' | grep -vE '^/etc/ld\.so\.cache$|^/(usr/)?lib' || true)
grep -q 'ld.so.cache' version.trace || die "strace saw no openat at all (observer broken)"
assert_eq "" "$opened" "files opened by VERSION besides the loader's"
out=$(head -c 300000 /dev/zero | tr '\0' ' ' | env -i CNI_COMMAND=VERSION "$CONTAIN")
assert_eq "1.1.0" "$(jq -r .cniVersion <<<"$out")" "VERSION after a 300 KB stdin"
# With arguments, contain is not a plugin: CNI_COMMAND=VERSION changes nothing.
assert_eq "$("$CONTAIN" --version)" "$(CNI_COMMAND=VERSION "$CONTAIN" --version)" "--version under CNI_COMMAND"

step "bad environment and configuration: the spec's codes, nothing changed"
before=$(kernel_state)
cni_err 4 'CNI_COMMAND=.*ATTACH' ATTACH "$ID1" /run/netns/a eth0 "$(conf 1.0.0)"
cni_err 4 'CNI_NETNS is not set' ADD "$ID1" "" eth0 "$(conf 1.0.0)"
cni_err 4 'CNI_IFNAME=' ADD "$ID1" /run/netns/a "bad/if" "$(conf 1.0.0)"
cni_err 6 'not valid JSON' ADD "$ID1" /run/netns/a eth0 '{"cniVersion":'
cni_err 1 'cniVersion "0.2.0" is not supported' ADD "$ID1" /run/netns/a eth0 "$(conf 0.2.0)"
cni_err 1 'CHECK is not part of CNI 0.3.1' CHECK "$ID1" /run/netns/a eth0 "$(conf 0.3.1)"
cni_err 1 'GC is not part of CNI 1.0.0' GC "" "" "" "$(conf 1.0.0)"
cni_err 2 'ipam.type="dhcp"' ADD "$ID1" /run/netns/a eth0 \
  '{"cniVersion":"1.0.0","name":"pods","ipam":{"type":"dhcp"}}'
cni_err 2 'CNI_ARGS FOO=' ADD "$ID1" /run/netns/a eth0 "$(conf 1.0.0)" "FOO=bar"
cni_err 7 'must be the first plugin' ADD "$ID1" /run/netns/a eth0 "$(conf 1.0.0 '"prevResult":{}')"
assert_eq "$before" "$(kernel_state)" "kernel state after refusals"

step "ADD: interfaces (bridge, host end, eth0 with sandbox and MAC), ips, routes, dns"
contain net create a
contain net create b
cni_ok ADD "$ID1" /run/netns/a eth0 "$(conf 1.0.0)"
echo "$OUT" | jq -c .
assert_eq "1.0.0" "$(jq -r .cniVersion <<<"$OUT")"
assert_eq "cn-pods" "$(jq -r '.interfaces[0].name' <<<"$OUT")"
host_end=$(jq -r '.interfaces[1].name' <<<"$OUT")
assert_eq "eth0 /run/netns/a" "$(jq -r '.interfaces[2] | "\(.name) \(.sandbox)"' <<<"$OUT")"
mac=$(jq -r '.interfaces[2].mac' <<<"$OUT")
assert_contains "$(ip -n a link show eth0)" "link/ether $mac"
assert_contains "$(ip link show "$host_end")" "master cn-pods"
assert_contains "$(ip link show cn-pods)" "link/ether $(jq -r '.interfaces[0].mac' <<<"$OUT")"
assert_eq "198.51.100.2/24 198.51.100.1 2" \
  "$(jq -r '.ips[0] | "\(.address) \(.gateway) \(.interface)"' <<<"$OUT")"
assert_eq "null" "$(jq -r '.ips[0].version' <<<"$OUT")" "ips[].version in 1.0.0"
assert_eq "0.0.0.0/0 198.51.100.1" "$(jq -r '.routes[0] | "\(.dst) \(.gw)"' <<<"$OUT")"
assert_eq "198.51.100.1" "$(jq -r '.dns.nameservers[0]' <<<"$OUT")"
assert_contains "$(ip -n a -o addr show dev eth0)" "198.51.100.2/24"
assert_contains "$(ip -n a route show default)" "via 198.51.100.1 dev eth0"
ip netns exec a ping -c1 -w10 198.51.100.1
contain network inspect pods --json | jq -e --arg o "cni/$ID1/eth0" '.attachments[] | select(.owner == $o)' >/dev/null \
  || contain network inspect pods --json | jq -e '.attachments | length == 1' >/dev/null

step "ADD in 0.4.0 and 0.3.1 format; static IP and MAC from CNI_ARGS and runtimeConfig"
cni_ok ADD "$ID2" /run/netns/b net1 "$(conf 0.4.0)" "IgnoreUnknown=1;K8S_POD_NAME=x;IP=198.51.100.50"
assert_eq "4 198.51.100.50/24" "$(jq -r '.ips[0] | "\(.version) \(.address)"' <<<"$OUT")"
ip netns exec b ping -c1 -w10 198.51.100.2
ip netns add c  # not ours: removed behind our back below
cni_ok ADD "$ID2" /run/netns/c eth0 \
  "$(conf 0.3.1 '"runtimeConfig":{"IPs":["198.51.100.60/24","198.51.100.60/24"],"Mac":"02:00:c6:33:64:3c"}')"
assert_eq "02:00:c6:33:64:3c" "$(jq -r '.interfaces[2].mac' <<<"$OUT")"
assert_contains "$(ip -n c link show eth0)" "link/ether 02:00:c6:33:64:3c"
assert_contains "$(ip -n c -o addr show dev eth0)" "198.51.100.60/24"

step "a taken address and an existing interface are refused with our message"
contain net create d
cni_err 100 'address 198.51.100.60 is already in use' ADD d1 /run/netns/d eth0 "$(conf 1.0.0)" "IP=198.51.100.60"
cni_err 100 'already' ADD "$ID1" /run/netns/a eth0 "$(conf 1.0.0)"
ip -n d link add eth0 type veth peer name other0
cni_err 100 'eth0' ADD d2 /run/netns/d eth0 "$(conf 1.0.0)"
ip -n d link del eth0

step "CHECK: passes, then names what is missing"
cni_ok CHECK "$ID1" /run/netns/a eth0 "$(conf 1.0.0 '"prevResult":{}')"
ip -n a route del default
cni_err 100 'default route' CHECK "$ID1" /run/netns/a eth0 "$(conf 1.0.0)"
ip -n a route add default via 198.51.100.1
ip -n a addr del 198.51.100.2/24 dev eth0
cni_err 100 'address 198.51.100.2 is missing' CHECK "$ID1" /run/netns/a eth0 "$(conf 1.0.0)"
ip -n a addr add 198.51.100.2/24 dev eth0
cni_err 100 'no attachment' CHECK nosuch /run/netns/a eth0 "$(conf 1.0.0)"

step "portMappings and bandwidth: published, shaped, checked, removed by owner"
contain net create e
cni_ok ADD pm1 /run/netns/e eth0 "$(conf 1.0.0 '"runtimeConfig":{"portMappings":[{"hostPort":8080,"containerPort":80,"protocol":"tcp","hostIP":""},{"HostPort":5353,"ContainerPort":53,"Protocol":"udp","HostIP":"127.0.0.1"}],"bandwidth":{"ingressRate":8000000,"ingressBurst":4294967295,"egressRate":8000000,"egressBurst":4294967295}}')"
host_end=$(jq -r '.interfaces[1].name' <<<"$OUT")
e_ip=$(jq -r '.ips[0].address' <<<"$OUT"); e_ip=${e_ip%/*}
ruleset=$(nft list ruleset)
assert_contains "$ruleset" "tcp . 8080 : $e_ip . 80"
assert_contains "$ruleset" "127.0.0.1 . udp . 5353 : $e_ip . 53"
assert_contains "$(tc qdisc show dev "$host_end")" "qdisc tbf"
assert_contains "$(tc qdisc show dev "$host_end")" "rate 8Mbit"
ifb=$(ip -o link show type ifb | awk -F': ' '{print $2}')
[[ -n $ifb ]] || die "no ifb for the egress shaping"
assert_contains "$(tc qdisc show dev "$ifb")" "rate 8Mbit"
check_conf=$(conf 1.0.0 '"runtimeConfig":{"portMappings":[{"hostPort":8080,"containerPort":80,"protocol":"tcp"},{"hostPort":5353,"containerPort":53,"protocol":"udp","hostIP":"127.0.0.1"}],"bandwidth":{"ingressRate":8000000,"egressRate":8000000}}')
cni_ok CHECK pm1 /run/netns/e eth0 "$check_conf"
contain forward remove --host-port 5353 --proto udp --host-addr 127.0.0.1
cni_err 100 'forward of udp port 5353 is missing' CHECK pm1 /run/netns/e eth0 "$check_conf"
step "DEL without the portMappings removes the forwards and the shaping anyway"
cni_ok DEL pm1 "" eth0 "$(conf 1.0.0)"
assert_not_contains "$(nft list ruleset)" "8080" "nftables after DEL"
assert_eq "" "$(ip -o link show type ifb)" "ifb after DEL"
assert_eq "" "$(find /run/contain/shape -type f 2>/dev/null)" "shape records"
contain net delete e

step "STATUS: 0 while addresses are free"
cni_ok STATUS "" "" "" "$(conf 1.1.0)"

step "DEL: by owner, without CNI_NETNS or prevResult, repeated"
cni_ok DEL "$ID2" "" net1 "$(conf 0.4.0)"
assert_eq "" "$(ip -n b -o link show net1 2>/dev/null)" "net1 in b"
cni_ok DEL "$ID2" "" net1 "$(conf 0.4.0)"
cni_ok DEL never-added /run/netns/b eth0 "$(conf 1.0.0)"
assert_eq "2" "$(contain network inspect pods --json | jq '.attachments | length')"

step "DEL after the namespace is gone"
ip netns del c
cni_ok DEL "$ID2" /run/netns/c eth0 "$(conf 0.3.1)"

step "GC: releases every attachment not listed as valid"
cni_ok ADD "$ID2" /run/netns/b eth0 "$(conf 1.1.0)"
assert_eq "2" "$(contain network inspect pods --json | jq '.attachments | length')"
cni_ok GC "" "" "" "$(conf 1.1.0 "\"cni.dev/valid-attachments\":[{\"containerID\":\"$ID1\",\"ifname\":\"eth0\"}]")"
assert_eq "1" "$(contain network inspect pods --json | jq '.attachments | length')"
assert_eq "" "$(ip -n b -o link show eth0 2>/dev/null)" "eth0 in b after GC"
ip netns exec a ping -c1 -w10 198.51.100.1

step "the last DEL removes the network an ADD made: nothing of ours is left"
cni_ok DEL "$ID1" /run/netns/a eth0 "$(conf 1.0.0)"
assert_eq "" "$(ip -o link show cn-pods 2>/dev/null)" "bridge"
assert_eq "" "$(find /run/contain -type f -path '*network*' -o -type f -path '*cni*' | xargs)" "records"
assert_eq "" "$(ip -o link show | grep -E 'vc[0-9a-f]{12}' || true)" "host ends"
assert_not_contains "$(nft list ruleset 2>/dev/null)" "198.51.100" "nftables"

step "contain network create --cni-conflist writes a conflist whose plugin ADDs to that network"
mkdir -p confdir
expect_fail 2 'not a directory' -- contain network create made --subnet 192.0.2.0/24 --cni-conflist "$PWD/nodir"
contain network create made --subnet 192.0.2.0/24 --cni-conflist "$PWD/confdir"
list=$(cat confdir/made.conflist)
assert_eq "made contain 192.0.2.0/24 192.0.2.1 true" \
  "$(jq -r '"\(.name) \(.plugins[0].type) \(.plugins[0].ipam.ranges[0][0].subnet) \(.plugins[0].ipam.ranges[0][0].gateway) \(.plugins[0].ipMasq)"' <<<"$list")"
plugin=$(jq -c '.plugins[0] + {name: .name, cniVersion: .cniVersion}' <<<"$list")
contain net create f
cni_ok ADD conf1 /run/netns/f eth0 "$plugin"
assert_eq "192.0.2.2/24" "$(jq -r '.ips[0].address' <<<"$OUT")"
cni_ok DEL conf1 /run/netns/f eth0 "$plugin"
contain network delete made
# Dual stack: both ranges in the conflist, an address of each from its ADD.
contain network create made --subnet 192.0.2.0/24 --subnet 2001:db8:4::/64 --cni-conflist "$PWD/confdir"
list=$(cat confdir/made.conflist)
plugin=$(jq -c '.plugins[0] + {name: .name, cniVersion: .cniVersion}' <<<"$list")
cni_ok ADD conf2 /run/netns/f eth0 "$plugin"
assert_eq "192.0.2.2/24 2001:db8:4::2/64" "$(jq -r '[.ips[].address] | join(" ")' <<<"$OUT")" "dual-stack conflist"
cni_ok DEL conf2 /run/netns/f eth0 "$plugin"
contain network delete made
contain net delete f
rm -r confdir

step "rangeStart and rangeEnd: addresses from that part of the subnet only"
ranged=$(conf 1.0.0 | jq -c '.name = "ranged" | .ipam.ranges[0][0] += {rangeStart: "198.51.100.50", rangeEnd: "198.51.100.51"}')
cni_ok ADD "$ID1" /run/netns/a eth0 "$ranged"
assert_eq "198.51.100.50/24" "$(jq -r '.ips[0].address' <<<"$OUT")" "first address"
cni_ok ADD "$ID2" /run/netns/b eth0 "$ranged"
assert_eq "198.51.100.51/24" "$(jq -r '.ips[0].address' <<<"$OUT")" "second address"
assert_eq "198.51.100.50-198.51.100.51" "$(contain network inspect ranged --json | jq -r .ip_range)"
cni_err 7 'exists with the address range 198.51.100.50-198.51.100.51, but the configuration says 198.51.100.50-198.51.100.60' ADD "$ID1" /run/netns/d eth0 \
  "$(jq -c '.ipam.ranges[0][0].rangeEnd = "198.51.100.60"' <<<"$ranged")"
cni_ok DEL "$ID1" /run/netns/a eth0 "$ranged"
cni_ok DEL "$ID2" /run/netns/b eth0 "$ranged"
step "mtu: the network's bridge and veths; reported in a 1.1.0 result"
mtu=$(conf 1.1.0 | jq -c '.name = "jumbo" | .mtu = 9000')
cni_ok ADD "$ID1" /run/netns/a eth1 "$mtu"
assert_eq "9000" "$(jq -r '.interfaces[2].mtu' <<<"$OUT")" "mtu in the result"
assert_contains "$(ip -n a -o link show eth1)" "mtu 9000"
assert_contains "$(ip -o link show cn-jumbo)" "mtu 9000"
cni_err 7 '"mtu" must be a number from 68 to 65535' ADD "$ID2" /run/netns/b eth1 \
  "$(jq -c '.mtu = 10' <<<"$mtu")"
cni_ok DEL "$ID1" /run/netns/a eth1 "$mtu"
assert_eq "" "$(ip -o link show cn-ranged 2>/dev/null)" "the network went with its last DEL"

step "bandwidth: ingress and egress rates are independent, and either may be alone"
contain net create bw
bw_conf() { conf 1.0.0 "\"runtimeConfig\":{\"bandwidth\":$1}"; }
cni_ok ADD bw1 /run/netns/bw eth0 "$(bw_conf '{"ingressRate":2000000,"egressRate":8000000,"egressBurst":800000}')"
host_end=$(jq -r '.interfaces[1].name' <<<"$OUT")
assert_contains "$(tc qdisc show dev "$host_end")" "rate 2Mbit" "into the container: tbf on the host end"
ifb=$(ip -o link show type ifb | awk -F': ' '{print $2}')
[[ -n $ifb ]] || die "no ifb for the egress shaping"
assert_contains "$(tc qdisc show dev "$ifb")" "rate 8Mbit" "out of the container: tbf on the ifb"
assert_contains "$(tc qdisc show dev "$ifb")" "burst 100000b" "egressBurst 800000 bits"
cni_ok CHECK bw1 /run/netns/bw eth0 "$(bw_conf '{"ingressRate":2000000,"egressRate":8000000}')"
cni_ok DEL bw1 "" eth0 "$(conf 1.0.0)"
cni_ok ADD bw2 /run/netns/bw eth0 "$(bw_conf '{"egressRate":4000000}')"
host_end=$(jq -r '.interfaces[1].name' <<<"$OUT")
ifb=$(ip -o link show type ifb | awk -F': ' '{print $2}')
[[ -n $ifb ]] || die "no ifb for the egress-only shaping"
assert_contains "$(tc qdisc show dev "$ifb")" "rate 4Mbit"
assert_contains "$(tc qdisc show dev "$host_end")" "qdisc ingress" "the observer sees the host end's qdiscs"
assert_not_contains "$(tc qdisc show dev "$host_end")" "tbf" "egress only: nothing into the container"
cni_ok CHECK bw2 /run/netns/bw eth0 "$(bw_conf '{"egressRate":4000000}')"
cni_ok DEL bw2 "" eth0 "$(conf 1.0.0)"
cni_ok ADD bw3 /run/netns/bw eth0 "$(bw_conf '{"IngressRate":3000000}')"
host_end=$(jq -r '.interfaces[1].name' <<<"$OUT")
assert_contains "$(tc qdisc show dev "$host_end")" "rate 3Mbit"
assert_eq "" "$(ip -o link show type ifb)" "ingress only: no ifb"
cni_ok CHECK bw3 /run/netns/bw eth0 "$(bw_conf '{"ingressRate":3000000}')"
cni_ok DEL bw3 "" eth0 "$(conf 1.0.0)"
assert_eq "" "$(find /run/contain/shape -type f 2>/dev/null)" "shape records"
contain net delete bw

step "dual stack: one address from each range, both listed with their gateways"
contain net create g
contain net create h
dual=$(conf 0.4.0 | jq -c '.name = "dual" | .ipam.ranges = [[{subnet: "192.0.2.0/24", gateway: "192.0.2.1"}], [{subnet: "2001:db8:1::/64", gateway: "2001:db8:1::1"}]] | .ipam.routes = [{dst: "0.0.0.0/0"}, {dst: "::/0"}, {dst: "203.0.113.0/24", gw: "192.0.2.254"}, {dst: "2001:db8:5::/48"}]')
cni_ok ADD dual1 /run/netns/g eth0 "$dual"
echo "$OUT" | jq -c .
assert_eq "2" "$(jq '.ips | length' <<<"$OUT")" "ips"
assert_eq "4 192.0.2.2/24 192.0.2.1 2" "$(jq -r '.ips[0] | "\(.version) \(.address) \(.gateway) \(.interface)"' <<<"$OUT")"
assert_eq "6 2001:db8:1::2/64 2001:db8:1::1 2" "$(jq -r '.ips[1] | "\(.version) \(.address) \(.gateway) \(.interface)"' <<<"$OUT")"
assert_eq "0.0.0.0/0 192.0.2.1,::/0 2001:db8:1::1,203.0.113.0/24 192.0.2.254,2001:db8:5::/48 2001:db8:1::1" \
  "$(jq -r '[.routes[] | "\(.dst) \(.gw)"] | join(",")' <<<"$OUT")" "routes in the result"
g_addrs=$(ip -n g -o addr show dev eth0)
assert_contains "$g_addrs" "192.0.2.2/24"
assert_contains "$g_addrs" "2001:db8:1::2/64"
assert_contains "$(ip -n g route show default)" "via 192.0.2.1 dev eth0"
assert_contains "$(ip -n g -6 route show default)" "via 2001:db8:1::1 dev eth0"
assert_contains "$(ip -n g route show 203.0.113.0/24)" "via 192.0.2.254 dev eth0"
assert_contains "$(ip -n g -6 route show 2001:db8:5::/48)" "via 2001:db8:1::1 dev eth0"
assert_contains "$(ip -o addr show dev cn-dual)" "192.0.2.1/24"
assert_contains "$(ip -o addr show dev cn-dual)" "2001:db8:1::1/64"
ip netns exec g ping -c1 -w10 192.0.2.1
ip netns exec g ping -6 -c1 -w10 2001:db8:1::1
# ipMasq covers both families: an IPv6 "internet" behind the host sees the host.
contain net create inet6
contain net veth --host up6 --ns inet6 --host-addr 2001:db8:ff::1/64 --ns-addr 2001:db8:ff::2/64
serve_whoami inet6 tcp 80
assert_eq "2001:db8:ff::1" "$(ask_from g tcp 2001:db8:ff::2 80)" "IPv6 source seen outside (ipMasq)"
stop_whoami
contain net delete inet6
assert_eq "2001:db8:1::/64 2001:db8:1::1" \
  "$(contain network inspect dual --json | jq -r '.more_subnets[0] | "\(.subnet) \(.gateway)"')"
assert_eq '["2001:db8:1::2/64"]' "$(contain network inspect dual --json | jq -c '.attachments[0].more_addresses')"

step "dual stack: static addresses of both families, ports to both, one container reaches the other"
cni_ok ADD dual2 /run/netns/h eth0 \
  "$(jq -c '.runtimeConfig = {ips: ["2001:db8:1::50/64", "192.0.2.50/24"], mac: "0a:58:c0:00:02:32", portMappings: [{hostPort: 8081, containerPort: 80, protocol: "tcp"}]}' <<<"$dual")"
assert_eq "192.0.2.50/24 2001:db8:1::50/64" "$(jq -r '[.ips[].address] | join(" ")' <<<"$OUT")"
# The host's bridge knows the IPv6 address at the MAC asked for: the first
# connection through a published port does not wait for (or, with
# br_netfilter, lose its first packet in) neighbour resolution.
assert_contains "$(ip -6 neigh show 2001:db8:1::50 dev cn-dual)" "lladdr 0a:58:c0:00:02:32" "the bridge's entry for 2001:db8:1::50"
ip netns exec g ping -6 -c1 -w10 2001:db8:1::50
ip netns exec h ping -c1 -w10 192.0.2.2
ruleset=$(nft list ruleset)
assert_contains "$ruleset" "tcp . 8081 : 192.0.2.50 . 80"
assert_contains "$ruleset" "tcp . 8081 : 2001:db8:1::50 . 80"
serve_whoami h tcp 80
assert_contains "$(ask_from g tcp 2001:db8:1::1 8081)" "2001:db8:1::" "port 8081 over IPv6, from the other container"
assert_contains "$(ask_from g tcp 192.0.2.1 8081)" "192.0.2." "port 8081 over IPv4, from the other container"
assert_contains "$(python3 "$TESTS_SUPPORT/whoami.py" ask tcp 2001:db8:1::1 8081)" "2001:db8:1::" "port 8081 over IPv6, from the host"
stop_whoami
cni_err 100 'address 2001:db8:1::50 is already in use' ADD dual3 /run/netns/d eth0 \
  "$(jq -c '.runtimeConfig = {ips: ["2001:db8:1::50"]}' <<<"$dual")"
cni_err 7 'exists with further subnets 2001:db8:1::/64, but the configuration says 2001:db8:2::/64' \
  ADD dual3 /run/netns/d eth0 "$(jq -c '.ipam.ranges[1][0] = {subnet: "2001:db8:2::/64"}' <<<"$dual")"
assert_eq "" "$(ip -n d -o link show eth0 2>/dev/null)" "nothing made by the refused ADDs"

step "dual stack and routes: CHECK names the missing address, default route or route"
cni_ok CHECK dual1 /run/netns/g eth0 "$dual"
ip -n g route del 203.0.113.0/24
cni_err 100 'route to 203.0.113.0/24 via eth0 is missing' CHECK dual1 /run/netns/g eth0 "$dual"
ip -n g route add 203.0.113.0/24 via 192.0.2.254 dev eth0
ip -n g -6 route del default
cni_err 100 'IPv6 default route via eth0 is missing' CHECK dual1 /run/netns/g eth0 "$dual"
ip -n g -6 route add default via 2001:db8:1::1 dev eth0
ip -n g addr del 2001:db8:1::2/64 dev eth0
cni_err 100 'address 2001:db8:1::2 is missing' CHECK dual1 /run/netns/g eth0 "$dual"
ip -n g addr add 2001:db8:1::2/64 dev eth0 nodad
ip -n g -6 route add default via 2001:db8:1::1 dev eth0 2>/dev/null || true
ip -n g -6 route replace 2001:db8:5::/48 via 2001:db8:1::1 dev eth0
cni_ok CHECK dual1 /run/netns/g eth0 "$dual"
cni_ok STATUS "" "" "" "$(jq -c '.cniVersion = "1.1.0"' <<<"$dual")"

step "dual stack: GC, contain gc and DEL release both addresses; the last DEL leaves nothing"
cni_ok GC "" "" "" "$(jq -c '.cniVersion = "1.1.0" | ."cni.dev/valid-attachments" = [{containerID: "dual1", ifname: "eth0"}]' <<<"$dual")"
assert_eq "1" "$(contain network inspect dual --json | jq '.attachments | length')"
assert_not_contains "$(nft list ruleset)" "8081" "forwards of the collected attachment"
contain net create k
cni_ok ADD dual4 /run/netns/k eth0 "$dual"
k_host=$(jq -r '.interfaces[1].name' <<<"$OUT")
k_ips=$(jq -r '[.ips[].address | sub("/.*"; "")] | join(" and ")' <<<"$OUT")
ip link del "$k_host"  # its veth gone behind our back (both ends go)
assert_contains "$(contain gc)" "released addresses $k_ips on network dual" "contain gc"
assert_eq "1" "$(contain network inspect dual --json | jq '.attachments | length')" "after contain gc"
cni_ok ADD dual4 /run/netns/k eth0 "$(jq -c --arg ip "${k_ips#* and }" '.runtimeConfig = {ips: [$ip]}' <<<"$dual")"
assert_eq "${k_ips#* and }/64" "$(jq -r '.ips[1].address' <<<"$OUT")" "the released IPv6 address, taken again"
cni_ok DEL dual4 "" eth0 "$dual"
contain net delete k
cni_ok ADD dual2 /run/netns/h eth0 "$(jq -c '.runtimeConfig = {ips: ["2001:db8:1::50/64"]}' <<<"$dual")"
assert_eq "192.0.2.3/24 2001:db8:1::50/64" "$(jq -r '[.ips[].address] | join(" ")' <<<"$OUT")" "released, taken again"
cni_ok DEL dual2 "" eth0 "$dual"
cni_ok DEL dual1 /run/netns/g eth0 "$dual"
assert_eq "" "$(ip -o link show cn-dual 2>/dev/null)" "bridge"
assert_eq "" "$(find /run/contain -type f -path '*network*' -o -type f -path '*cni*' | xargs)" "records"
assert_not_contains "$(nft list ruleset 2>/dev/null)" "2001:db8:1" "nftables"
assert_eq "" "$(ip -n g -o addr show dev eth0 2>/dev/null)" "eth0 in g"
contain net delete g h

step "1,000 port mappings in one ADD, all removed by its DEL"
contain net create many
maps=$(jq -nc '[range(20000; 21000) | {hostPort: ., containerPort: ., protocol: "tcp"}]')
cni_ok ADD many1 /run/netns/many eth0 "$(conf 1.0.0 "\"runtimeConfig\":{\"portMappings\":$maps}")"
many_ip=$(jq -r '.ips[0].address' <<<"$OUT"); many_ip=${many_ip%/*}
assert_eq "1000" "$(nft list ruleset | grep -oE "tcp \. (2[0-9]{4}) : $many_ip \. 2[0-9]{4}" | sort -u | wc -l)" "forward elements"
assert_eq "1000" "$(find /run/contain/forward -type f | wc -l)" "forward records"
assert_contains "$(nft list ruleset)" "tcp . 20999 : $many_ip . 20999"
cni_ok CHECK many1 /run/netns/many eth0 "$(conf 1.0.0 "\"runtimeConfig\":{\"portMappings\":$maps}")"
cni_ok DEL many1 "" eth0 "$(conf 1.0.0)"
assert_not_contains "$(nft list ruleset 2>/dev/null)" "20999" "nftables after DEL"
assert_eq "0" "$(find /run/contain/forward -type f 2>/dev/null | wc -l)" "forward records after DEL"
contain net delete many

step "a network made by 'contain network create' stays after the last DEL"
contain network create pods --subnet 198.51.100.0/24
cni_ok ADD "$ID1" /run/netns/a eth0 "$(conf 1.0.0)"
cni_ok DEL "$ID1" /run/netns/a eth0 "$(conf 1.0.0)"
assert_contains "$(ip -o link show cn-pods)" "cn-pods"
contain network delete pods
contain net delete a b d
