# Crash safety of `contain batch`: a script killed at each system call that
# changes something, then `contain gc`, leaves each of its lines whole or
# absent, and the rest of the script then completes it (see
# tests/support/kill_points.sh, kill_points_batch).
. "$TESTS_SUPPORT/lib.sh"
. "$TESTS_SUPPORT/kill_points.sh"

nothing() { :; }
teardown() {
  contain forward remove --host-port 8080 2>/dev/null || true
  contain nat disable --subnet 10.4.0.0/24 2>/dev/null || true
  contain bridge delete --force br0 2>/dev/null || true
  contain net delete a 2>/dev/null || true
  contain net delete b 2>/dev/null || true
  contain gc >/dev/null
}

cat >star.contain <<'SCRIPT'
# a bridge, two hosts, a forward and NAT
bridge create br0 --addr 10.4.0.1/24
net create a
net create b
bridge attach br0 a --addr 10.4.0.10/24 --gateway 10.4.0.1
bridge attach br0 b --addr 10.4.0.11/24 --gateway 10.4.0.1
forward add --host-port 8080 --to a:80
nat enable --subnet 10.4.0.0/24
SCRIPT

kill_points_batch "batch (star of two)" nothing teardown star.contain
kill_points_summary
