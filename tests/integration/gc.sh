# contain gc: after a crash, state and kernel are reconciled.
. "$TESTS_SUPPORT/lib.sh"
ATTACH_FD=${ATTACH_FD:?the path of the attach_fd helper}

step "nothing to do on a clean host"
assert_eq "nothing to collect" "$(contain gc)"

step "a namespace removed behind our back leaves a record: gc removes it"
contain net create lost
contain net veth --host lost-h --ns lost --ns-addr 192.0.2.2/24
ip netns del lost        # not through contain: the record stays
[[ -f /run/contain/netns/lost ]] || die "record should still be there"
out=$(contain gc)
echo "$out"
assert_contains "$out" "removed the record of namespace lost"
[[ ! -e /run/contain/netns/lost ]] || die "record left after gc"

step "a veth kept alive by a process in a removed namespace is deleted"
contain net create held
contain net veth --host held-h --ns held
# A process keeps the namespace alive after its name is gone.
mkfifo ready
ip netns exec held sh -c 'echo inside > ready; exec sleep 600' &
holder=$!
read -t 10 line <> ready   # the process is inside before the name goes
ip netns del held
ip link show held-h >/dev/null || die "the host end should still exist while the namespace lives"
out=$(contain gc --json)
echo "$out"
assert_contains "$(jq -r '.removed[]' <<<"$out")" "deleted link held-h"
if ip link show held-h 2>/dev/null; then die "held-h left after gc"; fi
kill $holder
wait $holder 2>/dev/null || true
assert_eq "nothing to collect" "$(contain gc)"

step "a crash leaves records of every kind behind: set up live and doomed objects"
contain network create web --subnet 192.0.2.0/24          # NAT + isolation, owned by the network
contain network create old --subnet 198.51.100.0/24
for ns in live lost plain away; do contain net create $ns; done
assert_eq "192.0.2.2/24" "$(contain network attach web live)"
assert_eq "192.0.2.3/24" "$(contain network attach web lost)"
contain network attach old away
contain forward add --host-port 8080 --to live:80
contain forward add --host-port 8081 --to lost:80
contain shape set --ns live --rate 10mbit --direction both
contain shape set --ns lost --rate 10mbit --direction both
contain net veth --host plain-h --ns plain --host-addr 203.0.113.1/24 --ns-addr 203.0.113.2/24
contain shape set --dev plain-h --rate 10mbit --direction ingress
ifb=cifb$(cat /sys/class/net/plain-h/ifindex)
ip link show "$ifb" >/dev/null || die "the ifb device $ifb should exist"
contain bridge create br0
live_host=$(contain network inspect web --json | jq -r '.attachments[] | select(.namespace=="live") | .host')
away_host=$(contain network inspect old --json | jq -r '.attachments[] | select(.namespace=="away") | .host')
[[ -n "$live_host" && -n "$away_host" ]] || die "host ends of the attachments not found"

step "the kernel objects go behind contain's back"
ip netns del lost        # its attachment, forward and shaping are now stale
ip link del plain-h      # the shaped device: its ifb stays, the record of plain is stale
ip link del cn-old       # the bridge of network old
ip link del br0          # a bridge contain created
# Nothing of anybody else's may be touched: a bridge and a table of the user's.
ip link add usr0 type bridge
nft add table inet mine
[[ -f /run/contain/netns/lost && -f /run/contain/network/old && -f /run/contain/bridge/br0 ]] \
  || die "records should still be there"

step "gc reconciles every kind of record"
out=$(contain gc --json)
echo "$out"
removed=$(jq -r '.removed[]' <<<"$out")
assert_contains "$removed" "removed the record of namespace lost (it no longer exists)"
assert_contains "$removed" "forgot link plain-h of namespace plain (it no longer exists)"
assert_contains "$removed" "released address 192.0.2.3 on network web (namespace lost no longer exists)"
assert_contains "$removed" "deleted link $away_host (its network old is gone)"
assert_contains "$removed" "removed network old (its bridge cn-old was deleted outside contain; 1 attachment(s) released)"
assert_contains "$removed" "removed the record of bridge br0 (it no longer exists)"
assert_contains "$removed" "removed NAT for 198.51.100.0/24 (network old no longer exists)"
assert_contains "$removed" "removed the isolation of cn-old (network old no longer exists)"
assert_contains "$removed" "removed forward 8081/tcp to lost:80 (namespace lost no longer exists)"
assert_contains "$removed" "removed the shaping of netns:lost:eth0 (namespace lost no longer exists)"
assert_contains "$removed" "removed the shaping of dev:plain-h (device plain-h no longer exists)"
assert_contains "$removed" "deleted ifb device $ifb"
assert_not_contains "$removed" "live"
assert_not_contains "$removed" "web (its bridge"

step "the kernel and the store agree"
assert_eq "away live plain" "$(ls /run/contain/netns | xargs)" "namespace records"
assert_eq "[]" "$(jq -c .links /run/contain/netns/plain)" "links recorded for plain"
assert_eq "[]" "$(jq -c .links /run/contain/netns/away)" "links recorded for away"
assert_eq "web" "$(ls /run/contain/network | xargs)" "network records"
[[ ! -e /run/contain/bridge/br0 ]] || die "bridge record left"
assert_eq "live:192.0.2.2/24" \
  "$(contain network inspect web --json | jq -r '.attachments[] | "\(.namespace):\(.address)"' | xargs)"
if ip link show "$away_host" 2>/dev/null; then die "host end $away_host of the removed network left"; fi
assert_eq "" "$(ip -n away -o link show type veth)" "veths left in away"
assert_eq "" "$(ip -o link show type ifb)" "ifb devices"
ruleset=$(nft list ruleset)
assert_contains "$(nft list map inet contain fwd4)" "tcp . 8080 : 192.0.2.2 . 80"
assert_not_contains "$(nft list map inet contain fwd4)" "8081"
assert_not_contains "$ruleset" "198.51.100.0/24"
assert_not_contains "$ruleset" "cn-old"
assert_contains "$ruleset" "192.0.2.0/24"
assert_contains "$ruleset" "cn-web"
assert_contains "$ruleset" "table inet mine"
ip link show usr0 >/dev/null || die "the user's bridge was touched"
assert_eq "tcp-8080" "$(ls /run/contain/forward | xargs)" "forward records"
assert_eq "netns:live:eth0" "$(ls /run/contain/shape | xargs)" "shape records"
assert_eq true "$(contain shape show --ns live --json | jq -r .shaped)"
assert_contains "$(tc qdisc show dev "$live_host")" "qdisc tbf"
assert_contains "$(ip -n live -o link show eth0)" ",UP"
ip netns exec live ping -c1 -w10 192.0.2.1 >/dev/null

step "the released address is handed out again"
contain net create again
assert_eq "192.0.2.3/24" "$(contain network attach web again)"
assert_eq "nothing to collect" "$(contain gc)"

step "our nftables table deleted behind our back is made again from the records"
nft delete table inet contain
out=$(contain gc)
echo "$out"
assert_contains "$out" "made the nftables table inet contain again from our records"
assert_contains "$(nft list map inet contain fwd4)" "tcp . 8080 : 192.0.2.2 . 80"
assert_eq "nothing to collect" "$(contain gc)"

step "an attachment whose interface was deleted (the namespace lives) releases its address"
cut_host=$(contain network inspect web --json | jq -r '.attachments[] | select(.namespace=="again") | .host')
ip link del "$cut_host"
out=$(contain gc)
echo "$out"
assert_contains "$out" "forgot link $cut_host of namespace again (it no longer exists)"
assert_contains "$out" "released address 192.0.2.3 on network web (its interface $cut_host no longer exists)"
assert_eq "192.0.2.3/24" "$(contain network attach web again)" "the address is handed out again"

step "gc waits for the state lock: it never runs beside another command"
mkfifo locked
# The subshell becomes the sleep: killing it releases the lock.
( exec 9</run/contain; flock 9; echo held > locked; exec sleep 600 ) &
locker=$!
read -t 10 line <> locked
rc=0; timeout 1 "$CONTAIN" gc || rc=$?
assert_eq 124 "$rc" "gc while the lock is held"
kill $locker; wait $locker 2>/dev/null || true
assert_eq "nothing to collect" "$(contain gc)"

step "a bridge with our network alias whose record is gone is deleted; one of the user's is not"
ip link add cn-ghost type bridge
ip link set cn-ghost alias contain:network/ghost
out=$(contain gc)
assert_contains "$out" "deleted bridge cn-ghost (its network ghost has no record)"
if ip link show cn-ghost 2>/dev/null; then die "cn-ghost left"; fi
ip link show usr0 >/dev/null || die "the user's bridge was touched"

step "route_localnet set for a forward whose namespace is gone is restored"
contain net create pub
contain net veth --host pub-h --ns pub --host-addr 203.0.113.9/30 --ns-addr 203.0.113.10/30
contain forward add --host-port 9090 --to pub:80
assert_eq 1 "$(cat /proc/sys/net/ipv4/conf/pub-h/route_localnet)" "route_localnet on pub-h"
mkfifo pubready
ip netns exec pub sh -c 'echo inside > pubready; exec sleep 600' &
holder=$!
read -t 10 line <> pubready
ip netns del pub          # pub-h lives on while the holder keeps the namespace
out=$(contain gc)
echo "$out"
assert_contains "$out" "removed forward 9090/tcp to pub:80 (namespace pub no longer exists)"
assert_contains "$out" "deleted link pub-h (its namespace pub no longer exists)"
assert_contains "$out" "removed the route_localnet record of pub-h (the link no longer exists)"
[[ ! -e /run/contain/localnet/pub-h ]] || die "localnet record left"
assert_not_contains "$(nft list map inet contain fwd4)" "9090"
kill $holder; wait $holder 2>/dev/null || true

step "an fd-attached namespace whose owner (a container) has no record: its port goes, its address is free"
mkfifo fdready
unshare --net sh -c 'echo up > fdready; exec sleep 600' &
fdholder=$!
read -t 10 line <> fdready
assert_eq "eth0 192.0.2.4/24" "$("$ATTACH_FD" attach web /proc/$fdholder/ns/net container/ghost)" "fd attach"
assert_eq "lo eth0" "$(links_in_netns_of $fdholder)" "links of the ghost before gc"
ghost_host=$(contain network inspect web --json | jq -r '.attachments[] | select(.owner=="container/ghost") | .host')
out=$(contain gc)
echo "$out"
assert_contains "$out" "deleted link $ghost_host (container ghost no longer exists)"
assert_contains "$out" "released address 192.0.2.4 on network web (container ghost no longer exists)"
assert_eq "lo" "$(links_in_netns_of $fdholder)" "links of the ghost after gc"
kill $fdholder; wait $fdholder 2>/dev/null || true
contain net create reuse
assert_eq "192.0.2.4/24" "$(contain network attach web reuse)" "the ghost's address is handed out again"

step "an exited container's veth is gone and its address free once 'contain run' returns"
contain run --network web --ip 192.0.2.40 -- true
assert_eq "null" "$(jq -c '.releasing' /run/contain/network/web)" "releasing entries after the exit"
assert_eq "web" "$(jq -r '.name // "web"' /run/contain/network/web)" "the network record is readable"
links=$(ip -o link show)
assert_contains "$links" "cn-web" "host links (the observer works)"
assert_not_contains "$links" "contain:container/" "host links after the exit"
assert_eq "nothing to collect" "$(contain gc)" "gc after an ordinary exit"
contain run --network web --ip 192.0.2.40 -- true

step "a container whose namespace something still holds: stop deletes its veth after a bounded wait"
contain run -d --name held --network web -- sleep 600 >/dev/null
held_pid=$(contain ps --json | jq -r '.[] | select(.name=="held") | .pid')
held=$(contain ps --json | jq -r '.[] | select(.name=="held") | .address')
held_host=$(contain network inspect web --json | jq -r '.attachments[] | select(.owner=="container/held") | .host')
mkfifo heldready
nsenter -t "$held_pid" -n sh -c "echo in > $PWD/heldready; exec sleep 600" &
nsholder=$!
read -t 10 _ <> heldready
ip link show "$held_host" >/dev/null || die "the held namespace's veth should exist (observer)"
contain stop --time 0 held
if ip link show "$held_host" 2>/dev/null; then die "$held_host left after stop"; fi
assert_eq "" "$(contain network inspect web --json | jq -r '.attachments[] | select(.owner=="container/held") | .address')" \
  "held's attachment after stop"
assert_eq "nothing to collect" "$(contain gc)" "gc after the stop"
contain net create reuse2
assert_eq "$held/24" "$(contain network attach web reuse2 --ip "$held" 2>&1 || true)" "held's address is free again"
kill $nsholder; wait $nsholder 2>/dev/null || true
contain rm held

step "tear down"
contain forward remove --host-port 8080
contain shape clear --ns live
contain network delete web --force
contain net delete live plain away again reuse reuse2
ip link del usr0
nft delete table inet mine
assert_eq "" "$(find /run/contain -type f ! -name lock)" "records left"
