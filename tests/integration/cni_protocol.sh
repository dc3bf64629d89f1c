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

step "a network made by 'contain network create' stays after the last DEL"
contain network create pods --subnet 198.51.100.0/24
cni_ok ADD "$ID1" /run/netns/a eth0 "$(conf 1.0.0)"
cni_ok DEL "$ID1" /run/netns/a eth0 "$(conf 1.0.0)"
assert_contains "$(ip -o link show cn-pods)" "cn-pods"
contain network delete pods
contain net delete a b d
