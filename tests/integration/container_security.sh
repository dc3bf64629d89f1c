# contain run's confinement, observed from inside by the probe (tests/support/
# probe.c): Docker's capabilities, the default seccomp filter, masked and
# read-only paths, and what --privileged, --cap-drop, --cap-add and
# --security-opt change. exec gets the same answers.
. "$TESTS_SUPPORT/lib.sh"

# "key value" of the probe's output.
answer() { awk -v k="$2" '$1 == k { $1 = ""; sub(/^ /, ""); print; exit }' <<<"$1"; }
expect() {  # output key value [what]
  assert_eq "$3" "$(answer "$1" "$2")" "${4:-}$2"
}

step "a rootfs with busybox and the probe"
mkdir -p rootfs/bin rootfs/etc rootfs/tmp
cp "$(command -v busybox)" rootfs/bin/busybox
for applet in sh ls cat echo id touch chown nc ping sleep mkdir; do ln -s busybox rootfs/bin/$applet; done
cp "$PROBE" rootfs/bin/probe
printf 'root:x:0:0:root:/root:/bin/sh\nalice:x:1000:1000::/home/alice:/bin/sh\n' > rootfs/etc/passwd
printf 'root:x:0:\nalice:x:1000:\nstaff:x:50:alice\n' > rootfs/etc/group

step "the host's answers without a container: the observer works"
host=$("$PROBE")
expect "$host" Seccomp 0 "host "
expect "$host" kexec_load ENOSYS "host "   # this kernel has no kexec: ENOSYS, not EPERM
expect "$host" syscall1000 ENOSYS "host "
expect "$host" personality ok "host "

step "defaults: Docker's 14 capabilities, the filter, no_new_privs off"
out=$(contain run --rootfs rootfs -- probe)
expect "$out" CapEff 00000000a80425fb
expect "$out" CapPrm 00000000a80425fb
expect "$out" CapBnd 00000000a80425fb
expect "$out" CapInh 0000000000000000
expect "$out" CapAmb 0000000000000000
expect "$out" NoNewPrivs 0
expect "$out" Seccomp 2
for call in unshare-mnt unshare-user mount umount2 pivot_root kexec_load init_module bpf \
            swapon reboot sethostname socket-vsock socket-alg personality clone-newnet; do
  expect "$out" "$call" EPERM
done
expect "$out" clone3 ENOSYS          # so that the C library falls back to clone
expect "$out" syscall1000 ENOSYS     # newer than the profile
expect "$out" socket-inet ok
expect "$out" ptrace ok   # allowed by the filter since Linux 4.8, as in Docker; same credentials
step "masked and read-only paths"
expect "$out" read:/proc/kcore absent   # not in this kernel: skipped
for f in /proc/interrupts /proc/keys /proc/timer_list; do
  expect "$out" "read:$f" empty   # /dev/null over it
done
expect "$out" write:/proc/acpi EROFS
expect "$out" write:/sys/firmware EROFS
expect "$out" write:/proc/sys/kernel/hostname EROFS
assert_eq "ro" "$(contain run --rootfs rootfs -- cat /proc/self/mountinfo |
  awk '$5 == "/proc/sys" { split($6, o, ","); print o[1] }')" "/proc/sys mount option"

step "/dev with --rootfs: devices, pts, shm and the container's own mqueue"
out=$(contain run --rootfs rootfs -- cat /proc/self/mountinfo)
for m in "/dev/pts - devpts" "/dev/shm - tmpfs" "/dev/mqueue - mqueue"; do
  grep -qE "^([^ ]+ ){4}${m%% *} .* ${m#* }" <<<"$out" || die "no $m mount in: $out"
done
assert_eq "crw-rw-rw- 1,3" "$(contain run --rootfs rootfs -- ls -l /dev/null |
  awk '{ print $1, $5 $6 }')" "/dev/null"

step "without --rootfs too"
out=$(contain run -- "$PROBE")
expect "$out" CapEff 00000000a80425fb
expect "$out" Seccomp 2
expect "$out" mount EPERM
expect "$out" "read:/proc/timer_list" empty
expect "$out" write:/proc/sys/kernel/hostname EROFS

step "--privileged: the caller's capabilities, no filter, no masking"
out=$(contain run --privileged --rootfs rootfs -- probe)
expect "$out" CapEff "$(awk '/^CapEff/ {print $2}' /proc/self/status)"
expect "$out" Seccomp 0
expect "$out" kexec_load ENOSYS   # the kernel's own answer again
expect "$out" mount ok
expect "$out" read:/proc/timer_list ok

step "--cap-drop ALL"
out=$(contain run --cap-drop ALL --rootfs rootfs -- probe)
expect "$out" CapEff 0000000000000000
expect "$out" CapBnd 0000000000000000
expect "$out" Seccomp 2
expect "$out" socket-inet ok

step "--cap-add SYS_ADMIN: the filter lets mount and unshare through"
out=$(contain run --cap-add sys_admin --rootfs rootfs -- probe)
expect "$out" CapEff 00000000a82425fb
expect "$out" Seccomp 2
expect "$out" mount ok
expect "$out" unshare-mnt ok
expect "$out" clone3 ok
expect "$out" kexec_load EPERM

step "a filter compiled at run time is cached, and a damaged cache entry is compiled again"
[[ -n $(find /run/contain/cache/seccomp -type f) ]] || die "no cached program after --cap-drop ALL and --cap-add"
rm -r /run/contain/cache
contain run --cap-add sys_admin --rootfs rootfs -- busybox true
cached=$(find /run/contain/cache/seccomp -type f)
assert_eq 1 "$(wc -l <<<"$cached")" "one cached program after --cap-add sys_admin: [$cached]"
assert_eq "contain seccomp program 1" "$(head -n1 "$cached")" "its header"
assert_eq "700" "$(stat -c %a /run/contain/cache/seccomp)" "the cache folder's mode"
for round in cached damaged; do
  inode=$(stat -c %i "$cached")
  out=$(contain run --cap-add sys_admin --rootfs rootfs -- probe)
  # A hit leaves the file alone; a miss writes a new one in its place.
  if [[ $round == cached ]]; then
    assert_eq "$inode" "$(stat -c %i "$cached")" "the entry, read and not written again"
  else
    [[ $inode != $(stat -c %i "$cached") ]] || die "the damaged entry was not replaced"
  fi
  expect "$out" Seccomp 2 "$round: "
  expect "$out" mount ok "$round: "
  expect "$out" kexec_load EPERM "$round: "
  expect "$out" personality EPERM "$round: "
  # The next round finds a cache entry of the right name but garbage inside:
  # the answers must stay the same, and the entry is written again.
  printf 'contain seccomp program 1\n5\nnope!xxxxxxxx' >"$cached"
done
out=$(contain run --cap-add sys_admin --rootfs rootfs -- probe)
expect "$out" kexec_load EPERM "after the damaged entry: "
assert_eq "$(find /run/contain/cache/seccomp -type f)" "$cached" "the same entry"
[[ $(stat -c %s "$cached") -gt 8000 ]] || die "the damaged entry was not written again: $(stat -c %s "$cached") bytes"

step "--security-opt seccomp=unconfined and no-new-privileges"
out=$(contain run --security-opt seccomp=unconfined --security-opt no-new-privileges --rootfs rootfs -- probe)
expect "$out" Seccomp 0
expect "$out" NoNewPrivs 1
expect "$out" CapEff 00000000a80425fb
expect "$out" kexec_load ENOSYS
expect "$out" mount EPERM         # the capability is missing, not the filter
expect "$out" personality ok

step "a profile file: allow everything but mkdir (EACCES)"
cat > profile.json <<'JSON'
{"defaultAction": "SCMP_ACT_ALLOW",
 "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13}]}
JSON
expect_fail 1 "Permission denied" -- contain run --security-opt seccomp=profile.json --rootfs rootfs -- mkdir /tmp/x
out=$(contain run --security-opt seccomp=profile.json --rootfs rootfs -- probe)
expect "$out" Seccomp 2
expect "$out" personality ok
expect "$out" kexec_load ENOSYS

step "what a root user in a container does, as in Docker"
contain run --rootfs rootfs -- chown 1000:1000 /tmp
contain run --rootfs rootfs -- sh -c 'nc -l -p 80 & sleep 0.2; kill $!'
assert_eq "uid=1000(alice) gid=1000(alice) groups=50(staff)" \
  "$(contain run --user alice --rootfs rootfs -- id)" "--user alice"
out=$(contain run --user 1000 --rootfs rootfs -- probe)
expect "$out" CapEff 0000000000000000
expect "$out" CapBnd 00000000a80425fb
expect_fail 1 "" -- contain run --user 1000 --rootfs rootfs -- nc -l -p 80
out=$(contain run --rootfs rootfs -- ping -c 1 -W 1 127.0.0.1 2>&1) || die "ping (NET_RAW): $out"

step "exec into a hardened container: the same answers"
contain run -d --name hard --rootfs rootfs -- sleep 1000 >/dev/null
out=$(contain exec hard -- probe)
expect "$out" CapEff 00000000a80425fb "exec "
expect "$out" Seccomp 2 "exec "
expect "$out" mount EPERM "exec "
expect "$out" kexec_load EPERM "exec "
expect "$out" read:/proc/timer_list empty "exec "
out=$(contain exec --user 1000 hard -- probe)
expect "$out" CapEff 0000000000000000 "exec --user "
expect "$out" Seccomp 2 "exec --user "
contain inspect hard | grep -q CAP_NET_RAW || die "inspect shows no capabilities"
assert_eq default "$(contain inspect --json hard | python3 -c 'import json,sys; print(json.load(sys.stdin)["security"]["seccomp"])')" "inspect seccomp"
contain rm -f hard

step "--ulimit and --oom-score-adj: the container's, and exec's too"
# contain's own differ (a score of 300, 1024 open files), so that inheriting
# them instead would show.
echo 300 >/proc/self/oom_score_adj
limits() { awk '/^Max processes/ {print $3, $4} /^Max open files/ {print $4, $5}' <<<"$1" | xargs; }  # nproc, then nofile
prlimit --pid $$ --nofile=1024:4096
contain run -d --name lim --ulimit nofile=256:512 --ulimit nproc=100:200 --oom-score-adj 500 \
  --rootfs rootfs -- sleep 1000 >/dev/null
pid=$(contain ps --json | jq -r '.[] | select(.name == "lim") | .pid')
assert_eq "100 200 256 512" "$(limits "$(cat /proc/$pid/limits)")" "run's limits"
assert_eq 500 "$(cat /proc/$pid/oom_score_adj)" "run's score"
out=$(contain exec lim -- cat /proc/self/limits /proc/self/oom_score_adj)
assert_eq "100 200 256 512" "$(limits "$out")" "exec's limits"
assert_eq 500 "$(tail -n1 <<<"$out")" "exec's score"
contain rm -f lim
contain run -d --name lim --rootfs rootfs -- sleep 1000 >/dev/null
assert_eq 0 "$(contain exec lim -- cat /proc/self/oom_score_adj)" "exec's score without --oom-score-adj"
contain rm -f lim
echo 0 >/proc/self/oom_score_adj

step "--read-only with --tmpfs /tmp; a volume's writes reach the host"
expect_fail 1 "Read-only file system" -- contain run --read-only --rootfs rootfs -- touch /x
contain run --read-only --tmpfs /tmp --rootfs rootfs -- touch /tmp/x
mkdir -p shared
contain run -v "$PWD/shared:/data" --rootfs rootfs -- sh -c 'echo hi > /data/f'
assert_eq hi "$(cat shared/f)" "a volume's write on the host"
expect_fail 1 "Read-only file system" -- contain run -v "$PWD/shared:/data:ro" --rootfs rootfs -- touch /data/g

step "--overlay leaves DIR byte-identical"
before=$(cd rootfs && find . -printf '%p %s %m\n' | sort | sha256sum)
contain run --rootfs rootfs --overlay -- sh -c 'echo new > /new && rm /bin/ls && echo x >> /etc/passwd'
assert_eq "$before" "$(cd rootfs && find . -printf '%p %s %m\n' | sort | sha256sum)" "rootfs after --overlay"

step "the root's /etc/passwd is read inside the root: no link out of it, no FIFO"
mkdir -p linked/bin linked/etc
cp "$(command -v busybox)" linked/bin/busybox
echo 'evil:x:4242:4242::/:/bin/sh' > outside-passwd
# The observer first: as a file of the root, the line gives the user.
cp outside-passwd linked/etc/passwd
assert_eq "4242" "$(contain run --rootfs linked -u evil -- /bin/busybox id -u)" "-u evil from the root's file"
# A link to a host file resolves inside the root, where there is no such file.
rm linked/etc/passwd && ln -s "$PWD/outside-passwd" linked/etc/passwd
expect_fail 2 "no user named 'evil'" -- contain run --rootfs linked -u evil -- /bin/busybox true
rm linked/etc/passwd && ln -s ../../outside-passwd linked/etc/passwd
expect_fail 2 "no user named 'evil'" -- contain run --rootfs linked -u evil -- /bin/busybox true
# A FIFO would block the start for ever: refused without being opened.
rm linked/etc/passwd && mkfifo linked/etc/passwd
expect_fail 1 "etc/passwd is not a regular file" -- timeout 20 "$CONTAIN" run --rootfs linked -- /bin/busybox true
rm -rf linked outside-passwd

step "bad values are refused before anything is created"
expect_fail 2 "unknown capability 'NOPE'" -- contain run --cap-add NOPE -- true
expect_fail 2 "'abc' is not a number" -- contain run --ulimit nofile=abc -- true
expect_fail 2 "no user named 'mallory'" -- contain run --user mallory --rootfs rootfs -- true
echo 'not json' > bad.json
expect_fail 2 "not valid JSON" -- contain run --security-opt seccomp=bad.json -- true
expect_fail 2 "does not exist" -- contain run -v /nonexistent-host-path:/x -- true
assert_eq "" "$(contain ps -a --json | python3 -c 'import json,sys; print("".join(c["name"] for c in json.load(sys.stdin)))')" "containers left"
rm -rf rootfs shared profile.json bad.json
