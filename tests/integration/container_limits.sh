# Resource limits with cgroups (v1 here; the hybrid layout): placement under
# the caller's own group, the cgroup namespace, a fork bomb held by
# --pids-limit, a memory hog OOM-killed under --memory (exit 137, reported),
# --cpus throttling, --cpuset-cpus, the device allow-list, stats and update,
# and removal of every group: by run, by the monitor, by rm -f and by gc after
# the monitor is SIGKILLed. The groups are the host's: the sandbox gives the
# test a group of its own in each hierarchy and removes it afterwards.
. "$TESTS_SUPPORT/lib.sh"

# The mount point of the v1 hierarchy carrying controller $1.
mount_of() {
  findmnt -rn -t cgroup -o TARGET,OPTIONS |
    awk -v c="$1" '{ n = split($2, o, ","); for (i = 1; i <= n; i++) if (o[i] == c) print $1 }' |
    sort -u
}
# Our own group in that hierarchy, as /proc/self/cgroup names it.
own_of() {
  awk -F: -v c="$1" '{ n = split($2, o, ","); for (i = 1; i <= n; i++) if (o[i] == c) print $3 }' \
    /proc/self/cgroup
}
group_of() { echo "$(mount_of "$1")$(own_of "$1")/contain/$2"; }  # controller id
# Every group below ours, in every hierarchy (a container's, or contain/).
groups_below_ours() {
  local c
  for c in memory pids cpu cpuacct cpuset devices; do
    find "$(mount_of "$c")$(own_of "$c")" -mindepth 1 -type d
  done | sort
}
id_of() { contain inspect "$1" --json | jq -r .id; }
pid_of() { contain inspect "$1" --json | jq -r .pid; }
field() { contain inspect "$1" --json | jq -r ".$2"; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }
# Waits (bounded) until a process has exited: its pidfd, through tail --pid.
wait_gone() { timeout 10 tail --pid="$1" -f /dev/null || die "process $1 did not end"; }

step "the observer works: the cgroup file systems are the host's, and we are in our own groups"
for c in memory pids cpu cpuacct cpuset devices; do
  m=$(mount_of "$c")
  [[ -n $m ]] || die "no v1 hierarchy for $c"
  assert_eq cgroupfs "$(stat -f -c %T "$m")" "file system of $m"
  assert_contains "$(own_of "$c")" /contain-test. "our $c group"
  grep -qx "$$" "$m$(own_of "$c")/cgroup.procs" || die "we are not in $m$(own_of "$c")"
done
assert_eq "" "$(groups_below_ours)" "groups before the test"
# The same finder sees a group when there is one.
mkdir "$(mount_of pids)$(own_of pids)/probe"
assert_contains "$(groups_below_ours)" /probe "finder"
rmdir "$(mount_of pids)$(own_of pids)/probe"

step "placement: under our own group, contain/<id>, limits written, namespace shows /"
contain run -d --name placed --memory 64m --pids-limit 100 --cpus 0.5 -- sleep 1000 >/dev/null
id=$(id_of placed)
pid=$(pid_of placed)
for c in memory pids cpu cpuacct devices; do
  g=$(group_of "$c" "$id")
  grep -qx "$pid" "$g/cgroup.procs" || die "container not in $g"
done
assert_eq 67108864 "$(cat "$(group_of memory "$id")/memory.limit_in_bytes")" memory.limit_in_bytes
assert_eq 134217728 "$(cat "$(group_of memory "$id")/memory.memsw.limit_in_bytes")" \
  "memsw (Docker's default: as much swap as memory)"
assert_eq 100 "$(cat "$(group_of pids "$id")/pids.max")" pids.max
assert_eq "50000 100000" "$(cat "$(group_of cpu "$id")/cpu.cfs_quota_us" \
  "$(group_of cpu "$id")/cpu.cfs_period_us" | xargs)" "cfs quota and period"
assert_eq "" "$(find "$(mount_of cpuset)$(own_of cpuset)" -mindepth 1 -type d)" \
  "cpuset: no group unless asked"
# On the host the container is in contain/<id>; inside, its cgroup namespace starts there.
grep -q ":/.*/contain/$id\$" /proc/"$pid"/cgroup || die "host view: $(cat /proc/"$pid"/cgroup)"
inside=$(contain exec placed -- cat /proc/self/cgroup)
for c in memory pids cpu cpuacct devices; do
  grep -qE "^[0-9]+:([a-z_]+,)*$c(,[a-z_]+)*:/\$" <<<"$inside" || die "exec: $c not / inside: $inside"
done
assert_contains "$(contain run -- cat /proc/self/cgroup)" "pids:/" "a fresh container"
contain rm -f placed
assert_eq "" "$(groups_below_ours)" "groups after rm -f"

step "fork bomb: --pids-limit 64 holds, the host still forks, stop is quick, nothing left"
mkfifo forked
# The inner shell starts sleeps until a fork fails (which ends it); the outer
# one then says so and becomes a sleep itself (exec: no fork needed).
contain run -d --name bomb --pids-limit 64 -- \
  sh -c 'sh -c "for i in \$(seq 300); do sleep 1000 & done" 2>/dev/null
         echo forked > '"$PWD"'/forked; exec sleep 1000' >/dev/null
timeout 30 cat forked >/dev/null || die "the shell did not finish forking"
g=$(group_of pids "$(id_of bomb)")
current=$(cat "$g/pids.current")
((current <= 64 && current >= 60)) || die "pids.current is $current, expected 60..64"
refused=$(awk '$1 == "max" { print $2 }' "$g/pids.events")
((refused > 0)) || die "pids.events shows no refused fork"
echo "pids.current $current, refused forks $refused"
sh -c 'true' || die "the host cannot fork"
started=$(now_ms)
contain stop --time 0 bomb
elapsed=$(($(now_ms) - started))
((elapsed < 2000)) || die "stop took ${elapsed} ms (load: $(cat /proc/loadavg))"
[[ ! -d $g ]] || die "$g left after stop"
contain rm bomb
step "the real one, :(){ :|:& };: under a time limit"
contain run -d --name bomb2 --pids-limit 64 -- bash -c ':(){ :|:& };:; sleep 1000' >/dev/null
g=$(group_of pids "$(id_of bomb2)")
wait_until 20 awk '$1 == "max" && $2 > 0 { found = 1 } END { exit !found }' "$g/pids.events"
current=$(cat "$g/pids.current")
((current <= 64)) || die "pids.current is $current"
sh -c 'true' || die "the host cannot fork"
started=$(now_ms)
contain rm -f bomb2
elapsed=$(($(now_ms) - started))
((elapsed < 2000)) || die "rm -f took ${elapsed} ms (load: $(cat /proc/loadavg))"
assert_eq "" "$(groups_below_ours)" "groups after the fork bombs"

step "memory hog: --memory 64m, dd of 200M is OOM-killed: 137, reported"
rc=0
err=$(contain run --name hog --memory 64m -- dd if=/dev/zero of=/dev/null bs=200M count=1 2>&1) || rc=$?
assert_eq 137 "$rc" "exit status of the memory hog"
assert_contains "$err" 'container "hog" exited (137, out of memory)' "run's report"
contain run -d --name hog --memory 64m -- dd if=/dev/zero of=/dev/null bs=200M count=1 >/dev/null
wait_gone "$(pid_of hog)"
wait_until 10 sh -c "\"$CONTAIN\" ps -a --json | jq -e '.[] | select(.name == \"hog\" and .status == \"exited\")'"
assert_contains "$(contain ps -a)" "exited (137, out of memory)" "ps"
assert_eq true "$(contain ps -a --json | jq '.[] | select(.name == "hog") | .oom_killed')" "ps --json"
assert_eq true "$(field hog oom_killed)" "inspect"
contain rm hog
step "a container that exits normally is not reported as out of memory"
contain run -d --name fine --memory 64m -- true >/dev/null
wait_until 10 sh -c "\"$CONTAIN\" ps -a --json | jq -e '.[] | select(.name == \"fine\" and .status == \"exited\")'"
assert_eq false "$(field fine oom_killed)" "inspect"
assert_contains "$(contain ps -a)" "exited (0)" "ps"
contain rm fine
step "--memory-swap equal to --memory: no swap (memsw written)"
contain run -d --name noswap --memory 64m --memory-swap 64m -- sleep 1000 >/dev/null
assert_eq 67108864 "$(cat "$(group_of memory "$(id_of noswap)")/memory.memsw.limit_in_bytes")" memsw
contain rm -f noswap
sh -c 'true' || die "the host cannot fork"
assert_eq "" "$(groups_below_ours)" "groups after the memory tests"

step "CPU: --cpus 0.2 with a busy loop for 1 s: throttled to about 200 ms"
cpu_test() {  # name, run options...: prints "usage_ms nr_throttled"
  local name=$1
  shift
  rm -f busy && mkfifo busy
  contain run -d --name "$name" "$@" -- \
    sh -c 'timeout 1 sh -c "while :; do :; done"; echo done > '"$PWD"'/busy; sleep 1000' >/dev/null
  timeout 20 cat busy >/dev/null || die "the busy loop did not end"
  local id
  id=$(id_of "$name")
  echo "$(($(cat "$(group_of cpuacct "$id")/cpuacct.usage") / 1000000))" \
    "$(awk '$1 == "nr_throttled" { print $2 }' "$(group_of cpu "$id")/cpu.stat")"
  contain rm -f "$name" >/dev/null
}
# The machine is shared: for these few seconds the test's own group gets the
# kernel's largest CPU weight, so that the loops get a CPU whatever else runs.
echo 262144 > "$(mount_of cpu)$(own_of cpu)/cpu.shares"
read -r used throttled < <(cpu_test limited --cpus 0.2)
echo "with --cpus 0.2: ${used} ms of CPU, throttled ${throttled} times"
((used >= 150 && used <= 260)) || die "with --cpus 0.2 the loop used ${used} ms, expected 150..260"
((throttled > 0)) || die "nr_throttled is $throttled"
# Without a limit the loop must get (nearly) a whole CPU. nr_throttled = 0 is
# the direct proof that no quota applies, checked every time; the CPU time also
# depends on what else the machine runs (a VM's stolen time, other tests), so a
# short sample is taken again, up to three times, before it counts as a failure.
for try in 1 2 3; do
  read -r used throttled < <(cpu_test "unlimited$try")
  echo "without a limit: ${used} ms of CPU, throttled ${throttled} times"
  assert_eq 0 "$throttled" "nr_throttled without a limit"
  ((used >= 900)) && break
  ((try < 3)) || die "without --cpus the loop used only ${used} ms, three times (load: $(cat /proc/loadavg))"
done
echo 1024 > "$(mount_of cpu)$(own_of cpu)/cpu.shares"

step "cpuset: --cpuset-cpus 0"
assert_eq "0" "$(contain run --cpuset-cpus 0 -- awk '/^Cpus_allowed_list/ { print $2 }' /proc/self/status)" \
  "Cpus_allowed_list inside"
assert_eq "0-1" "$(awk '/^Cpus_allowed_list/ { print $2 }' /proc/self/status)" "on the host"
assert_eq "" "$(groups_below_ours)" "groups after the cpuset test"

step "devices: mknod of a block device works, opening it does not; /dev/null does"
mkdir -p rootfs/bin rootfs/tmp
cp "$(command -v busybox)" rootfs/bin/busybox
for applet in sh mknod cat head echo; do ln -sf busybox rootfs/bin/$applet; done
disk=$(lsblk -dnro MAJ:MIN | head -1)
[[ -n $disk ]] || die "no block device on this machine"
script="mknod /dev/disk b ${disk%:*} ${disk#*:} && echo made;
  head -c1 /dev/disk >/dev/null 2>/tmp/err && echo opened || cat /tmp/err;
  echo x > /dev/null && echo null-ok"
out=$(contain run --rootfs rootfs -- sh -c "$script")
assert_contains "$out" made "mknod"
assert_contains "$out" "Operation not permitted" "opening the block device"
assert_not_contains "$out" opened "opening the block device"
assert_contains "$out" null-ok "/dev/null"
# The observer: without the allow-list (--privileged) the same open works.
assert_contains "$(contain run --privileged --rootfs rootfs -- sh -c "$script")" opened "--privileged"
step "--device adds a node and its rule"
out=$(contain run --rootfs rootfs -- sh -c 'mknod /dev/fuse c 10 229; : < /dev/fuse && echo opened' 2>&1 || true)
assert_contains "$out" "Operation not permitted" "/dev/fuse without --device"
assert_eq opened "$(contain run --rootfs rootfs --device /dev/fuse:/dev/fuse:r -- sh -c ': < /dev/fuse && echo opened')" \
  "--device /dev/fuse:/dev/fuse:r"
out=$(contain run --rootfs rootfs --device /dev/fuse:/dev/fuse:r -- sh -c 'echo x > /dev/fuse && echo wrote' 2>&1 || true)
assert_contains "$out" "Operation not permitted" "writing with :r"
assert_eq "" "$(groups_below_ours)" "groups after the device tests"

step "the v2 device program, live: this machine's cgroup2 takes device programs without controllers"
disk_path=/dev/$(lsblk -dnro NAME | head -1)
head -c1 "$disk_path" >/dev/null || die "the observer: $disk_path does not open outside the filter"
v2=$(findmnt -rn -t cgroup2 -o TARGET | head -1)$(awk -F: '$1 == 0 { print $3 }' /proc/self/cgroup)
[[ -d $v2 && $v2 == */contain-test.* ]] || die "no cgroup2 group of the test's own: [$v2]"
mkdir "$v2/device-filter"
out=$("$DEVICE_FILTER" "$v2/device-filter" /dev/null /dev/zero /dev/urandom "$disk_path" /dev/fuse)
rmdir "$v2/device-filter"
echo "$out"
assert_eq "/dev/null ok
/dev/zero ok
/dev/urandom ok
$disk_path EPERM
/dev/fuse EPERM" "$out" "opens under the v2 device program"

step "stats and update"
mkfifo go done
contain run -d --name st --pids-limit 3 -- \
  sh -c 'cat '"$PWD"'/go >/dev/null; head -c 33554432 /dev/zero > '"$PWD"'/big; echo > '"$PWD"'/done; sleep 1000' >/dev/null
before=$(contain stats --no-stream --json st)
echo "$before"
assert_eq 3 "$(jq '.[0].pids_limit' <<<"$before")" "pids_limit"
assert_eq 2 "$(jq '.[0].pids' <<<"$before")" "pids (sh and cat)"
echo > go
timeout 10 cat done >/dev/null
after=$(contain stats --no-stream --json st)
grown=$(jq -n --argjson a "$after" --argjson b "$before" '$a[0].memory_usage - $b[0].memory_usage')
((grown >= 30000000)) || die "memory usage grew by $grown bytes, expected 32 MiB"
contain stats --no-stream st | grep -q '^st ' || die "stats table"
step "update raises the pids limit live"
out=$(contain exec st -- sh -c 'sleep 0 & wait' 2>&1 || true)
assert_contains "$out" "fork" "a fork at the limit"  # sh: can't fork
contain update st --pids-limit 20
assert_eq 20 "$(cat "$(group_of pids "$(id_of st)")/pids.max")" "pids.max after update"
contain exec st -- sh -c 'sleep 0 & wait'
assert_eq 20 "$(field st limits.pids_limit)" "recorded limit"
contain update st --memory 128m
assert_eq 134217728 "$(cat "$(group_of memory "$(id_of st)")/memory.limit_in_bytes")" "memory after update"
step "the exit is recorded over what update recorded"
# The monitor keeps the record it wrote and writes the exit without reading
# it back, unless the file changed meanwhile, as update changed it: then it
# reads it, and the limits update recorded stay. (stop waits for the monitor.)
contain stop --time 1 st
assert_eq exited "$(field st status)" "status after stop"
assert_eq 137 "$(field st exit_code)" "exit code after stop"
assert_eq 20 "$(field st limits.pids_limit)" "recorded pids limit after the exit"
assert_eq 134217728 "$(field st limits.memory)" "recorded memory limit after the exit"
contain rm st
rm -f big
expect_fail 1 'does not exist' -- contain update st --pids-limit 5
contain run -d --name ended -- true >/dev/null
wait_until 10 sh -c "\"$CONTAIN\" ps -a --json | jq -e '.[] | select(.name == \"ended\" and .status == \"exited\")'"
expect_fail 1 'not running' -- contain update ended --pids-limit 5
expect_fail 2 'no limit given' -- contain update ended
contain rm ended
assert_eq "" "$(groups_below_ours)" "groups after stats and update"

step "crash: SIGKILL the monitor of a limited container, gc removes its groups"
contain run -d --name crash --memory 64m --pids-limit 50 -- sleep 1000 >/dev/null
id=$(id_of crash)
monitor=$(field crash monitor_pid)
pid=$(pid_of crash)
kill -9 "$monitor"
wait_gone "$monitor"
wait_gone "$pid"
[[ -d $(group_of memory "$id") ]] || die "the memory group went without gc (the observer)"
out=$(contain gc)
echo "$out"
assert_contains "$out" "marked container crash exited (it and its monitor are gone); removed its cgroups" "gc's report"
assert_eq "" "$(groups_below_ours)" "groups after gc"
contain rm crash

step "bad limits are refused before anything is made"
expect_fail 2 'minimum memory limit is 6m' -- contain run --memory 1m -- true
expect_fail 2 "--cpus 'abc'" -- contain run --cpus abc -- true
expect_fail 2 'below --memory' -- contain run --memory 64m --memory-swap 32m -- true
expect_fail 2 'needs --memory' -- contain run --memory-swap 64m -- true
expect_fail 2 "--cpuset-cpus '3-1'" -- contain run --cpuset-cpus 3-1 -- true
expect_fail 2 "--pids-limit 'x'" -- contain run --pids-limit x -- true
expect_fail 1 'no-such-device' -- contain run --device /dev/no-such-device -- true
expect_fail 2 'not a device node' -- contain run --device /etc/hostname -- true
assert_eq "" "$(groups_below_ours)" "groups after refusals"
assert_eq 1 "$(contain ps -a | wc -l)" "ps after refusals (the header only)"

step "a real-time caller cannot join a v1 cpu group without a real-time budget: a clear error, nothing left"
# The test's own cpu group gets a real-time budget, so that chrt works in it
# (a group without one refuses real-time tasks); the container's new group,
# below it, starts with none.
rt=$(mount_of cpu)$(own_of cpu)/cpu.rt_runtime_us
echo 100000 > "$rt"
chrt -f 10 true || die "chrt does not work in our group"
expect_fail 1 'run contain with a normal policy' -- chrt -f 10 "$CONTAIN" run -- true
contain run -d --name steady -- sleep 1000 >/dev/null
expect_fail 1 'real-time budget' -- chrt -f 10 "$CONTAIN" exec steady -- true
contain rm -f steady
echo 0 > "$rt"
assert_eq "" "$(groups_below_ours)" "groups after the real-time refusals"
assert_eq 1 "$(contain ps -a | wc -l)" "ps after the real-time refusals (the header only)"
