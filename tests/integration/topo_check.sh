# topo check: probes sent by contain itself catch a broken reach and an
# unexpected reach; IPv6 and TCP expectations; the pingall matrix.
. "$TESTS_SUPPORT/lib.sh"

lab=$(dirname "$0")/../../examples/abc.yml
contain topo up "$lab"

step "the tutorial's expectations hold: four lines and the count"
out=$(contain topo check abc)
echo "$out"
assert_eq 5 "$(wc -l <<<"$out")" "lines"
assert_contains "$out" "PASS A -> B reach 10.0.1.2 answered in"
assert_contains "$out" "PASS B -> C reach 10.0.2.2 answered in"
assert_contains "$out" "PASS C -> B reach 10.0.2.1 answered in"
assert_contains "$out" "PASS A -> C no-reach 10.0.2.2: no route in A"
assert_eq "4 of 4 expectations met" "$(tail -1 <<<"$out")" "count"

step "no ping process: strace sees no child"
strace -f -e trace=execve,clone3,vfork -o trace.log "$CONTAIN" topo check abc >/dev/null
assert_eq 1 "$(grep -c execve trace.log)" "execve calls (contain's own only)"
assert_not_contains "$(cat trace.log)" "ping" "trace"

step "a broken reach is caught: a link set down"
ip -n B link set eth1 down
rc=0; out=$(contain topo check abc --settle 500ms) || rc=$?
echo "$out"
assert_eq 1 "$rc" "exit code"
assert_contains "$out" "FAIL B -> C reach 10.0.2.2: no route in B"
assert_contains "$out" "PASS A -> B reach"
assert_eq "2 of 4 expectations met" "$(tail -1 <<<"$out")" "count"
ip -n B link set eth1 up

step "an unexpected reach is caught: B forwards and A, C have routes"
# The observer first: with B forwarding, ping from A reaches C.
ip netns exec B sh -c 'echo 1 > /proc/sys/net/ipv4/ip_forward'
ip -n A route add 10.0.2.0/24 via 10.0.1.2
ip -n C route add 10.0.1.0/24 via 10.0.2.1
ip netns exec A ping -c1 -w10 10.0.2.2
rc=0; out=$(contain topo check abc) || rc=$?
echo "$out"
assert_eq 1 "$rc" "exit code"
assert_contains "$out" "FAIL A -> C no-reach 10.0.2.2 answered in"
assert_eq "3 of 4 expectations met" "$(tail -1 <<<"$out")" "count"

step "pingall matrix"
out=$(contain topo check abc --all)
echo "$out"
assert_contains "$out" "A -> B C"
assert_contains "$out" "0% dropped (6/6 received)"
ip netns exec B sh -c 'echo 0 > /proc/sys/net/ipv4/ip_forward'
rc=0; out=$(contain topo check abc --all --settle 300ms) || rc=$?
assert_eq 1 "$rc" "pingall exit code with a drop"
assert_contains "$out" "A -> B X"
# B drops what is not for it: the routes alone do not make A reach C.
json=$(contain topo check abc --json --timeout 300ms)
assert_eq 4 "$(jq .passed <<<"$json")" "JSON passed count"
assert_eq '"10.0.2.2: no reply within 300 ms"' "$(jq '.results[3].evidence' <<<"$json")" "JSON evidence"
contain topo down abc

step "IPv6 and TCP expectations, checked right after up"
cat > v6.yml <<'YAML'
name: six
topology:
  nodes: {h1: {}, s1: {kind: bridge}, h2: {}}
  links:
    - endpoints: ["h1:eth0", "s1:p1"]
      ipv6: [2001:db8::1/64, null]
      ipv4: [192.0.2.1/24, null]
    - endpoints: ["h2:eth0", "s1:p2"]
      ipv6: [2001:db8::2/64, null]
      ipv4: [192.0.2.2/24, null]
expect:
  reach: ["h1 -> 2001:db8::2", "h2 -> 2001:db8::1", {from: h1, to: h2, proto: tcp, port: 8080}]
  no-reach: [{from: h2, to: h1, proto: tcp, port: 9}]
YAML
contain topo up v6.yml
serve_whoami h2 tcp 8080
out=$(contain topo check six)
echo "$out"
assert_contains "$out" "PASS h1 -> 2001:db8::2 reach 2001:db8::2 answered in"
assert_contains "$out" "PASS h1 -> h2 tcp/8080 reach"
assert_contains "$out" "accepted tcp/8080"
assert_contains "$out" "PASS h2 -> h1 tcp/9 no-reach"
assert_contains "$out" "refused"
assert_eq "4 of 4 expectations met" "$(tail -1 <<<"$out")" "count"
stop_whoami
contain topo down six
