# contain run: the tutorial's checks. A command in its own PID, UTS, IPC, mount
# and network namespaces, in the foreground, sharing the host's files.
. "$TESTS_SUPPORT/lib.sh"

step "every namespace differs from ours"
for ns in pid uts ipc mnt net cgroup; do
  outside=$(readlink /proc/self/ns/$ns)
  inside=$(contain run -- readlink /proc/self/ns/$ns)
  [[ $inside == $ns:* && $inside != "$outside" ]] || die "$ns namespace: inside $inside, outside $outside"
done

step "the command is PID 1 and /proc shows only the container's processes"
assert_eq 1 "$(contain run -- sh -c 'echo $$')" "PID of the command"
assert_eq "1 ps" "$(contain run -- ps -eo pid=,comm= | xargs)" "processes in the container"

step "--hostname is the container's own; the default is the container's name"
host_before=$(hostname)
assert_eq isolated-container "$(contain run --hostname isolated-container -- hostname)"
assert_eq web-1 "$(contain run --name web-1 -- hostname)"
assert_eq "$host_before" "$(hostname)" "host's hostname"

step "--network none: only loopback, and it is up"
links=$(contain run --network none -- ip -o link show)
assert_eq 1 "$(wc -l <<<"$links")" "number of links"
assert_contains "$links" "1: lo: <LOOPBACK,UP" "loopback"
contain run -- ping -c1 -W1 127.0.0.1 >/dev/null

step "a System V message queue made on the host is invisible inside"
queue=$(ipcmk -Q | grep -o '[0-9]*$')
assert_contains "$(ipcs -q)" "$queue" "host's queues"
inside=$(contain run -- ipcs -q)
assert_not_contains "$inside" " $queue " "queues inside"
ipcrm -q "$queue"

step "a tmpfs mounted inside is invisible outside"
mkdir -p inner
# Mounting needs CAP_SYS_ADMIN, which a container lacks by default (as in Docker).
out=$(contain run --cap-add SYS_ADMIN -- sh -c "mount -t tmpfs inner-fs $PWD/inner && touch $PWD/inner/made-inside && findmnt -no FSTYPE $PWD/inner")
assert_eq tmpfs "$out" "mount seen inside"
assert_eq "" "$(findmnt -no FSTYPE "$PWD/inner" || true)" "mount seen outside"
[[ ! -e inner/made-inside ]] || die "a file written to the container's tmpfs reached the host"
rmdir inner

step "environment (-e) and working directory (-w)"
assert_eq "bar /tmp" "$(contain run -e FOO=bar -w /tmp -- sh -c 'echo $FOO $PWD')"
assert_eq "HOME=/root HOSTNAME=envy PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
  "$(env -i "$CONTAIN" run --name envy -- env | sort | xargs)" "clean environment"

step "exit codes come back as a shell reports them"
rc=0; contain run -- sh -c 'exit 7' || rc=$?
assert_eq 7 "$rc" "exit code"
rc=0; contain run --init -- sh -c 'kill -TERM $$' || rc=$?
assert_eq 143 "$rc" "command killed by SIGTERM under --init"
rc=0; contain run --init -- sh -c 'kill -KILL $$' || rc=$?
assert_eq 137 "$rc" "command killed by SIGKILL under --init"
expect_fail 127 'no-such-command: command not found' -- contain run -- no-such-command
echo data > plain && chmod 644 plain
expect_fail 126 "$PWD/plain: cannot execute: Permission denied" -- contain run -- "$PWD/plain"
rm plain

step "SIGTERM, SIGINT and SIGHUP sent to contain reach the command"
for sig in TERM INT HUP; do
  mkfifo ready
  "$CONTAIN" run -- sh -c "trap 'exit 40' $sig; echo ready > $PWD/ready; sleep 100 & wait" &
  pid=$!
  read -t 10 _ <> ready
  kill -$sig $pid
  rc=0; wait $pid || rc=$?
  assert_eq 40 "$rc" "exit code after SIG$sig to contain run"
  rm ready
done

step "signals ignored by whoever started contain are at their default inside"
ignored=$( (trap '' USR1; grep '^SigIgn' /proc/self/status) )
[[ $ignored != *"0000000000000000" ]] || die "the subshell did not ignore anything: $ignored"
assert_eq "SigIgn:	0000000000000000" \
  "$( (trap '' USR1; exec "$CONTAIN" run -- grep '^SigIgn' /proc/self/status) )" \
  "ignored signals inside the container"

step "descriptors of the caller other than stdin, stdout and stderr stay outside"
exec 7>held-by-caller
assert_eq "0 1 2" "$(contain run -- sh -c 'ls /proc/$$/fd' | xargs)" "descriptors of the command"
assert_eq "0 1 2" "$(contain run --init -- ls /proc/1/fd | xargs)" "descriptors of our init"
exec 7>&-
rm held-by-caller

step "--init: PID 1 is our init, the command PID 2; zombies are reaped"
assert_eq "2" "$(contain run --init -- sh -c 'echo $$')" "PID of the command under --init"
# An orphan whose parent exited is re-parented to PID 1; init reaps it.
out=$(contain run --init -- sh -c '(sleep 0.2 &) ; sleep 0.5; ps -eo stat=,comm= | grep -c ^Z || true')
assert_eq 0 "$out" "zombies left under --init"

step "the default command is /bin/sh, reading commands from stdin"
assert_eq "from stdin 1" "$(echo 'echo from stdin $$' | contain run)"

step "an interactive shell works on a terminal"
rc=0
out=$(printf 'echo tty-$$ $(tty)\nexit 3\n' | script -qec "$CONTAIN run" /dev/null) || rc=$?
assert_contains "$out" "tty-1 /dev/pts/" "interactive shell's output"
assert_eq 3 "$rc" "exit code through the terminal"

step "contain executes nothing but the user's command"
strace -f -qq -e trace=execve -o exec.trace "$CONTAIN" run -- true
assert_eq 2 "$(grep -c 'execve(.*= 0' exec.trace)" "successful execve calls"
assert_contains "$(grep 'execve(.*= 0' exec.trace | sed -n 2p)" '"true"' "second execve"
rm exec.trace

step "a foreground container is listed while it runs and leaves nothing behind"
mkfifo ready go
"$CONTAIN" run --name fg -- sh -c "echo > $PWD/ready; read _ < $PWD/go" &
read -t 10 _ <> ready
assert_contains "$(contain ps)" "fg " "ps while it runs"
echo > go
wait
assert_eq "[]" "$(contain ps -a --json | jq -c .)" "containers after they all exited"
rm ready go
