# Every namespace a user has is addressable: pid:PID, a path to a namespace
# file and container:NAME wherever a command takes a namespace. Records know
# such namespaces by identity; gc releases what was made for them once they go.
. "$TESTS_SUPPORT/lib.sh"

# start_netns_shell: an `unshare --net` shell in the background, as the
# tutorials start them; returns once it has said it is ready. Sets SHELL_PID.
start_netns_shell() {
  local fifo line=""
  fifo=$(mktemp -u)
  mkfifo "$fifo"
  unshare --net sh -c 'echo ready; exec sleep 1000' >"$fifo" &
  SHELL_PID=$!
  read -r -t 10 line <>"$fifo" || true
  rm -f "$fifo"
  [[ $line == ready ]] || die "the unshare shell did not start"
}
stop_shell() { kill "$1"; wait "$1" 2>/dev/null || true; }
records() { ls /run/contain/netns-id 2>/dev/null | xargs; }
host_links() { ip -o link show | awk -F': ' '{print $2}' | cut -d@ -f1 | xargs; }
id_of() { stat -L -c '%d:%i' "/proc/$1/ns/net"; }

step "the tutorial: two unshare --net shells wired by PID to br0 ping each other"
start_netns_shell; P1=$SHELL_PID
start_netns_shell; P2=$SHELL_PID
contain bridge create br0
contain bridge attach br0 pid:$P1 --addr 10.10.0.1/24
contain bridge attach br0 pid:$P2 --addr 10.10.0.2/24
nsenter -t $P1 -n ping -c1 -w10 10.10.0.2
nsenter -t $P2 -n ping -c1 -w10 10.10.0.1
assert_contains "$(nsenter -t $P1 -n ip -o addr show dev eth0)" "10.10.0.1/24"
ports=$(contain bridge list --json | jq -r '.[] | select(.name=="br0") | .ports[] | "\(.namespace):\(.interface)"' | sort | xargs)
assert_eq "$(printf '%s\n' "pid:$P1:eth0" "pid:$P2:eth0" | sort | xargs)" "$ports" "br0 ports"
assert_eq "$(printf '%s\n' "$(id_of $P1)" "$(id_of $P2)" | sort | xargs)" "$(records)" "records by identity"

step "net show and net exec by pid"
assert_eq "10.10.0.1/24" "$(contain net show pid:$P1 --json | jq -r '.links[] | select(.name=="eth0") | .addresses[] | select(.family=="inet") | .address')"
assert_contains "$(contain net exec pid:$P2 -- ip -o -4 addr show dev eth0)" "10.10.0.2/24"

step "the same namespace by its path is the same record"
contain bridge attach br0 /proc/$P1/ns/net --addr 10.10.0.11/24 --ifname eth1
assert_eq 2 "$(ls /run/contain/netns-id | wc -l)" "records after attaching by path"
assert_eq 2 "$(jq '.links | length' /run/contain/netns-id/$(id_of $P1))" "links of the first shell"
nsenter -t $P2 -n ping -c1 -w10 10.10.0.11

step "a bind mount elsewhere (another tool's netns folder) keeps a namespace and names it"
start_netns_shell; P3=$SHELL_PID
mkdir -p other-tool/netns
touch other-tool/netns/ns3
mount --bind /proc/$P3/ns/net other-tool/netns/ns3
contain bridge attach br0 "$PWD/other-tool/netns/ns3" --addr 10.10.0.3/24
nsenter -t $P1 -n ping -c1 -w10 10.10.0.3
id3=$(id_of $P3)
stop_shell $P3
out=$(contain gc)
assert_not_contains "$out" "$id3" "gc while the bind mount holds the namespace"
[[ -f /run/contain/netns-id/$id3 ]] || die "the record of the bind-mounted namespace went while it lived"
nsenter --net="$PWD/other-tool/netns/ns3" ping -c1 -w10 10.10.0.1
umount other-tool/netns/ns3
host_end=$(jq -r '.links[0].name' /run/contain/netns-id/$id3)
out=$(contain gc)
assert_contains "$out" "removed the record of namespace $PWD/other-tool/netns/ns3 ($id3)" "gc after the unmount"
[[ ! -e /run/contain/netns-id/$id3 ]] || die "record left after gc"
links=$(host_links)
assert_contains "$links" "br0" "host links (the observer sees the bridge)"
assert_not_contains "$links" "$host_end" "host links after gc"

step "net veth --ns pid:, shaping and a forward by pid"
contain net veth --host v-p2 --ns pid:$P2 --host-addr 198.51.100.1/30 --ns-addr 198.51.100.2/30
ping -c1 -w10 198.51.100.2
assert_eq "contain:nsid/$(id_of $P2)" "$(ip -o link show v-p2 | grep -o 'alias .*' | cut -d' ' -f2)" "alias of the host end"
contain shape set --ns pid:$P2 --ifname veth0 --rate 10mbit
assert_contains "$(nsenter -t $P2 -n tc qdisc show dev veth0)" "qdisc tbf" "tbf inside"
assert_contains "$(contain shape show --ns /proc/$P2/ns/net --ifname veth0)" "rate 10mbit" "shape show by path"
contain shape clear --ns pid:$P2 --ifname veth0
assert_not_contains "$(nsenter -t $P2 -n tc qdisc show dev veth0)" "tbf" "after clear"
contain forward add --host-port 8080 --to pid:$P2:80
assert_eq "pid:$P2:80 10.10.0.2:80" "$(contain forward list --json | jq -r '.[] | "\(.to) \(.targets[0])"')" "forward (to the first managed address, on br0)"
out=$(contain run --network netns:pid:$P2 -- ip -o -4 addr show dev veth0)
assert_contains "$out" "198.51.100.2/30" "run --network netns:pid:"

step "bad references: one line each, nothing changed"
sh -c 'exit 0' & dead=$!; wait $dead
before=$(kernel_state)
expect_fail 1 "^contain: pid:$dead: no such process; " -- contain bridge attach br0 pid:$dead --addr 10.10.0.9/24
touch plain
expect_fail 1 '^contain: \./plain: it is not a namespace file; ' -- contain net show ./plain
expect_fail 1 "^contain: /proc/$P1/ns/mnt: it is a mnt namespace, not a network namespace; " -- contain net exec /proc/$P1/ns/mnt -- true
expect_fail 1 '^contain: \./missing: no such file; ' -- contain shape set --ns ./missing --rate 1mbit
expect_fail 1 '^contain: container:nope: no such container' -- contain net veth --host v-x --ns container:nope
expect_fail 2 'namespace "pid:abc" is invalid' -- contain bridge attach br0 pid:abc --addr 10.10.0.9/24
expect_fail 2 'namespace "pid:0" is invalid' -- contain forward add --host-port 81 --to pid:0:80
assert_eq "$before" "$(kernel_state)" "kernel state after the refusals"

step "the shells exit: their namespaces go, gc releases what was made for them"
idp1=$(id_of $P1); idp2=$(id_of $P2)
stop_shell $P1
stop_shell $P2
out=$(contain gc)
assert_contains "$out" "removed the record of namespace pid:$P1 ($idp1)"
assert_contains "$out" "removed the record of namespace pid:$P2 ($idp2)"
assert_contains "$out" "removed forward 8080/tcp" "forward into the gone namespace"
assert_eq "" "$(records)" "records after gc"
assert_eq "" "$(contain forward list --json | jq -r '.[]')" "forwards after gc"
contain bridge delete br0

step "a detached container wired to a second network afterwards, by its name"
contain network create net1 --subnet 192.0.2.0/24 --no-nat
contain network create net2 --subnet 203.0.113.0/24 --no-nat
contain run -d --name db --network net1 -- sleep 1000 >/dev/null
assert_eq "203.0.113.2/24" "$(contain network attach net2 container:db)" "address on net2"
pid=$(contain ps --json | jq -r '.[] | select(.name=="db") | .pid')
assert_contains "$(nsenter -t $pid -n ip -o -4 addr show)" "inet 203.0.113.2/24" "second interface inside"
nsenter -t $pid -n ping -c1 -w10 203.0.113.1
assert_eq "net1=192.0.2.2 net2=203.0.113.2" \
  "$(contain ps --json | jq -r '.[] | select(.name=="db") | .networks[] | "\(.network)=\(.address)"' | xargs)" "ps --json networks"
assert_contains "$(contain ps)" "net1,net2" "ps networks"
assert_eq "container/db container:db" "$(contain network inspect net2 --json | jq -r '.attachments[] | "\(.owner) \(.ref)"')" "inspect net2"
expect_fail 1 'already attached' -- contain network attach net2 container:db
contain rm -f db
assert_eq "0 0" "$(contain network inspect net1 --json | jq '.attachments | length') $(contain network inspect net2 --json | jq '.attachments | length')" "attachments after rm"
assert_eq "" "$(records)" "records after rm"
expect_fail 1 '^contain: container:db: no such container' -- contain network attach net2 container:db
contain network delete net1
contain network delete net2
