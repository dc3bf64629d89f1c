# Detached containers: run -d, ps, logs, exec, stop, rm; names, netns:NS, and
# concurrent runs that never interfere.
. "$TESTS_SUPPORT/lib.sh"

step "run -d prints the id once the command has started"
exec 7>held-by-caller
id=$(contain run -d --name web -e GREETING=hello -w /tmp -- \
  sh -c 'echo started; trap "echo stopping; exit 0" TERM; sleep 1000 & wait')
[[ $id =~ ^[0-9a-f]{64}$ ]] || die "id [$id] is not 64 hex digits"
ps_line=$(contain ps | grep '^web ')
assert_contains "$ps_line" "${id:0:12}" "ps: id"
assert_contains "$ps_line" "running" "ps: status"
assert_eq running "$(contain ps --json | jq -r '.[] | select(.name=="web") | .status')" "ps --json status"
pid=$(contain ps --json | jq -r '.[] | select(.name=="web") | .pid')
assert_eq 1 "$(awk '/^NSpid/ {print $3}' /proc/$pid/status)" "the command is PID 1 inside"
assert_eq "running null" "$(contain ps --json | jq -r '.[] | select(.name=="web") | "\(.status) \(.exit_code)"')" \
  "exit code of a running container"

step "the monitor is in its own session, not our child"
monitor=$(jq -r .monitor_pid /run/contain/containers/web)
[[ $(ps -o sid= -p "$monitor" | xargs) != "$(ps -o sid= -p $$ | xargs)" ]] || die "the monitor is in our session"
[[ $(ps -o ppid= -p "$monitor" | xargs) != "$$" ]] || die "the monitor is our child"
exec 7>&-
fds=$(ls -l /proc/$monitor/fd /proc/$pid/fd) || die "cannot list the descriptors of $monitor and $pid"
assert_contains "$fds" "/proc/$pid/fd:" "descriptor listing"
assert_not_contains "$fds" "held-by-caller" "descriptors of the monitor and the container"
assert_eq "/" "$(readlink /proc/$monitor/cwd)" "monitor's working directory"
rm held-by-caller
assert_eq "$monitor" "$(ps -o ppid= -p "$pid" | xargs)" "container's parent"

step "a name in use is refused"
before=$(kernel_state)
expect_fail 1 'container name "web" is already in use' -- contain run -d --name web -- true
assert_eq "$before" "$(kernel_state)" "state after the refused run"

step "logs"
assert_eq started "$(contain logs web)" "log"

step "exec joins the namespaces, root, working directory and environment"
assert_eq web "$(contain exec web -- hostname)" "hostname through exec"
assert_eq "hello /tmp" "$(contain exec web -- sh -c 'echo $GREETING $PWD')" "environment and cwd"
assert_eq "$(readlink /proc/$pid/ns/net) $(readlink /proc/$pid/ns/pid) $(readlink /proc/$pid/ns/mnt)" \
  "$(contain exec web -- sh -c 'readlink /proc/self/ns/net /proc/self/ns/pid /proc/self/ns/mnt' | xargs)" \
  "namespaces through exec"
assert_contains "$(contain exec web -- ps -eo pid=,args=)" "1 sh -c echo started" "container's processes"
exec 7>held-by-caller
assert_eq "0 1 2" "$(contain exec web -- sh -c 'ls /proc/$$/fd' | xargs)" "descriptors of an exec'd command"
exec 7>&-
rm held-by-caller
rc=0; contain exec web -- sh -c 'exit 5' || rc=$?
assert_eq 5 "$rc" "exit code through exec"
expect_fail 127 'no-such-command: command not found' -- contain exec web -- no-such-command
rc=0
out=$(printf 'echo in-$(hostname)\nexit 4\n' | script -qec "$CONTAIN exec web -- sh" /dev/null) || rc=$?
assert_contains "$out" "in-web" "interactive shell through exec"
assert_eq 4 "$rc" "exit code of an interactive exec"

step "logs -f follows until the container ends; stop sends SIGTERM"
timeout 10 "$CONTAIN" logs -f web > followed &
follower=$!
contain stop web
wait $follower
assert_eq "started stopping" "$(xargs < followed)" "followed log"
rm followed
assert_eq '"exited" 0 null' "$(contain ps -a --json | jq -c '.[] | select(.name=="web") | [.status, .exit_code, .pid]' | tr -d '[]' | tr , ' ')" "after stop"
ps_out=$(contain ps)
assert_contains "$ps_out" "NAME" "ps header"
assert_not_contains "$(sed 1d <<<"$ps_out" | awk '{print $1}')" "web" "ps without -a after the stop"

step "exec into a stopped or unknown container is an error naming it"
expect_fail 1 'exec in container "web": it is not running' -- contain exec web -- true
expect_fail 1 'container "ghost" does not exist' -- contain exec ghost -- true
expect_fail 1 'container "ghost" does not exist' -- contain stop ghost
expect_fail 1 'container "ghost" does not exist' -- contain logs ghost
expect_fail 1 'container "ghost" does not exist' -- contain rm ghost
contain rm web
assert_eq "[]" "$(contain ps -a --json | jq -c .)" "containers after rm"

step "stop: a PID 1 that ignores SIGTERM is killed after --time"
contain run -d --name stubborn -- sleep 1000 >/dev/null
start=$SECONDS
contain stop --time 1 stubborn
((SECONDS - start <= 3)) || die "stop took $((SECONDS - start))s"
assert_eq "exited (137)" "$(contain ps -a | awk '$1=="stubborn" {print $4, $5}')" "status after SIGKILL"
contain rm stubborn

step "rm refuses a running container unless -f"
contain run -d --name busy -- sleep 1000 >/dev/null
expect_fail 1 'container "busy" is running: stop it first' -- contain rm busy
contain rm -f busy
assert_eq "[]" "$(contain ps -a --json | jq -c .)" "containers after rm -f"

step "a detached command that cannot start: the error, and nothing left"
expect_fail 127 'no-such-command: command not found' -- contain run -d --name broken -- no-such-command
assert_eq "[]" "$(contain ps -a --json | jq -c .)" "containers after a failed start"

step "--network netns:NS joins an existing named namespace"
contain net create shared
ip -n shared addr add 192.0.2.1/24 dev lo
assert_contains "$(contain run --network netns:shared -- ip -o addr show dev lo)" "192.0.2.1/24"
# /run/netns/shared is a bind mount of the namespace: its inode is the namespace's.
shared_inode=$(stat -L -c %i /run/netns/shared)
[[ $shared_inode =~ ^[0-9]+$ ]] || die "no inode for /run/netns/shared: [$shared_inode]"
assert_eq "net:[$shared_inode]" \
  "$(contain run --network netns:shared -- readlink /proc/self/ns/net)" "network namespace"
contain run -d --name in-shared --network netns:shared -- sleep 1000 >/dev/null
assert_eq "netns:shared" "$(contain ps --json | jq -r '.[0].network')" "ps network"
contain rm -f in-shared
contain net delete shared

step "concurrent runs of different containers never interfere; one name, one winner"
for i in 1 2 3 4 5 6; do contain run -d --name par-$i -- sleep 1000 >/dev/null & done
wait
assert_eq 6 "$(contain ps --json | jq length)" "containers started in parallel"
for i in 1 2 3 4; do (contain run -d --name same -- sleep 1000 >/dev/null 2>&1 && echo won) & done > winners
wait
assert_eq 1 "$(grep -c won winners)" "runs that got the name 'same'"
rm winners
for c in $(contain ps --json | jq -r '.[].name'); do contain rm -f "$c" & done
wait
assert_eq "[]" "$(contain ps -a --json | jq -c .)" "containers after rm -f of all"

step "a command whose arguments are not UTF-8 is recorded and listed"
# Arguments are bytes; the record and --json show an invalid byte as U+FFFD
# (the process itself gets its bytes untouched).
contain run -d --name bytes -- sh -c 'sleep 1000' $'\xff' >/dev/null
assert_eq "sh -c sleep 1000 "$'\xef\xbf\xbd' "$(contain ps --json | jq -r '.[0].command | join(" ")')" "ps --json command"
assert_contains "$(contain ps)" "bytes" "ps"
pid=$(contain ps --json | jq -r '.[0].pid')
assert_eq "sh -c sleep 1000 "$'\xff' "$(tr '\0' ' ' </proc/$pid/cmdline | sed 's/ $//')" "the process's arguments"
contain rm -f bytes
assert_eq "[]" "$(contain ps -a --json | jq -c .)" "containers after rm -f"
