# Twenty `network attach` started at once get twenty distinct addresses, and
# the state stays consistent; one `net delete` releases them all.
. "$TESTS_SUPPORT/lib.sh"

contain network create par --subnet 198.51.100.0/24
names=()
for i in $(seq 1 20); do names+=(p$i); contain net create p$i; done

step "twenty attaches at once"
for ns in "${names[@]}"; do
  contain network attach par "$ns" > "$ns.addr" &
done
wait
addrs=$(cat p*.addr | sort)
assert_eq 20 "$(wc -l <<<"$addrs")" "addresses printed"
assert_eq 20 "$(sort -u <<<"$addrs" | wc -l)" "distinct addresses"
json=$(contain network inspect par --json)
assert_eq 20 "$(jq '.attachments | length' <<<"$json")" "attachments recorded"
assert_eq "$addrs" "$(jq -r '.attachments[].address' <<<"$json" | sort)" "records match what was printed"
for ns in "${names[@]}"; do
  assert_contains "$(ip -n "$ns" -o addr show dev eth0)" "$(cat "$ns.addr")" "address in $ns"
done
assert_eq 20 "$(ip -o link show master cn-par | wc -l)" "ports on cn-par"
ip netns exec p1 ping -c1 -w10 "$(cut -d/ -f1 p20.addr)"

step "deleting the namespaces releases every address"
contain net delete "${names[@]}"
assert_eq 0 "$(contain network inspect par --json | jq '.attachments | length')" "attachments left"
assert_eq "" "$(ip -o link show master cn-par)" "ports left"
contain network delete par
