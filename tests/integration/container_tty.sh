# contain run -t and exec -t: the command on a pseudo-terminal of the
# container's own devpts, relayed to contain's terminal, or, with -d, logged by
# its monitor; TERM=xterm on a terminal, as Docker. CI has no terminal:
# tests/support/pty_run.py gives contain one (a pty it leads a session on),
# types into it and collects what comes out.
. "$TESTS_SUPPORT/lib.sh"

pty() { python3 "$TESTS_SUPPORT/pty_run.py" "$@"; }
# The lines of the output, without the blank ones.
lines() { grep -v '^$' <<<"$1" || true; }

step "a rootfs with busybox"
mkdir -p rootfs/bin rootfs/etc rootfs/tmp shared
cp "$(command -v busybox)" rootfs/bin/busybox
for applet in sh tty stty cat echo ls sleep test stat; do ln -s busybox rootfs/bin/$applet; done

step "without -t the command has no terminal (the observer can tell)"
rc=0
out=$(contain run --rootfs rootfs -- tty </dev/null) || rc=$?
assert_eq "not a tty" "$out" "tty without -t"
assert_eq 1 "$rc" "tty's status without a terminal"

step "-t: /dev/pts/0 of the container's own devpts, also /dev/console; the caller's window size"
out=$(pty --size 45x123 -- "$CONTAIN" run -t --rootfs rootfs -- sh -c \
  'tty; [ -c /dev/console ] && echo console; [ /dev/console -ef /dev/pts/0 ] && echo same;
   [ /proc/self/fd/0 -ef /dev/pts/0 ] && [ /proc/self/fd/2 -ef /dev/pts/0 ] && echo stdio;
   ls /dev/pts | tr "\n" " "; echo; stty size')
assert_eq $'/dev/pts/0\nconsole\nsame\nstdio\n0 ptmx \n45 123' "$(lines "$out")" "run -t"

step "-it (Docker's combined flags): typed input reaches the command, its status comes back"
# The outer terminal is raw while contain relays: what is typed is echoed once,
# by the container's terminal (a cooked outer one would echo it a second time).
rc=0
out=$(pty --wait ready --input $'hello\n' -- "$CONTAIN" run -it --rootfs rootfs -- sh -c \
  'echo ready; read line; echo got:$line; exit 7') || rc=$?
assert_eq 7 "$rc" "the command's status through the terminal"
assert_eq $'ready\nhello\ngot:hello' "$(lines "$out")" "input and output"

step "a window size change (SIGWINCH to contain) reaches the container's terminal"
out=$(pty --size 45x123 --wait ready --resize 30x90 --input $'\n' -- "$CONTAIN" run -t \
  --rootfs rootfs -- sh -c 'stty size; echo ready; read line; stty size')
assert_eq $'45 123\nready\n30 90' "$(lines "$out")" "sizes before and after the resize"

step "Ctrl-C goes through the terminal to the command's foreground group, not to contain"
# sleep dies of SIGINT, and the shell, seeing that, ends as if interrupted (130).
rc=0
out=$(pty --wait ready --input $'\x03' -- "$CONTAIN" run -t --rootfs rootfs -- sh -c \
  'echo ready; sleep 100; echo after') || rc=$?
assert_eq 130 "$rc" "the command's status after Ctrl-C"
assert_eq $'ready\n^C' "$(lines "$out")" "output around Ctrl-C"

step "a command killed by a signal: 128+N; the outer terminal's modes come back"
rc=0
out=$(pty -- bash -c 'stty -g; "$CONTAIN" run -t --init -- sh -c "kill -TERM \$\$"; echo rc=$?; stty -g')
mapfile -t got < <(lines "$out")
assert_eq "rc=143" "${got[1]}" "status of a command killed by SIGTERM"
assert_eq "${got[0]}" "${got[2]}" "the outer terminal's modes after contain"
assert_eq 3 "${#got[@]}" "lines of $out"

step "-t in a user namespace: the same terminal and console"
out=$(pty --size 45x123 -- "$CONTAIN" run --userns -t --rootfs rootfs -- sh -c \
  'tty; [ /dev/console -ef /dev/pts/0 ] && echo console; stty size')
assert_eq $'/dev/pts/0\nconsole\n45 123' "$(lines "$out")" "run --userns -t"

step "-t for a user who is not root (rootless): the same terminal and console"
user=65534
mkdir -p home/run
cp -a rootfs home/rootfs
chown -R $user:$user home
as_user() {
  setpriv --reuid=$user --regid=$user --clear-groups --inh-caps=-all \
    env XDG_RUNTIME_DIR="$PWD/home/run" "$@"
}
out=$(as_user python3 "$TESTS_SUPPORT/pty_run.py" --size 45x123 -- "$CONTAIN" run -t \
  --rootfs home/rootfs -- sh -c 'tty; [ /dev/console -ef /dev/pts/0 ] && echo console; stty size')
assert_eq $'/dev/pts/0\nconsole\n45 123' "$(lines "$out")" "rootless run -t"
[[ -z $(ls -A home/run/contain 2>/dev/null) ]] || die "rootless state left: $(ls -A home/run/contain)"
rm -rf home

step "-t without --rootfs: a terminal of the host's devpts, no /dev/console of ours"
out=$(pty -- "$CONTAIN" run -t -- sh -c 'tty; [ /proc/self/fd/1 -ef "$(tty)" ] && echo stdio')
mapfile -t got < <(lines "$out")
[[ ${got[0]} == /dev/pts/* ]] || die "tty without --rootfs said [${got[0]}]"
assert_eq stdio "${got[1]}" "stdout is the terminal"

step "exec -t into a running -t container: the container's devpts, recorded tty: true"
mkfifo shared/up shared/go
pty --timeout 30 -- "$CONTAIN" run -t --name term --rootfs rootfs -v "$PWD/shared:/shared" -- \
  sh -c 'echo up > /shared/up; read word < /shared/go; echo released:$word' > run.out &
run_pid=$!
read -r -t 10 up < shared/up || die "the container did not start within 10 s"
assert_eq up "$up" "the container's word"
assert_eq true "$(contain inspect term --json | jq -r .tty)" "inspect: tty"
rc=0
out=$(pty --size 20x60 -- "$CONTAIN" exec -it term -- sh -c \
  'tty; [ /proc/self/fd/0 -ef /dev/pts/1 ] && echo stdio; ls /dev/pts | tr "\n" " "; echo;
   stty size; exit 4') || rc=$?
assert_eq 4 "$rc" "exec -t's status"
assert_eq $'/dev/pts/1\nstdio\n0 1 ptmx \n20 60' "$(lines "$out")" "exec -t"
rc=0
out=$(contain exec term -- tty </dev/null) || rc=$?
assert_eq "not a tty:1" "$out:$rc" "exec without -t"
echo go > shared/go
wait "$run_pid" || die "run -t of the held container failed: $(cat run.out)"
assert_contains "$(cat run.out)" "released:go" "the held container's output"

# log_shows NAME TEXT: returns once the log of container NAME holds TEXT
# (`logs -f` waits on inotify); fails after 10 s.
log_shows() {
  local line found=0 follower
  exec {follower}< <(exec timeout 10 "$CONTAIN" logs -f "$1")
  local follower_pid=$!
  while IFS= read -r -u "$follower" line; do
    if [[ $line == *"$2"* ]]; then found=1; break; fi
  done
  kill "$follower_pid" 2>/dev/null || true
  exec {follower}<&-
  ((found)) || die "the log of $1 did not show [$2] within 10 s: [$(contain logs "$1")]"
}

step "TERM: xterm on a terminal (run -t, exec -t) unless -e sets it; none without one (Docker's)"
export TERM=caller-term
assert_eq unset "$(contain run --rootfs rootfs -- sh -c 'echo ${TERM-unset}' </dev/null)" "TERM without -t"
assert_eq vt100 "$(contain run -e TERM=vt100 --rootfs rootfs -- sh -c 'echo ${TERM-unset}' </dev/null)" \
  "TERM=vt100 given without -t"
assert_eq xterm "$(lines "$(pty -- "$CONTAIN" run -t --rootfs rootfs -- sh -c 'echo ${TERM-unset}')")" \
  "TERM with -t"
assert_eq vt100 "$(lines "$(pty -- "$CONTAIN" run -t -e TERM=vt100 --rootfs rootfs -- sh -c \
  'echo ${TERM-unset}')")" "TERM=vt100 given with -t"

step "-d -t: the monitor holds the terminal; its output goes to the log as a terminal gives it"
mkfifo shared/dup shared/dgo
id=$(contain run -dt --name dterm --rootfs rootfs -v "$PWD/shared:/shared" -- sh -c \
  'tty; echo "TERM=${TERM-unset}"; echo hello; echo up > /shared/dup; read word < /shared/dgo;
   echo "after:$word"; exec sleep 1000')
[[ $id =~ ^[0-9a-f]{64}$ ]] || die "run -dt printed [$id], not an id"
read -r -t 10 up < shared/dup || die "the detached container did not start within 10 s"
assert_eq up "$up" "the detached container's word"
assert_eq true "$(contain inspect dterm --json | jq -r .tty)" "inspect: tty"
# `contain run -d` has returned: a master closed with it would have hung the
# command up (SIGHUP, EIO on write), and "after:go" would never be written.
echo go > shared/dgo
# The monitor copies the terminal into the log a moment after the command
# wrote it: followed (inotify), not polled.
log_shows dterm "after:go"
assert_eq $'/dev/pts/0\r\nTERM=xterm\r\nhello\r\nafter:go\r' "$(contain logs dterm)" \
  "the log of a -t container, with the terminal's line ends"
monitor=$(jq -r .monitor_pid /run/contain/containers/dterm)
pid=$(contain inspect dterm --json | jq -r .pid)
[[ -d /proc/$monitor && -d /proc/$pid ]] || die "monitor [$monitor] or container [$pid] not running"
# The master is the monitor's alone: contain's own caller holds no terminal of it.
master=$(find /proc/$monitor/fd -lname /dev/ptmx -o -lname '*/ptmx' | wc -l)
assert_eq 1 "$master" "pseudo-terminal masters held by the monitor"

step "exec into a -d -t container: -it gets its own terminal; TERM as docker exec gives it"
rc=0
out=$(pty --size 20x60 -- "$CONTAIN" exec -it dterm -- sh -c \
  'tty; echo "TERM=${TERM-unset}"; stty size; exit 5') || rc=$?
assert_eq 5 "$rc" "exec -it's status"
assert_eq $'/dev/pts/1\nTERM=xterm\n20 60' "$(lines "$out")" "exec -it into a -d -t container"
assert_eq unset "$(contain exec dterm -- sh -c 'echo ${TERM-unset}' </dev/null)" \
  "exec without -t: the container's terminal's TERM is not recorded in its environment"
assert_eq linux "$(lines "$(pty -- "$CONTAIN" exec -t -e TERM=linux dterm -- sh -c \
  'echo ${TERM-unset}')")" "exec -t -e TERM=linux"
assert_not_contains "$(contain logs dterm)" "TERM=linux" "the log (exec output is not the container's)"

step "stop and rm a -d -t container: its monitor, its processes and its log go"
contain stop --time 1 dterm
assert_eq "exited (137)" "$(contain ps -a --json | jq -r '.[] | select(.name=="dterm") |
  "\(.status) (\(.exit_code))"')" "status after stop"
wait_pids_gone 10 "$monitor" "$pid"
assert_eq $'/dev/pts/0\r\nTERM=xterm\r\nhello\r\nafter:go\r' "$(contain logs dterm)" "the log after stop"
contain rm dterm
assert_eq "[]" "$(contain ps -a --json | jq -c .)" "containers after rm"
[[ ! -e /run/contain/logs ]] || die "the log folder is left: $(ls -A /run/contain/logs)"

step "-d -t: the command's input stays open and empty (a read waits, it does not see EOF)"
# bash's read -t ends with 142 when the time is up, 1 at end of file (as with
# </dev/null, the observer's proof).
contain run -dt --name input -- bash -c \
  'read -t 0.2 line; echo "tty:$?"; read -t 0.2 line </dev/null; echo "null:$?"' >/dev/null
monitor=$(jq -r .monitor_pid /run/contain/containers/input)
wait_pids_gone 10 "$monitor"
assert_eq $'tty:142\r\nnull:1\r' "$(contain logs input)" "read on the terminal, then on /dev/null"
assert_eq "exited (0)" "$(contain ps -a --json | jq -r '.[0] | "\(.status) (\(.exit_code))"')" \
  "status of the ended -d -t container"
contain rm input

step "-dit is refused before anything is made: there is no attach to keep the input for"
expect_fail 2 "-i cannot be used with -d -t: .* contain has no attach" -- \
  contain run -dit --name nope --rootfs rootfs -- sh
expect_fail 2 "-i cannot be used with -d -t" -- contain run -d -i -t --rootfs rootfs -- sh
assert_eq "[]" "$(contain ps -a --json | jq -c .)" "containers after the refusals"
[[ ! -e /run/contain/logs ]] || die "a log folder was made: $(ls -A /run/contain/logs)"
