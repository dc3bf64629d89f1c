# contain run --rootfs: a busybox root file system becomes /, with /proc, a
# minimal /dev and a read-only /sys; the host's files are out of reach.
. "$TESTS_SUPPORT/lib.sh"

step "a rootfs with nothing but a static busybox"
mkdir -p rootfs/bin
cp "$(command -v busybox)" rootfs/bin/busybox
for applet in sh ls cat echo hostname ps mount touch id readlink sleep stat; do ln -s busybox rootfs/bin/$applet; done
echo host-only > host-secret

step "/ is the rootfs; the host's files are not visible"
assert_eq "bin dev proc sys" "$(contain run --rootfs rootfs -- ls / | xargs)" "entries of /"
expect_fail 1 'No such file or directory' -- contain run --rootfs rootfs -- cat "$PWD/host-secret"
rc=0; contain run --rootfs rootfs -- ls "$PWD" /etc /usr >/dev/null 2>&1 || rc=$?
[[ $rc -ne 0 ]] || die "host directories are visible in the rootfs"
# No path leads back to the old root: it was detached after pivot_root.
# (Below /proc and /sys: the masked and read-only paths, see container_security.)
assert_eq "/ /dev /dev/mqueue /dev/pts /dev/shm /proc /sys" \
  "$(contain run --rootfs rootfs -- cat /proc/self/mountinfo |
    awk '$5 !~ "^/(proc|sys)/" {print $5}' | sort | xargs)" "mount points inside"

step "/proc works and shows only the container"
assert_eq 1 "$(contain run --rootfs rootfs -- sh -c 'echo $$')" "PID of the command"
assert_eq "1" "$(contain run --rootfs rootfs -- ps -o pid | tail -n +2 | xargs)" "processes"
assert_eq "/bin/busybox" "$(contain run --rootfs rootfs -- readlink /proc/self/exe)" "/proc/self/exe"

step "a minimal /dev"
out=$(contain run --rootfs rootfs -- sh -c 'echo x > /dev/null && ls /dev | xargs')
assert_eq "fd full mqueue null ptmx pts random shm stderr stdin stdout tty urandom zero" "$out" "/dev"
for node in null zero full random urandom tty; do
  assert_eq "$(stat -c '%F %t:%T %a' /dev/$node)" \
    "$(contain run --rootfs rootfs -- stat -c '%F %t:%T %a' /dev/$node)" "/dev/$node"
done
assert_eq 16 "$(contain run --rootfs rootfs -- sh -c 'cat /dev/zero | head -c 16 | wc -c')" "/dev/zero"
contain run --rootfs rootfs -- touch /dev/shm/ok

step "/sys is read-only and shows the container's network devices"
assert_eq "lo" "$(contain run --rootfs rootfs -- ls /sys/class/net)" "/sys/class/net"
assert_eq ro "$(contain run --rootfs rootfs -- cat /proc/self/mountinfo |
  awk '$5 == "/sys" { split($6, o, ","); print o[1] }')" "/sys mount option"

step "PATH lookup, -w and the exit code inside the rootfs"
assert_eq "/bin" "$(contain run --rootfs rootfs -w /bin -- sh -c pwd)" "-w"
rc=0; contain run --rootfs rootfs -- sh -c 'exit 9' || rc=$?
assert_eq 9 "$rc" "exit code"
expect_fail 127 'bash: command not found' -- contain run --rootfs rootfs -- bash

step "exec into a detached rootfs container joins its root"
contain run -d --name boxed --rootfs rootfs -w /bin -- sleep 1000 >/dev/null
assert_eq "bin dev proc sys" "$(contain exec boxed -- ls / | xargs)" "/ through exec"
assert_eq "/bin" "$(contain exec boxed -- sh -c pwd)" "working directory through exec"
expect_fail 1 'No such file or directory' -- contain exec boxed -- cat "$PWD/host-secret"
contain rm -f boxed

step "the host sees none of the container's mounts"
assert_eq "" "$(findmnt -rno TARGET | grep rootfs || true)" "mounts under the rootfs on the host"
rm -rf rootfs host-secret
