# A lab with a switch, a container node, a router with a host:IF link and NAT:
# the container's first output shows its interface wired, it reaches the test's
# "internet" through the host's masquerade (the internet sees the host's
# address), and down — or gc after a SIGKILL during up — leaves nothing.
. "$TESTS_SUPPORT/lib.sh"

cat > edge.yml <<'EOF'
name: edge
topology:
  nodes:
    sw: {kind: bridge}
    web:
      kind: container
      command: "ip -o -4 addr show dev eth0; ip route show default; exec sleep 1000"
      env: [GREETING=hello]
      routes: ["default via 10.10.0.1"]
    gw: {forwarding: true, routes: ["default via 10.255.0.1"]}
  links:
    - endpoints: ["web:eth0", "sw:p1"]
      ipv4: [10.10.0.2/24, null]
    - endpoints: ["gw:eth0", "sw:p2"]
      ipv4: [10.10.0.1/24, null]
    - endpoints: ["gw:eth1", "host:edge0"]
      ipv4: [10.255.0.2/30, 10.255.0.1/30]
nat:
  - {subnet: 10.10.0.0/24, via: gw}
expect:
  reach: ["web -> 203.0.113.2", "gw -> 10.255.0.1"]
EOF

make_internet
before=$(kernel_state)

step "up: the container node runs in its namespace, wired before its command starts"
out=$(contain topo up edge.yml)
echo "$out"
[[ $out =~ ^edge:\ 3\ nodes,\ 3\ links\ up\ in\ [0-9]+\ ms$ ]] || die "summary line: [$out]"
ps=$(contain ps)
echo "$ps"
assert_contains "$ps" "edge-web"
# Its first two lines, as they come (logs -f: no sleeping, bounded by read -t).
exec {logs}< <(contain logs -f edge-web)
logs_pid=$!
log=""
for _ in 1 2; do
  IFS= read -r -t 10 -u "$logs" line || die "the container printed nothing within 10 s: [$log]"
  log+="$line"$'\n'
done
kill "$logs_pid" 2>/dev/null || true
exec {logs}<&-
echo "$log"
assert_contains "$log" "inet 10.10.0.2/24" "the container's first output"
assert_contains "$log" "default via 10.10.0.1" "the container's first output"
assert_eq "hello" "$(contain topo exec edge web -- sh -c 'echo $GREETING')" "env in the container"
assert_eq "web" "$(contain topo exec edge web -- hostname)" "the container's hostname"
# Its namespace is the node's: what ip sees in `web` is what the container sees.
assert_contains "$(ip -n web -o addr show dev eth0)" "10.10.0.2/24"

step "the host end: its address, the lab's alias, the NAT route"
assert_contains "$(ip -o addr show dev edge0)" "10.255.0.1/30"
assert_contains "$(ip -d link show dev edge0)" "alias contain:topo/edge"
assert_contains "$(ip route show 10.10.0.0/24)" "via 10.255.0.2 dev edge0"
assert_contains "$(nft list set inet contain nat4)" "10.10.0.0/24"

step "the container reaches the internet, masqueraded behind the host"
seen=$(contain topo exec edge web -- python3 "$TESTS_SUPPORT/whoami.py" ask tcp 203.0.113.2 80)
assert_eq "203.0.113.1" "$seen" "source address the internet sees"
check=$(contain topo check edge)
echo "$check"
assert_contains "$check" "2 of 2 expectations met"

step "down leaves nothing: container, host end, route, NAT, namespaces"
contain topo down edge
assert_eq "" "$(contain ps -a | tail -n +2)" "containers left"
rc=0; ip link show edge0 2>/dev/null || rc=$?
[[ $rc -ne 0 ]] || die "the host end edge0 is left"
ip link show uplink >/dev/null  # the observer works: a link that exists is listed
assert_eq "$before" "$(kernel_state)" "kernel and records after down"

step "a container name taken: refused before anything is made"
contain run -d --name edge-web -- sleep 1000 >/dev/null
state=$(kernel_state)
expect_fail 1 "container name \"edge-web\" is already in use" -- contain topo up edge.yml
assert_eq "$state" "$(kernel_state)" "state after the refusal"
contain rm -f edge-web

step "SIGKILL while up runs the nodes' commands (containers started): gc removes all"
mkfifo started
sed 's/^    gw: {forwarding: true,/    gw: {exec: ["echo up > started; exec sleep 1000"], forwarding: true,/' \
  edge.yml > edge-exec.yml
grep -q 'exec: \["echo up' edge-exec.yml || die "the edited file has no exec"
"$CONTAIN" topo up edge-exec.yml &  # the process itself, not a subshell running it
up_pid=$!
read -r -t 20 line < started || die "the lab's exec did not start"
assert_eq up "$line"
assert_contains "$(contain ps)" "edge-web" "the container before the kill"
kill -KILL "$up_pid"
wait "$up_pid" || true
gc=$(contain gc)
echo "$gc"
assert_contains "$gc" "removed lab edge, left half made"
assert_eq "" "$(contain ps -a | tail -n +2)" "containers left after gc"
# The exec's command outlives the killed `up` (it is not a container: gc does
# not know it) and keeps gw's namespace, and so edge0, alive until it goes.
pkill -x sleep || die "no exec command left to stop (the observer failed)"

wait_until 10 bash -c '! ip link show edge0'
assert_eq "$before" "$(kernel_state)" "kernel and records after gc"

stop_whoami
contain net delete internet
