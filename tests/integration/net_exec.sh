# contain net exec: like `ip netns exec`, status passed through, nothing else executed.
. "$TESTS_SUPPORT/lib.sh"

contain net create work
ip -n work link add d0 type bridge

step "the command runs inside: its /sys shows the namespace's devices"
assert_eq "d0 lo" "$(contain net exec work -- ls /sys/class/net | sort | xargs)" "/sys/class/net"
assert_eq "$(ip netns exec work readlink /proc/self/ns/net)" \
  "$(contain net exec work readlink /proc/self/ns/net)" "network namespace"
assert_eq "-- a --b" "$(contain net exec work echo -- a --b)" "arguments passed untouched"

step "/etc/netns/NAME files are bound over /etc, as ip netns exec does"
mkdir -p /etc/netns/work
mount -t tmpfs tmpfs /etc/netns/work
echo "nameserver 192.0.2.53" > /etc/netns/work/resolv.conf
assert_eq "nameserver 192.0.2.53" "$(contain net exec work cat /etc/resolv.conf)"
umount /etc/netns/work

step "exit codes and signals come back as a shell reports them"
rc=0; contain net exec work -- sh -c 'exit 7' || rc=$?
assert_eq 7 "$rc" "exit code"
rc=0; contain net exec work -- sh -c 'kill -TERM $$' || rc=$?
assert_eq 143 "$rc" "killed by SIGTERM"
rc=0; contain net exec work -- sh -c 'kill -KILL $$' || rc=$?
assert_eq 137 "$rc" "killed by SIGKILL"
expect_fail 127 'no-such-command: command not found' -- contain net exec work -- no-such-command
expect_fail 2 'no command given' -- contain net exec work --
expect_fail 1 'namespace "ghost" does not exist' -- contain net exec ghost -- true

step "contain executes nothing but the user's command"
strace -f -qq -e trace=execve -o exec.trace "$CONTAIN" net exec work -- true
cat exec.trace
# (execvp tries each PATH entry: count the calls that succeeded)
assert_eq 2 "$(grep -c 'execve(.*= 0' exec.trace)" "successful execve calls"
assert_contains "$(grep 'execve(.*= 0' exec.trace | sed -n 2p)" '"true"' "second execve"
strace -f -qq -e trace=execve -o exec.trace "$CONTAIN" net veth --host w0 --ns work --ns-addr 192.0.2.2/24
strace -f -qq -e trace=execve -o exec2.trace "$CONTAIN" net delete work
strace -f -qq -e trace=execve -o exec3.trace "$CONTAIN" net create again
strace -f -qq -e trace=execve -o exec4.trace "$CONTAIN" net delete again
assert_eq 4 "$(cat exec.trace exec2.trace exec3.trace exec4.trace | grep -c 'execve(.*= 0')" \
  "execve calls of veth, delete, create, delete"
