# The tutorial lab A-B-C from one file: addresses, pings checked with
# `ip netns exec ... ping`, B not forwarding, up twice, down leaving nothing.
. "$TESTS_SUPPORT/lib.sh"

lab=$(dirname "$0")/../../examples/abc.yml
host_before=$(ip -o link show; ip -o addr show; ip route show; cat /proc/sys/net/ipv4/ip_forward)

step "up: one summary line"
out=$(contain topo up "$lab")
echo "$out"
[[ $out =~ ^abc:\ 3\ nodes,\ 2\ links\ up\ in\ [0-9]+\ ms$ ]] || die "summary line: [$out]"
assert_eq "A
B
C" "$(ip netns list | awk '{print $1}' | sort)" "namespaces"

step "addresses where the file puts them"
assert_contains "$(ip -n A -o addr show dev eth0)" "10.0.1.1/24"
assert_contains "$(ip -n B -o addr show dev eth0)" "10.0.1.2/24"
assert_contains "$(ip -n B -o addr show dev eth1)" "10.0.2.1/24"
assert_contains "$(ip -n C -o addr show dev eth0)" "10.0.2.2/24"
assert_contains "$(ip -n A -o link show eth0)" "state UP"
assert_contains "$(ip -n B -o link show eth0)" "state UP"

step "pings, independently of contain"
ip netns exec A ping -c1 -w10 10.0.1.2
ip netns exec B ping -c1 -w10 10.0.2.2
ip netns exec C ping -c1 -w10 10.0.2.1
# A has no route to C's subnet: the kernel refuses to send (the observer works:
# the same ping reaches B above).
rc=0; out=$(ip netns exec A ping -c1 -W1 10.0.2.2 2>&1) || rc=$?
[[ $rc -ne 0 ]] || die "A reached C: $out"
assert_contains "$out" "unreachable" "A's ping to C"
# Even with a route, B does not forward.
assert_eq 0 "$(ip netns exec B cat /proc/sys/net/ipv4/ip_forward)" "B's ip_forward"
ip -n A route add 10.0.2.0/24 via 10.0.1.2
ip -n C route add 10.0.1.0/24 via 10.0.2.1
rc=0; ip netns exec A ping -c1 -W1 10.0.2.2 || rc=$?
[[ $rc -ne 0 ]] || die "A reached C through B, which must not forward"
ip -n A route del 10.0.2.0/24
ip -n C route del 10.0.1.0/24

step "the host namespace is unchanged"
assert_eq "$host_before" "$(ip -o link show; ip -o addr show; ip route show; cat /proc/sys/net/ipv4/ip_forward)" "host"

step "up again from the same file: already up; from an edited file: refused"
assert_eq "abc: already up" "$(contain topo up "$lab")"
sed 's/10.0.2.2/10.0.2.3/' "$lab" > edited.yml
before=$(kernel_state)
expect_fail 1 'bring lab abc up: a lab of that name is already up, made differently, .*run .contain topo down abc. first' -- contain topo up edited.yml
assert_eq "$before" "$(kernel_state)" "state after the refusal"

step "list, show, exec"
assert_contains "$(contain topo list)" "abc"
assert_eq 3 "$(contain topo list --json | jq '.[0].namespaces')" "nodes listed"
show=$(contain topo show abc)
echo "$show"
assert_contains "$show" "no drift"
assert_contains "$(contain topo exec abc B -- ip -o addr show dev eth1)" "10.0.2.1/24"
ip -n B link set eth1 down
assert_contains "$(contain topo show abc)" "drift: B:eth1 is down (the file says up)"
assert_eq '"B:eth1 is down (the file says up)"' "$(contain topo show abc --json | jq -c '.drift[0]')" "drift as JSON"
ip -n B link set eth1 up

step "graph: SVG (valid XML naming every node), DOT and Mermaid; link state in colour"
contain topo graph abc -o abc.svg
python3 - abc.svg <<'PY'
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
titles = {t.text for t in root.iter('{http://www.w3.org/2000/svg}title')}
missing = {'A', 'B', 'C'} - titles
assert not missing, f"nodes missing from the SVG: {missing} (titles: {titles})"
PY
dot=$(contain topo graph abc --format dot)
assert_contains "$dot" '"A" -- "B" [taillabel="eth0\n10.0.1.1/24", headlabel="eth0\n10.0.1.2/24", color="#16a34a"'
ip -n C link set eth0 down
assert_contains "$(contain topo graph abc --format dot)" 'color="#16a34a"' "B-C drawn from B's end, which is up"
ip -n B link set eth1 down
assert_contains "$(contain topo graph abc --format mermaid)" "linkStyle 1 stroke:#dc2626"
ip -n B link set eth1 up; ip -n C link set eth0 up
# The last check's results: arrows between the nodes, green when met, red when not.
assert_not_contains "$(contain topo graph abc --format dot)" "dir=forward" "before any check"
contain topo check abc
dot=$(contain topo graph abc --format dot)
assert_contains "$dot" '"A" -- "C" [dir=forward, style=dotted, constraint=false, color="#16a34a", fontcolor="#16a34a", label="no-reach PASS"]'
assert_contains "$dot" '"B" -- "C" [dir=forward, style=dotted, constraint=false, color="#16a34a", fontcolor="#16a34a", label="reach PASS"]'
ip -n C link set eth0 down
rc=0; contain topo check abc --settle 300ms || rc=$?
assert_eq 1 "$rc" "check with C's link down"
dot=$(contain topo graph abc --format dot)
assert_contains "$dot" '"B" -- "C" [dir=forward, style=dotted, constraint=false, color="#dc2626", fontcolor="#dc2626", label="reach FAIL"]'
assert_contains "$(contain topo graph abc --format mermaid)" '-.->|"reach FAIL"|'
ip -n C link set eth0 up
# A file that is not up is drawn plainly.
sed 's/^name: abc/name: other/' "$lab" > other.yml
plain=$(contain topo graph other.yml --format dot)
assert_contains "$plain" '"A" -- "B" [taillabel="eth0\n10.0.1.1/24", headlabel="eth0\n10.0.1.2/24"];'

step "down from the edited file: the record decides; nothing is left"
contain topo down edited.yml
assert_eq "" "$(ip netns list)" "namespaces after down"
assert_eq "" "$(find /run/contain -type f)" "records after down"
assert_eq "$host_before" "$(ip -o link show; ip -o addr show; ip route show; cat /proc/sys/net/ipv4/ip_forward)" "host after down"
expect_fail 1 "no lab of that name is up" -- contain topo down abc
