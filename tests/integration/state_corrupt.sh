# A hand-edited or truncated state record is an error naming the file, never a
# crash (before, commands died of an uncaught JSON exception); `contain gc` sets
# corrupt files aside, says so, and collects what they described.
. "$TESTS_SUPPORT/lib.sh"

step "a container record whose pid is not a number"
contain run --name ok -d -- sleep 600 >/dev/null
printf '%s' '{"name":"bad","id":"x","status":"running","pid":"12"}' >/run/contain/containers/bad
expect_fail 1 '^contain: state file /run/contain/containers/bad is corrupt: field "pid" is not an integer; run .contain gc.$' -- contain ps -a
expect_fail 1 'state file /run/contain/containers/bad is corrupt: field "pid"' -- contain logs bad
expect_fail 1 'state file /run/contain/containers/bad is corrupt' -- contain rm bad

step "a truncated network record"
contain network create web --subnet 192.0.2.0/24
full=$(cat /run/contain/network/web)
printf '%s' "${full:0:40}" >/run/contain/network/web
expect_fail 1 'state file /run/contain/network/web is corrupt: .*; run .contain gc.$' -- contain network list
expect_fail 1 'state file /run/contain/network/web is corrupt' -- contain network delete --force web

step "a shaping record whose target is not an object"
ip link add sh0 type veth peer name sh1
contain shape set --dev sh0 --rate 1mbit
printf '%s' '{"target":"sh0","rate":"1mbit"}' >"/run/contain/shape/$(ls /run/contain/shape)"
expect_fail 1 'state file /run/contain/shape/.* is corrupt: field "target" is not an object' -- contain shape show --dev sh0

step "gc sets the corrupt files aside, says so, and collects what they described"
out=$(contain gc)
echo "$out"
assert_contains "$out" "set aside corrupt state file /run/contain/containers/bad"
assert_contains "$out" "set aside corrupt state file /run/contain/network/web"
assert_contains "$out" "set aside corrupt state file /run/contain/shape/"
assert_contains "$out" "deleted bridge cn-web (its network web has no record)"
[[ -f /run/contain/corrupt/containers.bad ]] || die "the corrupt container record was not kept"
ip link show cn-web >/dev/null 2>&1 && die "cn-web left after gc"
ps=$(contain ps -a)
echo "$ps"
# The NAME column only: a random container id may hold the letters "bad".
names=$(awk 'NR > 1 { print $1 }' <<<"$ps")
assert_eq "ok" "$names" "the containers ps lists"
contain network create web --subnet 192.0.2.0/24
contain network delete web
contain rm -f ok
ip link del sh0
# What gc set aside is the user's to read and remove.
rm -r /run/contain/corrupt
