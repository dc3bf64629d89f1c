# Containers on a managed network: addresses from the pool or --ip, talking to
# each other and to the gateway; exec/ps/stop/rm; nothing left afterwards.
. "$TESTS_SUPPORT/lib.sh"

contain network create backend --subnet 10.89.0.0/24

step "a foreground container gets an address, a default route and reaches the gateway"
out=$(contain run --network backend -- sh -c 'ip -o -4 addr show dev eth0; ip route show default; ping -c1 -w10 10.89.0.1 >/dev/null && echo gateway-answers')
assert_contains "$out" "inet 10.89.0.2/24" "address from the pool"
assert_contains "$out" "default via 10.89.0.1 dev eth0" "default route"
assert_contains "$out" "gateway-answers" "ping to the gateway"
assert_eq "" "$(contain network inspect backend --json | jq -r '.attachments[]?.owner')" \
  "attachments after the foreground container exited"
assert_eq "cn-backend" "$(ip -o link show | awk -F': ' '$2 != "lo" {print $2}' | xargs)" \
  "host links after it exited (the veth went with its namespace)"

step "two detached containers talk to each other"
contain run -d --name a --network backend -- sleep 1000 >/dev/null
contain run -d --name b --network backend --ip 10.89.0.50 -- sleep 1000 >/dev/null
assert_eq "10.89.0.2 10.89.0.50" \
  "$(contain ps --json | jq -r 'sort_by(.name) | .[].address' | xargs)" "ps addresses"
assert_eq "backend backend" "$(contain ps --json | jq -r '.[].network' | xargs)" "ps networks"
contain exec a -- ping -c1 -w10 10.89.0.50 >/dev/null
contain exec b -- ping -c1 -w10 10.89.0.2 >/dev/null
assert_eq "container/a container/b" \
  "$(contain network inspect backend --json | jq -r '.attachments[].owner' | sort | xargs)" "attachments"

step "a published port answers on the host's localhost and from another container"
contain run -d --name web --network backend -p 8080:80 -p 127.0.0.1:5353:53/udp -- \
  socat TCP-LISTEN:80,fork,reuseaddr SYSTEM:'echo hello-from-web' >/dev/null
web_ip=$(contain ps --json | jq -r '.[] | select(.name=="web") | .address')
assert_eq "8080:80 127.0.0.1:5353:53/udp" "$(contain ps --json | jq -r '.[] | select(.name=="web") | .ports[]' | xargs)" "ps ports"
assert_contains "$(contain forward list)" "$web_ip:80" "forward list"
wait_until 10 socat -T1 - TCP:127.0.0.1:8080
assert_eq hello-from-web "$(socat -T2 - TCP:127.0.0.1:8080 </dev/null)" "answer on localhost:8080"
assert_eq hello-from-web "$(contain exec a -- socat -T2 - TCP:$web_ip:80 </dev/null)" "answer inside the network"
before=$(kernel_state)
expect_fail 1 'host port 8080/tcp is already forwarded' -- contain run --network backend -p 8080:81 -- true
assert_eq "$before" "$(kernel_state)" "kernel state after the refused run"
contain stop --time 0 web
assert_eq "" "$(contain forward list --json | jq -r '.[].to')" "forwards after stop"
[[ $(nft list map inet contain fwd4 2>/dev/null) != *"$web_ip"* ]] || die "the forward is still in nftables"
contain rm web

step "a taken address is refused, before anything is made"
before=$(kernel_state)
expect_fail 1 'address 10.89.0.50 is already in use on network "backend"' -- contain run --network backend --ip 10.89.0.50 -- true
assert_eq "$before" "$(kernel_state)" "kernel state after the refused run"

step "stop frees the address at once and leaves no link of it; rm leaves nothing"
assert_eq 2 "$(ip -o link show type veth | wc -l)" "host veths of a and b (the observer works)"
contain stop --time 0 b
assert_eq 1 "$(ip -o link show type veth | wc -l)" "host veths once b is stopped (a's only)"
assert_eq "container/a" "$(contain network inspect backend --json | jq -r '.attachments[].owner' | xargs)" \
  "attachments after stop"
contain run --network backend --ip 10.89.0.50 -- true
assert_eq 1 "$(ip -o link show type veth | wc -l)" "host veths once a foreground run has exited"
contain rm b
contain rm -f a
assert_eq "[]" "$(contain network inspect backend --json | jq -c '.attachments')" "attachments after rm"
assert_eq "cn-backend" "$(ip -o link show | awk -F': ' '$2 != "lo" {print $2}' | xargs)" "host links after rm"

step "gc: containers killed with their monitor or their 'contain run'"
contain run -d --name orphan --network backend -p 8081:80 -- sleep 1000 >/dev/null
kill -KILL "$(jq -r .monitor_pid /run/contain/containers/orphan)"
"$CONTAIN" run --name fg-orphan --network backend -- sleep 1000 &
fg=$!
wait_until 10 contain exec fg-orphan -- true
kill -KILL $fg
wait $fg || true
# The containers die with their parent (PR_SET_PDEATHSIG); their records stay.
wait_until 10 bash -c "[[ \$(\"$CONTAIN\" ps --json | jq length) == 0 ]]"
out=$(contain gc)
assert_contains "$out" "marked container orphan exited" "gc output"
assert_contains "$out" "removed the record of container fg-orphan" "gc output"
assert_eq "exited (?)" "$(contain ps -a | awk '$1 == "orphan" {print $4, $5}')" "orphan's status"
assert_eq "[]" "$(contain network inspect backend --json | jq -c '.attachments')" "attachments after gc"
assert_eq "[]" "$(contain forward list --json | jq -c .)" "forwards after gc"
contain rm orphan
assert_eq "nothing to collect" "$(contain gc)" "second gc"

step "an unknown network is refused before anything is made"
expect_fail 1 'network "nowhere" does not exist' -- contain run --network nowhere -- true
assert_eq "[]" "$(contain ps -a --json | jq -c .)" "containers"
contain network delete backend
