# Crash safety of the namespace, link, forwarding, NAT and shaping commands:
# killed at each system call that changes something, `contain gc` leaves the
# state as before or as after the command, never half of it (see
# tests/support/kill_points.sh).
. "$TESTS_SUPPORT/lib.sh"
. "$TESTS_SUPPORT/kill_points.sh"

nothing() { :; }
teardown() {
  contain shape clear --ns ns1 2>/dev/null || true
  contain forward remove --host-port 8080 2>/dev/null || true
  contain nat disable --subnet 10.1.0.0/24 2>/dev/null || true
  contain bridge delete --force br0 2>/dev/null || contain bridge delete br0 2>/dev/null || true
  contain net delete ns1 2>/dev/null || true
  contain gc >/dev/null
}
ns1() { contain net create ns1; }
ns1_veth() {
  contain net create ns1
  contain net veth --host vh1 --ns ns1 --host-addr 10.1.0.1/24 --ns-addr 10.1.0.2/24
}
ns1_br0() {
  contain net create ns1
  contain bridge create br0 --addr 10.2.0.1/24
}

kill_points "net create" nothing teardown -- net create ns1
kill_points "bridge create" nothing teardown -- bridge create br0 --addr 10.2.0.1/24
kill_points "net veth" ns1 teardown -- \
  net veth --host vh1 --ns ns1 --host-addr 10.1.0.1/24 --ns-addr 10.1.0.2/24
kill_points "bridge attach" ns1_br0 teardown -- \
  bridge attach br0 ns1 --addr 10.2.0.2/24 --gateway 10.2.0.1
kill_points "forward add" ns1_veth teardown -- forward add --host-port 8080 --to ns1:80
kill_points "nat enable" nothing teardown -- nat enable --subnet 10.1.0.0/24
kill_points "shape set --direction both" ns1_veth teardown -- \
  shape set --ns ns1 --rate 10mbit --direction both
kill_points_summary
