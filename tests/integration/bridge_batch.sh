# The library batch path: forty namespaces on one bridge in one call, each with
# lo and eth0 up, its address and default route; a refusal rolls back
# everything; one `net delete` removes all of it.
. "$TESTS_SUPPORT/lib.sh"
BATCH_BRIDGE=${BATCH_BRIDGE:?the path of the batch_bridge helper}

contain bridge create br0 --addr 192.0.2.1/24

step "forty namespaces at once"
"$BATCH_BRIDGE" br0 n 40 192.0.2 > ports.txt
assert_eq 40 "$(wc -l < ports.txt)" "ports reported"
assert_eq 40 "$(ip -o link show master br0 | grep -c ',UP')" "ports up on br0"
assert_eq 40 "$(ls /run/netns | grep -c '^n')" "namespaces"
assert_contains "$(ip -n n0 -o link show lo)" ",UP" "lo in n0"
assert_contains "$(ip -n n39 -o addr show dev eth0)" "192.0.2.41/24"
assert_contains "$(ip -n n39 route show default)" "via 192.0.2.1 dev eth0"
assert_contains "$(ip -d link show "$(head -1 ports.txt | cut -d' ' -f1)")" "alias contain:netns/n0"
ip netns exec n0 ping -c1 -w10 192.0.2.41
ip netns exec n39 ping -c1 -w10 192.0.2.2
assert_contains "$(contain bridge list)" "n39:eth0"

step "a refusal half way leaves nothing behind"
before=$(kernel_state)
# m0..m4 are new, but the bridge lacks: nothing may remain of the attempt.
rc=0; "$BATCH_BRIDGE" nobridge m 5 198.51.100 2>err.txt || rc=$?
assert_eq 1 "$rc" "exit code"
assert_contains "$(cat err.txt)" "bridge nobridge does not exist"
# n5 exists: refused before anything is made.
rc=0; "$BATCH_BRIDGE" br0 n 6 198.51.100 2>err.txt || rc=$?
assert_eq 1 "$rc" "exit code"
assert_contains "$(cat err.txt)" 'namespace "n0" already exists'
assert_eq "$before" "$(kernel_state)" "kernel state after refusals"

step "one net delete removes them all; the kernel takes the veths along"
contain net delete $(seq -f 'n%g' 0 39)
assert_eq "" "$(ip -o link show master br0)" "ports left"
contain bridge delete br0
