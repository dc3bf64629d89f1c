# Bad input: one clear line, the right exit code, nothing changed.
. "$TESTS_SUPPORT/lib.sh"

contain net create good
before=$(kernel_state)

step "namespace names"
expect_fail 2 'namespace name "" is invalid: it is empty' -- contain net create ""
expect_fail 2 'namespace name "\." is invalid' -- contain net create .
expect_fail 2 'namespace name "\.\." is invalid' -- contain net create ..
expect_fail 2 "contains '/'" -- contain net create a/b
expect_fail 2 "contains '/'" -- contain net create ../etc
expect_fail 2 'white space' -- contain net create "a b"
expect_fail 2 '"pid:" and "container:" begin namespace references' -- contain net create pid:1
expect_fail 2 '"pid:" and "container:" begin namespace references' -- contain net create container:x
expect_fail 2 'is 256 bytes long, the limit is 255' -- contain net create "$(printf 'x%.0s' {1..256})"
expect_fail 2 'net delete a/b: only named namespaces' -- contain net delete good a/b
expect_fail 2 'net delete pid:1: only named namespaces' -- contain net delete good pid:1

step "interface names"
expect_fail 2 'interface name "abcdefghijklmnop" is invalid: it is 16 bytes' -- \
  contain net veth --host abcdefghijklmnop --ns good
expect_fail 2 "interface name \"a:b\" is invalid: it contains ':'" -- contain net veth --host a:b --ns good
expect_fail 2 "interface name \"a/b\" is invalid" -- contain net veth --host h --ns good --peer a/b
expect_fail 2 'interface name "a b" is invalid: it contains white space' -- \
  contain net veth --host "a b" --ns good

step "addresses"
expect_fail 2 '"10.0.0.1/33" is not a CIDR: the prefix length must be 0 to 32' -- \
  contain net veth --host h --ns good --host-addr 10.0.0.1/33
expect_fail 2 '"10.0.0.300/24" is not a CIDR' -- contain net veth --host h --ns good --ns-addr 10.0.0.300/24
expect_fail 2 '"10.0.0.1" is not a CIDR: add a prefix length' -- \
  contain net veth --host h --ns good --ns-addr 10.0.0.1
expect_fail 2 '"2001:db8::1/129" is not a CIDR' -- contain net veth --host h --ns good --ns-addr 2001:db8::1/129
expect_fail 2 '"fast" is not a CIDR' -- contain net veth --host h --ns good --ns-addr fast

step "usage errors"
expect_fail 2 'NAME is required' -- contain net create
expect_fail 2 '--host is required' -- contain net veth --ns good
expect_fail 2 '' -- contain net frobnicate
expect_fail 2 "unexpected arguments after '--'" -- contain net list -- x

step "unknown namespaces"
expect_fail 1 'namespace "ghost" does not exist' -- contain net show ghost
expect_fail 1 'namespace "ghost".* does not exist' -- contain net delete good ghost
assert_eq "$before" "$(kernel_state)" "kernel state after refused commands"

step "not root: a clear message, exit 1, nothing changed"
as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all "$@"; }
expect_fail 1 "'contain net create' needs root" -- as_nobody "$CONTAIN" net create other
expect_fail 1 "'contain net delete' needs root" -- as_nobody "$CONTAIN" net delete good
expect_fail 1 "needs root" -- as_nobody "$CONTAIN" net veth --host h1 --ns good
assert_eq "$before" "$(kernel_state)" "kernel state after unprivileged commands"

step "--help works on every command"
for cmd in "" "net" "net create" "net delete" "net list" "net show" "net exec" "net veth"; do
  out=$(contain $cmd --help)
  assert_contains "$out" "Usage:" "help of '$cmd'"
done
contain net delete good
