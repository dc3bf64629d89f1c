# `contain exec` and `contain net exec` never leave a command running without
# contain, and exec used as a library leaves its caller as it was.
. "$TESTS_SUPPORT/lib.sh"
EXEC_LIBRARY=${EXEC_LIBRARY:?the path of the exec_library helper}

contain run -d --name box -- sleep 600 >/dev/null

step "the observer works: exec writes its mark while contain lives"
contain exec box -- sh -c "echo ran >> $PWD/mark-alive"
assert_eq "ran" "$(cat "$PWD/mark-alive")"

step "contain exec killed between clone and go: the command never runs"
# strace -f follows contain and its child; SIGKILL reaches contain as it sends
# the go. strace returns once every process it follows has ended, the child
# (and anything it would have run) included: no wait is needed after it.
rc=0
strace -f -o strace-exec.log -e trace=sendto,clone3 -e inject=sendto:signal=KILL:when=1 \
  "$CONTAIN" exec box -- sh -c "echo ran >> $PWD/mark-orphan" || rc=$?
grep -q 'sendto(.*"G".*= ?' strace-exec.log && grep -q 'killed by SIGKILL' strace-exec.log ||
  die "contain was not killed at the go (rc $rc): $(cat strace-exec.log)"
grep -q 'clone3(' strace-exec.log || die "contain was killed before its child existed"
[[ ! -e $PWD/mark-orphan ]] || die "the command ran although contain died before saying go"

step "exec as a library: the caller's later children stay in its PID namespace"
out=$("$EXEC_LIBRARY" box) || die "exec_library: $out"
echo "$out"
assert_contains "$out" "exec status 0"

contain rm -f box

step "the observer works: pgrep sees a command of net exec"
contain net create ns1
"$CONTAIN" net exec ns1 -- sleep 600 &
netexec=$!
wait_until 30 pgrep -f 'sleep 600'
kill -TERM $netexec
rc=0; wait $netexec || rc=$?
assert_eq 143 "$rc" "the command's status (SIGTERM passed on)"
if pgrep -f 'sleep 600'; then die "the command outlived contain net exec"; fi

step "contain net exec killed as it installs its signal handlers: no orphaned command"
# Before, the handlers came after fork: contain dying there (a SIGTERM, here a
# SIGKILL at the first rt_sigaction) left the command running on its own. Now
# they are in place before the command exists.
rc=0
strace -o strace-netexec.log -e trace=rt_sigaction,clone,clone3 \
  -e inject=rt_sigaction:signal=KILL:when=1 "$CONTAIN" net exec ns1 -- sleep 600 || rc=$?
grep -q 'killed by SIGKILL' strace-netexec.log || die "contain was not killed: $(cat strace-netexec.log)"
if pgrep -f 'sleep 600'; then
  pkill -f 'sleep 600'
  die "a command of net exec runs without contain: $(cat strace-netexec.log)"
fi

step "signals sent to contain net exec reach the command"
mkfifo ready
for sig in TERM INT HUP; do
  # A background job of a script starts with SIGINT ignored, and net exec
  # hands the command its caller's dispositions (as ip netns exec does): the
  # job gets SIGINT at its default, as from a terminal.
  env --default-signal=INT \
    "$CONTAIN" net exec ns1 -- sh -c "trap 'exit 40' $sig; echo ready > $PWD/ready; sleep 100 & wait" &
  pid=$!
  read -t 30 line <>ready || die "the command did not start"
  kill -$sig $pid
  rc=0; wait $pid || rc=$?
  assert_eq 40 "$rc" "status after SIG$sig"
done
contain net delete ns1
