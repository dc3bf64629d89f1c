# Named network namespaces: made as iproute2 makes them, usable by `ip netns`.
. "$TESTS_SUPPORT/lib.sh"

step "create a namespace; iproute2 sees it and can enter it"
contain net create blue
assert_contains "$(ip netns list)" "blue" "ip netns list"
assert_contains "$(ip netns exec blue ip -o link show lo)" "UP" "loopback inside"
# /run/netns is a shared mount point, as iproute2 makes it
assert_contains "$(findmnt -no PROPAGATION /run/netns)" "shared" "propagation of /run/netns"
assert_eq "nsfs" "$(findmnt -no FSTYPE /run/netns/blue)" "mount on /run/netns/blue"
# it is a different network namespace from ours
[[ $(ip netns exec blue readlink /proc/self/ns/net) != $(readlink /proc/self/ns/net) ]] ||
  die "the namespace is the sandbox's own"

step "the name is taken: a second create is refused"
expect_fail 1 'create network namespace "blue": it already exists' -- contain net create blue

step "list shows ours and foreign ones"
ip netns add red
ip -n red link add dummy0 type bridge
list=$(contain net list)
echo "$list"
assert_contains "$list" "blue"
assert_contains "$list" "red"
json=$(contain net list --json)
echo "$json"
assert_eq 1 "$(jq -r '.[] | select(.name=="blue") | .interfaces' <<<"$json")" "interfaces in blue"
assert_eq 2 "$(jq -r '.[] | select(.name=="red") | .interfaces' <<<"$json")" "interfaces in red"
assert_eq true "$(jq -r '.[] | select(.name=="blue") | .managed' <<<"$json")" "blue managed"
assert_eq false "$(jq -r '.[] | select(.name=="red") | .managed' <<<"$json")" "red managed"

step "show lists links, addresses and routes"
ip -n red addr add 198.51.100.7/24 dev dummy0
ip -n red link set dummy0 up
show=$(contain net show red --json)
assert_eq "198.51.100.7/24" \
  "$(jq -r '.links[] | select(.name=="dummy0") | .addresses[0].address' <<<"$show")" "address"
assert_eq "198.51.100.0/24" \
  "$(jq -r '.routes[] | select(.dev=="dummy0" and .family=="inet") | .destination' <<<"$show")"
assert_contains "$(contain net show red)" "198.51.100.7/24" "human output"

step "delete takes several names; iproute2 no longer sees them"
contain net delete blue red
assert_eq "" "$(ip netns list)" "ip netns list after delete"
expect_fail 1 'namespace "blue".*does not exist' -- contain net delete blue

step "concurrent creates do not interfere"
for i in $(seq 1 12); do contain net create "par$i" & done
wait
assert_eq 12 "$(contain net list --json | jq length)" "namespaces after parallel create"
assert_eq 12 "$(ls /run/contain/netns | wc -l)" "state records"
contain net delete $(seq -f 'par%g' 1 12)
