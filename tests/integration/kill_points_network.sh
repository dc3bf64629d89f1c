# Crash safety of managed networks: attach, detach and delete --force, killed at
# each system call that changes something, then `contain gc` (see
# tests/support/kill_points.sh).
. "$TESTS_SUPPORT/lib.sh"
. "$TESTS_SUPPORT/kill_points.sh"

teardown() {
  contain network delete --force web 2>/dev/null || true
  contain net delete ns1 2>/dev/null || true
  contain gc >/dev/null
}
web_ns1() {
  contain network create web --subnet 10.88.0.0/24
  contain net create ns1
}
web_ns1_attached() {
  web_ns1
  contain network attach web ns1
}

kill_points "network attach" web_ns1 teardown -- network attach web ns1
kill_points "network detach" web_ns1_attached teardown -- network detach web ns1
kill_points "network delete --force" web_ns1_attached teardown -- network delete --force web
kill_points_summary
