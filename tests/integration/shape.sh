# Traffic shaping: accurate limits in each direction, show, clear, ifb for host
# devices, netem refused cleanly on this kernel, bad input refused.
. "$TESTS_SUPPORT/lib.sh"

contain net create app
contain net veth --host app-h --ns app --host-addr 192.0.2.1/24 --ns-addr 192.0.2.2/24

# Goodput in Mbit/s measured by the receiver over its one-second intervals,
# after one omitted second (-O 1: slow start). The client always receives
# (-R), so its intervals are the receiver's:
#   up:   from the namespace to the host (leaving the namespace: its egress)
#   down: from the host into the namespace (its ingress)
# Goodput is the median of the measured one-second intervals: a reader delayed
# at the start (or by a busy CPU) reads bytes queued earlier in a later second,
# which skews a plain average (1.5 MB seen in one second at 10 mbit).
# Shaped runs measure 5 s, unshaped 2 s.
goodput='[.intervals[] | select(.sum.omitted | not) | .sum.bytes * 8 / .sum.seconds] | sort | .[length / 2 | floor] / 1e6'
# Both iperf3 run at nice -15, so that other load does not starve the sender
# (see topo_shape.sh).
up() {  # [SECONDS]
  start_ready "listening" timeout 30 nice -n -15 "$CONTAIN" net exec app iperf3 -s -1 -B 192.0.2.2 --forceflush
  nice -n -15 iperf3 -c 192.0.2.2 -t "${1:-5}" -O 1 -R -J --connect-timeout 3000 | jq "$goodput"
  wait $SERVER_PID
}
down() {  # [SECONDS]
  start_ready "listening" timeout 30 nice -n -15 iperf3 -s -1 -B 192.0.2.1 --forceflush
  nice -n -15 "$CONTAIN" net exec app iperf3 -c 192.0.2.1 -t "${1:-5}" -O 1 -R -J --connect-timeout 3000 | jq "$goodput"
  wait $SERVER_PID
}
within() {  # value low high what
  awk -v v="$1" -v lo="$2" -v hi="$3" 'BEGIN { exit !(v >= lo && v <= hi) }' ||
    die "$4: $1 Mbit/s is not within [$2, $3]"
  echo "$4: $1 Mbit/s (within [$2, $3])"
}

step "both directions at 10 mbit: goodput within 93-102 % of the rate each way"
contain shape set --ns app --rate 10mbit --direction both
within "$(up)" 9.3 10.2 "egress of the namespace"
within "$(down)" 9.3 10.2 "ingress of the namespace"

step "the kernel holds a tbf on each end, and show answers in the user's units"
assert_contains "$(ip netns exec app tc qdisc show dev veth0)" "qdisc tbf" "namespace end"
assert_contains "$(tc qdisc show dev app-h)" "qdisc tbf" "host end"
assert_contains "$(tc qdisc show dev app-h)" "rate 10Mbit" "tc's view of the rate"
json=$(contain shape show --ns app --json)
echo "$json"
assert_eq "10mbit" "$(jq -r .rate <<<"$json")" "rate as given"
assert_eq "both" "$(jq -r .direction <<<"$json")"
assert_eq 10000000 "$(jq -r .rate_bps <<<"$json")"
assert_contains "$(contain shape show --ns app)" "rate 10mbit"

step "egress only: the other direction is not limited"
contain shape set --ns app --rate 10mbit
within "$(up)" 9.3 10.2 "egress"
within "$(down 2)" 50 100000 "unshaped ingress"
assert_not_contains "$(tc qdisc show dev app-h)" "tbf" "host end after switching to egress only"

step "ingress only, with a burst and latency of the user's choosing"
contain shape set --ns app --rate 20mbit --direction ingress --burst 32kb --latency 40ms
within "$(down)" 17 20.4 "ingress at 20 mbit"
assert_contains "$(tc qdisc show dev app-h)" "burst 32Kb" "tc's view of the burst"
assert_eq "32kb" "$(contain shape show --ns app --json | jq -r .burst)" "burst as given"

step "clear restores full speed"
contain shape clear --ns app
within "$(up 2)" 50 100000 "egress after clear"
within "$(down 2)" 50 100000 "ingress after clear"
assert_not_contains "$(ip netns exec app tc qdisc show dev veth0)" "tbf"
assert_eq false "$(contain shape show --ns app --json | jq -r .shaped)"
expect_fail 1 'is not shaped' -- contain shape clear --ns app

step "a host device's ingress goes through an ifb device"
contain shape set --dev app-h --rate 10mbit --direction ingress
ifb=$(ip -o link show type ifb | awk -F': ' '{print $2}')
[[ -n $ifb ]] || die "no ifb device"
assert_contains "$(tc qdisc show dev app-h)" "qdisc ingress" "ingress qdisc on app-h"
assert_contains "$(tc filter show dev app-h parent ffff:)" "mirred" "redirect filter"
assert_contains "$(tc qdisc show dev "$ifb")" "qdisc tbf"
within "$(up)" 9.3 10.2 "traffic entering app-h"

step "delay, jitter and loss need netem, which this kernel lacks: refused, nothing changed"
before=$(kernel_state)
expect_fail 1 'this kernel has no netem qdisc' -- contain shape set --ns app --rate 10mbit --delay 20ms
expect_fail 1 'this kernel has no netem qdisc' -- contain shape set --ns app --rate 10mbit --loss 1%
assert_eq "$before" "$(kernel_state)" "kernel state after the netem refusal"

step "bad input is refused before anything changes"
expect_fail 2 'rate "fast" is invalid' -- contain shape set --ns app --rate fast
expect_fail 2 'rate "0" is invalid: it must be more than zero' -- contain shape set --ns app --rate 0
expect_fail 2 'rate "-1mbit" is invalid' -- contain shape set --ns app --rate -1mbit
expect_fail 2 'rate "17gbit" is invalid: it is too large' -- contain shape set --ns app --rate 17gbit
expect_fail 2 'burst 100b is smaller than one full frame' -- contain shape set --ns app --rate 1mbit --burst 100b
expect_fail 2 'time "soon" is invalid' -- contain shape set --ns app --rate 1mbit --latency soon
expect_fail 2 'direction' -- contain shape set --ns app --rate 1mbit --direction sideways
expect_fail 2 'exactly one of --ns NS or --dev IF' -- contain shape set --rate 1mbit
expect_fail 2 'excludes' -- contain shape set --ns app --dev app-h --rate 1mbit
expect_fail 2 '--jitter needs --delay' -- contain shape set --ns app --rate 1mbit --jitter 5ms
expect_fail 1 'namespace "ghost" does not exist' -- contain shape set --ns ghost --rate 1mbit
contain net veth --host app-h2 --ns app --peer eth1
before=$(kernel_state)
expect_fail 2 'several interfaces made by contain; choose one with --ifname \(veth0, eth1\)' -- \
  contain shape set --ns app --rate 1mbit
expect_fail 2 'lo is not an interface contain manages' -- contain shape set --ns app --ifname lo --rate 1mbit
assert_eq "$before" "$(kernel_state)" "kernel state after refusals"

step "deleting the namespace removes its shaping, the ifb device included"
contain shape set --ns app --ifname eth1 --rate 5mbit --direction both
contain net delete app
assert_eq "" "$(ip -o link show type ifb)" "ifb devices left"
assert_eq "" "$(ls /run/contain/shape 2>/dev/null)" "shaping records left"
