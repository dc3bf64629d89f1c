# Crash safety of containers on a managed network with a published port: run
# (detached) and rm, killed at each system call of the
# contain process that changes something, then `contain gc` (see
# tests/support/kill_points.sh).
. "$TESTS_SUPPORT/lib.sh"
. "$TESTS_SUPPORT/kill_points.sh"

teardown() {
  contain rm -f box 2>/dev/null || true
  contain network delete --force web 2>/dev/null || true
  contain gc >/dev/null
}
web() { contain network create web --subnet 10.88.0.0/24; }
web_box() {
  web
  contain run -d --name box --network web -p 8080:80 -- sleep 1000
}

kill_points "run --network NAME -p" web teardown -- \
  run -d --name box --network web -p 8080:80 -- sleep 1000
kill_points "rm" web_box teardown -- rm -f box
kill_points_summary
