# The README's first command ends with scripts/demo: it must keep working and
# leave nothing behind (it checks that itself; assert-clean checks again).
. "$TESTS_SUPPORT/lib.sh"
out=$(bash "$TESTS_SUPPORT/../../scripts/demo" 2>&1) || die "scripts/demo failed: $out"
assert_contains "$out" "2 received" "ping across the veth"
assert_eq 2 "$(grep -c 'hello from the container web' <<<"$out")" \
  "web answered the client container and the host's localhost"
assert_contains "$out" "Nothing left behind."
