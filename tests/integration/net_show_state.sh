# `net show` gives each link's state from its flags (up, carrier), which the
# request that changed them set: right at once, where the operational state
# lags (and is "unknown" for loopback and dummy devices).
. "$TESTS_SUPPORT/lib.sh"

state_of() { contain net show "$1" --json | jq -r --arg l "$2" '.links[] | select(.name == $l) | .state'; }

contain net create app
ip -n app link add v0 type veth peer name v1
ip -n app link set v0 up

step "up, down and no carrier"
assert_eq "unknown" "$(ip -n app -j link show lo | jq -r '.[0].operstate | ascii_downcase')" \
  "operstate of loopback (what contain showed before)"
assert_eq "up" "$(state_of app lo)" "loopback"
assert_eq "no-carrier" "$(state_of app v0)" "veth whose peer is down"
assert_eq "down" "$(state_of app v1)" "veth that is down"
assert_contains "$(contain net show app)" "no-carrier" "human output"

step "a link brought up a moment ago shows up at once"
for i in $(seq 1 20); do
  contain net veth --host h$i --ns app --peer p$i
  assert_eq "up" "$(state_of app p$i)" "p$i right after net veth"
done
contain net delete app
