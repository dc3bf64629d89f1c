# contain batch: a script of contain commands in one process. A star from a
# file (checked with ip and ping), a script with three mistakes changing
# nothing, a failure stopping the script at its line, --force going on, stdin,
# no helper processes, a namespace deleted and made again within one script,
# and the teardown as a script leaving nothing.
. "$TESTS_SUPPORT/lib.sh"

step "a star from a script: comments, blank lines, quotes, a continued line"
cat > star.contain <<'EOF'
# one bridge, two hosts
bridge create br0 --addr 192.0.2.1/24

net create a
net create 'b'        # quoted words are words
bridge attach br0 a --addr 192.0.2.10/24 --gateway 192.0.2.1
bridge attach br0 b \
    --addr "192.0.2.11/24"
net exec a -- ip -o -4 addr show dev eth0
EOF
before=$(kernel_state)
out=$(contain batch star.contain)
echo "$out"
assert_contains "$out" "192.0.2.10/24" "the output of line 9 (net exec)"
assert_contains "$(ip -n a -o addr show dev eth0)" "192.0.2.10/24"
assert_contains "$(ip -n b -o addr show dev eth0)" "192.0.2.11/24"
assert_contains "$(ip -n a route show default)" "via 192.0.2.1"
ip netns exec a ping -c1 -w10 192.0.2.11
ip netns exec b ping -c1 -w10 192.0.2.1

step "every line is parsed before any runs: three mistakes, nothing changed"
state=$(kernel_state)
cat > bad.contain <<'EOF'
net create c
net create --colour d
net create e
net list
bridge attach br0 c --addr '192.0.2.12/24
net create f
net create $NAME
EOF
rc=0; err=$(contain batch bad.contain 2>&1 >/dev/null) || rc=$?
echo "$err"
assert_eq 2 "$rc" "exit status"
assert_eq 4 "$(wc -l <<<"$err")" "lines on stderr (three errors and the count)"
assert_contains "$err" 'bad.contain:2: net create: unknown option "--colour"'
assert_contains "$err" "bad.contain:5:28: the quote ''' is not closed on its line"
assert_contains "$err" "bad.contain:7:12: '\$' is shell syntax"
assert_contains "$err" "bad.contain: 3 errors, nothing was run"
assert_eq "$state" "$(kernel_state)" "kernel and records after the refused script"
[[ ! -e /run/netns/c ]] || die "line 1 ran"

step "a failing line stops the script there, with its number"
printf 'net create c\nnet create d\nnet create a\nnet create e\n' > stop.contain
rc=0; err=$(contain batch stop.contain 2>&1 >/dev/null) || rc=$?
echo "$err"
assert_eq 1 "$rc" "exit status"
assert_contains "$err" 'stop.contain:3: create network namespace "a": it already exists'
assert_contains "$err" "stopped; 1 command after line 3 not run (--force goes on)"
[[ -e /run/netns/c && -e /run/netns/d ]] || die "lines 1-2 did not run"
[[ ! -e /run/netns/e ]] || die "line 4 ran after the failure"

step "--force goes on, and says which lines failed"
printf 'net create a\nnet create e\nnet exec e -- false\nnet create f\n' > force.contain
rc=0; err=$(contain batch --force force.contain 2>&1 >/dev/null) || rc=$?
echo "$err"
assert_eq 1 "$rc" "exit status"
assert_contains "$err" "force.contain:1: create network namespace \"a\": it already exists"
assert_contains "$err" "force.contain:3: 'net exec e -- false' exited with status 1"
assert_contains "$err" "force.contain: 2 of 4 commands failed (lines 1, 3)"
[[ -e /run/netns/e && -e /run/netns/f ]] || die "--force did not go on"

step "a script from stdin, with '-' and without a file"
printf 'net create g\n' | contain batch -
printf 'net create h\n' | contain batch
[[ -e /run/netns/g && -e /run/netns/h ]] || die "stdin scripts did not run"

step "one process: no helper is run (strace)"
printf 'net create s1\nbridge attach br0 s1 --addr 192.0.2.20/24\nnet delete s1\n' > one.contain
strace -f -qq -e trace=execve,fork,vfork -o trace.txt "$CONTAIN" batch one.contain
cat trace.txt
assert_eq 1 "$(grep -c 'execve(' trace.txt)" "execve calls (contain itself only)"
grep -q "execve(\"$CONTAIN\"" trace.txt || die "the observer did not see contain start"

step "a namespace deleted in the script is gone at once, its name and address free again"
# The batch keeps one netlink socket per namespace across lines; one kept for
# k1 would keep the deleted namespace, and its veth vk1, alive.
cat > again.contain <<'EOF'
net create k1
bridge attach br0 k1 --addr 192.0.2.30/24 --host vk1
net exec k1 -- ip -o link show dev eth0
net delete k1
net create k1
bridge attach br0 k1 --addr 192.0.2.30/24 --host vk1
EOF
out=$(contain batch again.contain)
assert_contains "$out" "eth0@" "the output of line 3 (net exec, between lines kept in one session)"
assert_eq 1 "$(ip -o link show | grep -c ': vk1@')" "host links named vk1"
assert_contains "$(ip -n k1 -o addr show dev eth0)" "192.0.2.30/24"
ip netns exec k1 ping -c1 -w10 192.0.2.1
printf 'net delete k1\n' | contain batch -
[[ -z $(ip -o link show vk1 2>/dev/null) ]] || die "vk1 left after k1 was deleted"

step "the teardown as a script leaves nothing"
printf 'net delete a b c d e f g h\nbridge delete br0\n' | contain batch -
assert_eq "$before" "$(kernel_state)" "kernel and records after the teardown"
assert_eq "" "$(ip netns list)" "namespaces left"
