# Listing commands behave the same for a user without privileges: they read
# the state (world-readable) and the host's links, and show what needs
# privileges as unknown; a container's log is root's only and says so.
. "$TESTS_SUPPORT/lib.sh"

as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all "$@"; }

contain net create app
contain network create web --subnet 198.51.100.0/24
contain network attach web app >/dev/null
contain bridge create br0 --addr 192.0.2.1/24
contain forward add --host-port 8080 --to app:80
contain nat enable --subnet 10.9.0.0/24
# Its stdout is the log file: once it has written to the fifo, "hello" is there.
mkfifo logged
contain run -d --name box -- sh -c "echo hello; echo > $PWD/logged; exec sleep 1000" >/dev/null
read -r -t 10 _ <> logged || die "the container did not start"
rm logged
assert_eq "hello" "$(contain logs box)" "log as root"

step "the same output as root's"
for cmd in "network list" "network list --json" "network inspect web --json" \
  "bridge list" "bridge list --json" "forward list" "forward list --json" "nat list" "nat list --json"; do
  root_out=$(contain $cmd)
  [[ -n $root_out ]] || die "'contain $cmd' printed nothing as root"
  rc=0; user_out=$(as_nobody "$CONTAIN" $cmd 2>&1) || rc=$?
  assert_eq 0 "$rc" "exit code of 'contain $cmd' as nobody ($user_out)"
  assert_eq "$root_out" "$user_out" "'contain $cmd' as nobody"
done

step "net list: namespaces it may not enter have unknown interfaces"
assert_eq "app 2" "$(contain net list --json | jq -r '.[] | "\(.name) \(.interfaces)"')" "as root"
assert_eq "app null" "$(as_nobody "$CONTAIN" net list --json | jq -r '.[] | "\(.name) \(.interfaces)"')" "as nobody"
assert_contains "$(as_nobody "$CONTAIN" net list)" "?" "human output as nobody"

step "containers are per user: root's are not another user's to see (rootless mode)"
assert_contains "$(contain ps)" "box" "root's ps"
assert_eq "[]" "$(as_nobody env XDG_RUNTIME_DIR="$PWD/nobody-run" "$CONTAIN" ps -a --json)" \
  "nobody's ps -a --json"
expect_fail 1 'container "box" does not exist' -- \
  as_nobody env XDG_RUNTIME_DIR="$PWD/nobody-run" "$CONTAIN" logs box
[[ ! -e nobody-run ]] || die "listing made nobody's state folder"

step "changing commands still need root"
expect_fail 1 "'contain network attach' needs root" -- as_nobody "$CONTAIN" network attach web app

contain rm -f box
contain nat disable --subnet 10.9.0.0/24
contain forward remove --host-port 8080
contain bridge delete br0
contain network delete --force web
contain net delete app
