# Containers, bad input: one clear line, the right exit code, nothing changed.
. "$TESTS_SUPPORT/lib.sh"

before=$(kernel_state)

step "names, ports, environment, directories"
expect_fail 2 'container name "bad name" is invalid' -- contain run --name "bad name" -- true
expect_fail 2 'container name "-x" is invalid: it must start with a letter or a digit' -- contain run --name=-x -- true
expect_fail 2 "is 64 bytes long, the limit is 63" -- contain run --name "$(printf 'x%.0s' {1..64})" -- true
expect_fail 2 'port mapping "99999:80" is invalid: the host port "99999"' -- contain run -p 99999:80 -- true
expect_fail 2 'port mapping "80" is invalid: use \[ADDR:\]HOSTPORT:PORT' -- contain run -p 80 -- true
expect_fail 2 'port mapping "8080:80/sctp" is invalid: the protocol must be tcp or udp' -- contain run -p 8080:80/sctp -- true
expect_fail 2 '"nowhere" is not an IP address' -- contain run -p nowhere:8080:80 -- true
expect_fail 2 '-p needs a managed network' -- contain run -p 8080:80 -- true
expect_fail 2 '--ip needs a managed network' -- contain run --ip 10.0.0.2 -- true
expect_fail 2 'environment entry "NOVALUE" is invalid: use KEY=VALUE' -- contain run -e NOVALUE -- true
expect_fail 2 'the working directory must be an absolute path' -- contain run -w tmp -- true
expect_fail 2 '--rootfs "/no/such/dir": No such file or directory' -- contain run --rootfs /no/such/dir -- true
expect_fail 2 '--network "a/b" is invalid' -- contain run --network a/b -- true
expect_fail 2 'no command given' -- contain exec somewhere --
expect_fail 2 'container name "a/b" is invalid' -- contain stop a/b

step "networks that are not there"
expect_fail 1 'network namespace "ghost" does not exist' -- contain run --network netns:ghost -- true
expect_fail 1 'network "mynet" does not exist' -- contain run --network mynet -- true
assert_eq "$before" "$(kernel_state)" "kernel state after refused commands"

step "a published address of the other family than the network's: usage error, before any clone"
contain network create v4net --subnet 198.51.100.0/24
with_network=$(kernel_state)
strace -f -q -e trace=clone,clone3 -o clones.txt \
  "$CONTAIN" run --network v4net -p '[::1]:8080:80' -- true 2>refused.txt && die "the run was accepted"
[[ -s refused.txt ]] || die "no error message"
cat refused.txt
grep -qE -- "-p \[::1\]:8080:80: host address ::1 is IPv6 but network \"v4net\" \(198.51.100.0/24\) is IPv4" refused.txt ||
  die "unexpected message: $(cat refused.txt)"
rc=0; "$CONTAIN" run --network v4net -p '[::1]:8080:80' -- true 2>/dev/null || rc=$?
assert_eq 2 "$rc" "exit code of the refused run"
grep -q 'exited with 2' clones.txt || die "strace did not see the run end: $(cat clones.txt)"
assert_eq 0 "$(grep -cE '^[0-9]+ +clone3?\(' clones.txt || true)" "processes cloned by the refused run"
expect_fail 2 '--ip 2001:db8::5 is not in network "v4net"' -- contain run --network v4net --ip 2001:db8::5 -- true
assert_eq "$with_network" "$(kernel_state)" "kernel state after the refused runs"
rm clones.txt refused.txt
contain network delete v4net

step "not root: a clear message, nothing changed"
# (An ordinary user runs rootless containers of their own: see container_rootless. Listing
# commands work without root: see listing_unprivileged.)
mkdir nobody-run && chown 65534:65534 nobody-run
as_nobody() {
  setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all \
    env XDG_RUNTIME_DIR="$PWD/nobody-run" "$@"
}
contain network create v4net --subnet 10.77.0.0/24
with_network=$(kernel_state)
expect_fail 2 "--network v4net: a managed network needs root" -- \
  as_nobody "$CONTAIN" run --network v4net -- true
expect_fail 2 "--network v4net: a managed network needs root" -- \
  as_nobody "$CONTAIN" run -d --network v4net -- true
for cmd in "exec c -- true" "stop c" "rm c"; do
  expect_fail 1 'container "c" does not exist' -- as_nobody "$CONTAIN" $cmd
done
assert_eq "$with_network" "$(kernel_state)" "kernel state after unprivileged commands"
contain network delete v4net
[[ -z $(ls -A nobody-run) ]] || die "nobody's refused commands left: $(ls -A nobody-run)"
rmdir nobody-run

step "--help works on every container command"
for cmd in run exec ps logs stop rm; do
  assert_contains "$(contain $cmd --help)" "Usage:" "help of '$cmd'"
done
assert_contains "$(contain run --help)" "CMD [ARG...]" "run's help"
