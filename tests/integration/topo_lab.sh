# topo up refuses bad files and taken names before changing anything, undoes a
# late failure completely, runs two copies side by side with --prefix, routes
# through a chain of routers, and `gc` finishes a lab whose `up` was killed.
. "$TESTS_SUPPORT/lib.sh"

examples=$(dirname "$0")/../../examples

step "a file with four errors: all reported at once, nothing made"
cat > bad.yml <<'YAML'
name: bad
topology:
  nodes:
    A: {forwarding: maybe}
    B: {}
  linkz: []
  links:
    - endpoints: ["A:eth0", "X:eth0"]
      ipv4: [10.0.1.1/33, 10.0.1.2/24]
YAML
before=$(kernel_state)
rc=0; err=$(contain topo up bad.yml 2>&1) || rc=$?
echo "$err"
assert_eq 2 "$rc" "exit code"
assert_contains "$err" "bad.yml:4:21: forwarding must be true or false, not 'maybe'"
assert_contains "$err" "bad.yml:6:3: unknown key 'linkz' in topology (did you mean 'links'?)"
assert_contains "$err" "bad.yml:8:7: link endpoint X:eth0: no node named X"
assert_contains "$err" "bad.yml:9:14: '10.0.1.1/33' is not an ipv4 address"
assert_contains "$err" "bad.yml: 4 errors, nothing was changed"
assert_eq "$before" "$(kernel_state)" "state after the refusal"

step "a namespace name already taken: refused, nothing made"
ip netns add B
before=$(kernel_state)
expect_fail 1 'namespace "B" already exists and is not part of this lab' -- contain topo up "$examples/abc.yml"
assert_eq "$before" "$(kernel_state)" "state after the refusal"

step "two copies side by side with --prefix"
contain topo up "$examples/abc.yml" --prefix x-
contain topo up "$examples/abc.yml" --prefix y-
assert_eq "B x-A x-B x-C y-A y-B y-C" "$(ip netns list | awk '{print $1}' | sort | xargs)" "namespaces"
ip netns exec x-A ping -c1 -w10 10.0.1.2
ip netns exec y-A ping -c1 -w10 10.0.1.2
assert_eq "4 of 4 expectations met" "$(contain topo check x-abc | tail -1)" "check of x-abc"
contain topo down x-abc
contain topo down "$examples/abc.yml" --prefix y-
assert_eq "B" "$(ip netns list | awk '{print $1}' | xargs)" "namespaces after down"
ip netns del B

step "a late failure (a node's exec command fails) undoes everything"
sed 's/    C: {}/    C: {exec: ["ip link set lo mtu 1280", "exit 3"]}/' "$examples/abc.yml" > late.yml
grep -q 'exit 3' late.yml
before=$(kernel_state)
expect_fail 1 "exec 'exit 3' in node C exited with status 3" -- contain topo up late.yml
assert_eq "$before" "$(kernel_state)" "state after the rollback"

step "a chain of three routers: h1 reaches h2 across them (ttl 61)"
contain topo up "$examples/router-chain.yml"
out=$(ip netns exec h1 ping -c1 -w10 10.0.3.2)
echo "$out"
assert_contains "$out" "ttl=61"
assert_eq 1 "$(ip netns exec r2 cat /proc/sys/net/ipv4/ip_forward)" "r2 forwards"
assert_eq 0 "$(ip netns exec h1 cat /proc/sys/net/ipv4/ip_forward)" "h1 does not"
out=$(contain topo check chain)
echo "$out"
assert_eq "4 of 4 expectations met" "$(tail -1 <<<"$out")" "check of the chain"
contain topo down chain

step "SIGKILL during up of a 500-host star, then gc: nothing left"
contain topo gen star 500 > star.yml
"$CONTAIN" topo up star.yml > /dev/null 2>&1 &
up=$!
# Killed while it makes namespaces: the record says "creating" and some exist.
wait_until 20 bash -c 'grep -qs creating /run/contain/topo/star500 && (( $(ls /run/netns | wc -l) > 20 ))'
kill -9 $up
wait $up 2>/dev/null || true
(( $(ls /run/netns | wc -l) > 0 )) || die "nothing was made before the kill"
out=$(contain gc)
echo "$out"
assert_contains "$out" "removed lab star500, left half made (process $up died)"
assert_eq "" "$(ls /run/netns)" "namespaces after gc"
assert_eq "" "$(find /run/contain -type f)" "records after gc"
