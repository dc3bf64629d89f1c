# Interface names reach nftables as string literals: a name nft cannot write
# ('"') is refused at the edge, one it can ('\') works, white space is refused
# as for every interface name. Nothing changes on a refusal.
. "$TESTS_SUPPORT/lib.sh"

before=$(kernel_state)
step "refused before anything changes"
expect_fail 2 '^contain: --out "a\\"b": nftables cannot match an interface name containing' -- \
  contain nat enable --subnet 10.9.0.0/24 --out 'a"b'
expect_fail 2 'interface name "a b" is invalid: it contains white space' -- \
  contain nat enable --subnet 10.9.0.0/24 --out 'a b'
expect_fail 2 'interface name " eth0" is invalid: it contains white space' -- \
  contain nat enable --subnet 10.9.0.0/24 --out ' eth0'
assert_eq "$before" "$(kernel_state)" "kernel state after the refusals"

step "a backslash stands for itself"
contain nat enable --subnet 10.9.0.0/24 --out 'a\b'
assert_contains "$(nft list set inet contain nat4_out)" '10.9.0.0/24 . "a\b"' "nat4_out"
assert_eq 'a\b' "$(contain nat list --json | jq -r '.[0].out')" "nat list"
contain nat enable --subnet 10.8.0.0/24 --out 'c\'
assert_contains "$(nft list set inet contain nat4_out)" '10.8.0.0/24 . "c\"' "nat4_out"
contain nat disable --subnet 10.9.0.0/24
contain nat disable --subnet 10.8.0.0/24
