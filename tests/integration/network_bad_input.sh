# Bad input to bridge and network commands: one line, exit 2, nothing changed.
. "$TESTS_SUPPORT/lib.sh"

contain net create ns1
contain bridge create br0
contain network create web --subnet 192.0.2.0/24
before=$(kernel_state)

step "usage errors"
expect_fail 2 'BR is required' -- contain bridge create
expect_fail 2 '--addr is required' -- contain bridge attach br0 ns1
expect_fail 2 '"192.0.2.9/40" is not a CIDR' -- contain bridge attach br0 ns1 --addr 192.0.2.9/40
expect_fail 2 'address "x" is malformed' -- contain bridge attach br0 ns1 --addr 192.0.2.9/24 --gateway x
expect_fail 2 'interface name "a:b" is invalid' -- contain bridge attach br0 ns1 --addr 192.0.2.9/24 --ifname a:b
expect_fail 2 'namespace name "a b" is invalid' -- contain bridge attach br0 'a b' --addr 192.0.2.9/24
# Anything with a '/' is a path to a namespace file (see "Namespace references").
expect_fail 1 '^contain: a/b: no such file; ' -- contain bridge attach br0 a/b --addr 192.0.2.9/24
expect_fail 2 '--subnet is required' -- contain network create x
expect_fail 2 '"10.0.0.0" is not a CIDR' -- contain network create x --subnet 10.0.0.0
expect_fail 2 'network name "" is invalid' -- contain network inspect ""
expect_fail 2 'interface name "abcdefghijklmnop" is invalid' -- contain network attach web ns1 --ifname abcdefghijklmnop
expect_fail 2 'address 192.0.2.1 is the gateway' -- contain network attach web ns1 --ip 192.0.2.1
expect_fail 2 "unexpected arguments after '--'" -- contain network list -- x

step "operations refused"
expect_fail 1 'network "nope" does not exist' -- contain network inspect nope
expect_fail 1 'network "nope" does not exist' -- contain network delete nope
expect_fail 1 'bridge ghost does not exist' -- contain bridge delete ghost
expect_fail 1 'it belongs to network web' -- contain bridge delete cn-web
expect_fail 1 "belongs to network web; use 'contain network attach web ns1'" -- \
  contain bridge attach cn-web ns1 --addr 192.0.2.9/24
expect_fail 1 'link lo is not a bridge' -- contain bridge attach lo ns1 --addr 192.0.2.9/24
assert_eq "$before" "$(kernel_state)" "kernel state after refused commands"

step "not root: a clear message, nothing changed"
as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all "$@"; }
expect_fail 1 "'contain bridge create' needs root" -- as_nobody "$CONTAIN" bridge create br9
expect_fail 1 "'contain network attach' needs root" -- as_nobody "$CONTAIN" network attach web ns1
assert_eq "$before" "$(kernel_state)" "kernel state after unprivileged commands"

step "--help works on every command"
for cmd in bridge "bridge create" "bridge delete" "bridge list" "bridge attach" network \
    "network create" "network attach" "network detach" "network delete" "network list" "network inspect"; do
  assert_contains "$(contain $cmd --help)" "Usage:" "help of '$cmd'"
done

contain network delete web
contain bridge delete br0
contain net delete ns1
