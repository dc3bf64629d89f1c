# Shaping that would collide is refused, `shape show` says what the kernel
# holds, and a redirect the kernel refuses leaves no ingress qdisc behind.
. "$TESTS_SUPPORT/lib.sh"

contain net create app
contain net veth --host app-h --ns app --host-addr 192.0.2.1/24 --ns-addr 192.0.2.2/24

step "--dev on the host end of a namespace shaped with --ns is refused"
contain shape set --ns app --rate 10mbit --direction ingress   # a root tbf on app-h
qdiscs_before=$(tc qdisc show dev app-h)
assert_contains "$qdiscs_before" "tbf" "qdisc of app-h"
before=$(kernel_state)
expect_fail 1 'app-h \(host\) already carries the ingress shaping of --ns app --ifname veth0' -- \
  contain shape set --dev app-h --rate 1mbit
expect_fail 1 'already carries the ingress shaping of --ns app' -- \
  contain shape set --dev app-h --rate 1mbit --direction both
assert_eq "$before" "$(kernel_state)" "kernel state after the refusals"
assert_eq "$qdiscs_before" "$(tc qdisc show dev app-h)" "qdisc of app-h after the refusals"
# Its ingress side is free: a device's ingress goes through an ifb of its own.
contain shape set --dev app-h --rate 5mbit --direction ingress
contain shape clear --dev app-h

step "shape show reports the rate the kernel holds"
json=$(contain shape show --ns app --json)
assert_eq "10000000 true" "$(jq -r '"\(.devices[0].kernel_rate_bps) \(.in_sync)"' <<<"$json")" "in sync"
tc qdisc replace dev app-h root tbf rate 2mbit burst 32kb latency 50ms   # behind contain's back
json=$(contain shape show --ns app --json)
assert_eq "2000000 false" "$(jq -r '"\(.devices[0].kernel_rate_bps) \(.in_sync)"' <<<"$json")" "changed outside"
human=$(contain shape show --ns app)
echo "$human"
assert_contains "$human" "rate 2mbit" "human output"
assert_contains "$human" "warning: the kernel does not hold the rate set with contain" "human output"
contain shape clear --ns app

step "a refused redirect filter leaves no ingress qdisc on the device"
# Which request is the filter: the n-th sendmsg of an identical, successful run.
strace -f -qq -e trace=sendmsg -o trace.txt "$CONTAIN" shape set --dev app-h --rate 10mbit --direction ingress
contain shape clear --dev app-h
n=$(grep -n 'sendmsg(' trace.txt | grep -m1 'RTM_NEWTFILTER' | cut -d: -f1)
[[ $n =~ ^[0-9]+$ ]] || die "no RTM_NEWTFILTER request in the trace: $(head -c 2000 trace.txt)"
n=$(head -n "$n" trace.txt | grep -c 'sendmsg(')
before=$(kernel_state)
rc=0
strace -f -qq -o /dev/null -e trace=sendmsg -e inject=sendmsg:error=EPERM:when="$n" \
  "$CONTAIN" shape set --dev app-h --rate 10mbit --direction ingress 2>err.txt || rc=$?
cat err.txt
assert_eq 1 "$rc" "exit code when the filter is refused"
assert_contains "$(cat err.txt)" "redirect ingress of link" "the error names the step"
assert_eq "" "$(tc qdisc show dev app-h ingress)" "ingress qdisc left on app-h"
assert_eq "" "$(ip -o link show type ifb)" "ifb devices left"
assert_eq "$before" "$(kernel_state)" "kernel state after the rollback"
rm trace.txt err.txt

contain net delete app
