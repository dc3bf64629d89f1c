# Rootless networking through pasta: outbound connections reach the test's
# "internet" namespace, a published port answers on the host's localhost, and
# pasta goes with the container. (This host's /dev/net/tun is root's only: the
# sandbox gets a usable node of its own, in its own mount namespace.)
. "$TESTS_SUPPORT/lib.sh"

user=65534
mkdir home-nobody && chown $user:$user home-nobody
as_user() {
  setpriv --reuid=$user --regid=$user --clear-groups --inh-caps=-all \
    env XDG_RUNTIME_DIR="$PWD/home-nobody" "$@"
}

step "without a usable /dev/net/tun: a clear error"
if ! as_user test -r /dev/net/tun -a -w /dev/net/tun; then
  expect_fail 1 "--network pasta: /dev/net/tun is not usable by you" -- \
    as_user "$CONTAIN" run --network pasta -- true
fi
mount -t tmpfs -o mode=755 sandbox-dev-net /dev/net
mknod -m 666 /dev/net/tun c 10 200

step "the internet: a namespace behind a veth, the sandbox's default route through it"
ip netns add inet
ip link add uplink type veth peer name eth0 netns inet
ip addr add 203.0.113.1/24 dev uplink && ip link set uplink up
ip -n inet addr add 203.0.113.2/24 dev eth0 && ip -n inet link set eth0 up && ip -n inet link set lo up
ip -n inet addr add 198.51.100.1/32 dev lo
ip route add default via 203.0.113.2
mkdir www && echo hello-from-the-internet > www/index.html
start_ready "Serving HTTP" ip netns exec inet python3 -u -m http.server 8000 --bind 198.51.100.1 \
  --directory "$PWD/www"

step "outbound: the container reaches the internet through pasta"
out=$(as_user "$CONTAIN" run --network pasta -- curl -sS -m 5 http://198.51.100.1:8000/)
assert_eq "hello-from-the-internet" "$out" "page fetched from inside"
# Without pasta the same fetch cannot get out (the observer can fail).
rc=0
as_user "$CONTAIN" run -- curl -sS -m 2 http://198.51.100.1:8000/ >/dev/null 2>&1 || rc=$?
[[ $rc -ne 0 ]] || die "--network none reached the internet"

step "a published port answers on the host's localhost"
as_user "$CONTAIN" run -d --name srv --network pasta -p 8080:80 -- \
  socat TCP-LISTEN:80,reuseaddr,fork SYSTEM:"echo hello-from-the-container" >/dev/null
pasta_pid=$(as_user "$CONTAIN" inspect srv --json | jq -r .pasta_pid)
[[ -d /proc/$pasta_pid ]] || die "no pasta process $pasta_pid while srv runs"
assert_eq "$user" "$(stat -c %u /proc/$pasta_pid)" "pasta runs as the user"
# Until the server listens, pasta accepts and resets: wait for the answer itself.
answer() { socat -T 2 - TCP:127.0.0.1:8080 </dev/null; }
wait_until 10 sh -c "socat -T 2 - TCP:127.0.0.1:8080 </dev/null | grep -q hello-from-the-container"
assert_eq "hello-from-the-container" "$(answer)" "answer on the host's localhost:8080"

step "pasta goes with the container"
as_user "$CONTAIN" rm -f srv
# (Gone, or a zombie the sandbox's init has not reaped yet: it has ended.)
state=$(awk '{print $3}' /proc/$pasta_pid/stat 2>/dev/null || echo gone)
[[ $state == gone || $state == Z ]] || die "pasta $pasta_pid left after rm (state $state)"
[[ -z $(ls -A home-nobody/contain 2>/dev/null) ]] || die "state left: $(ls -A home-nobody/contain)"

kill "$SERVER_PID"
ip netns del inet
ip link del uplink 2>/dev/null || true
umount /dev/net
rm -rf www home-nobody
