# podman 4 (Debian's 4.3.1, CNI backend) with contain as its only network
# plugin: a conflist of one plugin of type "contain" replaces bridge +
# host-local + portmap + firewall + tuning. Containers come from a busybox
# directory (podman run --rootfs); podman's storage, run root, CNI cache and
# configuration are the test's own.
. "$TESTS_SUPPORT/lib.sh"

step "podman set-up: containers.conf with the CNI backend and contain as the plugin"
# libcni's cache; the folder must exist on the host to be mounted over.
mount -t tmpfs cni-cache /var/lib/cni
# podman's cgroupfs manager takes one absolute parent for every hierarchy (the
# sandbox's own cgroup differs between them), so podman's cgroups live under a
# parent of the test's, removed at the end: the containers first, then any
# process left in them (conmon), then the directories. A cgroup left is a
# failure.
CGROUP_PARENT=contain-cni-test-$(head -c4 /dev/urandom | od -An -tx1 | tr -d ' \n')
remove_cgroups() {
  local rc=$? dirs pids left
  timeout 60 podman --root "$PWD/root" --runroot "$PWD/runroot" --storage-driver vfs \
    rm -af -t 0 >/dev/null 2>&1 || true
  mapfile -t dirs < <(find /sys/fs/cgroup/*/ -depth -type d -path "*/$CGROUP_PARENT*" 2>/dev/null)
  if ((${#dirs[@]})); then
    pids=$(cat "${dirs[@]/%//cgroup.procs}" 2>/dev/null | sort -u)
    if [[ -n $pids ]]; then
      kill -9 $pids 2>/dev/null || true
      wait_pids_gone 10 $pids
    fi
    rmdir "${dirs[@]}" 2>/dev/null || true
  fi
  left=$(find /sys/fs/cgroup/*/ -type d -path "*/$CGROUP_PARENT*" 2>/dev/null || true)
  [[ -z $left ]] || die "cgroups left: $(echo $left)"
  exit "$rc"
}
trap remove_cgroups EXIT

mkdir -p plugins cniconf root runroot tmp rootfs/bin rootfs/www
cp "$CONTAIN" plugins/contain
cp "$(command -v busybox)" rootfs/bin/busybox
for a in sh ip cat echo nc httpd sleep true wget; do ln -s busybox rootfs/bin/$a; done
echo "hello from the container" > rootfs/www/index.html
cat > containers.conf <<EOF
[network]
network_backend = "cni"
cni_plugin_dirs = ["$PWD/plugins"]
network_config_dir = "$PWD/cniconf"
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "$PWD/events.log"
runtime = "runc"
tmp_dir = "$PWD/tmp"
EOF
export CONTAINERS_CONF=$PWD/containers.conf
pm() {
  podman --root "$PWD/root" --runroot "$PWD/runroot" --storage-driver vfs "$@"
}
run_opts=(--cgroup-parent "/$CGROUP_PARENT" --rootfs "$PWD/rootfs")
conflist() {  # conflist NAME SUBNET GATEWAY
  cat > "cniconf/$1.conflist" <<EOF
{"cniVersion": "1.0.0", "name": "$1",
 "plugins": [{"type": "contain", "ipMasq": true,
   "ipam": {"type": "host-local", "ranges": [[{"subnet": "$2", "gateway": "$3"}]],
            "routes": [{"dst": "0.0.0.0/0"}]},
   "capabilities": {"portMappings": true, "ips": true, "mac": true}}]}
EOF
}
conflist front 198.51.100.0/24 198.51.100.1
conflist back 192.0.2.0/24 192.0.2.1
# An address of the host that is neither loopback nor the container's network.
make_internet

step "podman network ls lists the networks"
networks=$(pm network ls --format '{{.Name}} {{.Driver}}')
assert_contains "$networks" "front contain"
assert_contains "$networks" "back contain"

step "run: an address from the pool and the default route"
out=$(pm run --rm --network front "${run_opts[@]}" /bin/sh -c 'ip -o -4 addr show eth0; ip route')
assert_contains "$out" "inet 198.51.100.2/24"
assert_contains "$out" "default via 198.51.100.1 dev eth0"
assert_eq "" "$(contain network inspect front --json 2>/dev/null | jq -r '.attachments[]?')" \
  "attachments after run --rm"

step "a detached container: podman inspect shows address, MAC and gateway"
pm run -d --name web --network front -p 8080:80 "${run_opts[@]}" /bin/httpd -f -p 80 -h /www
ip=$(pm inspect web --format '{{.NetworkSettings.Networks.front.IPAddress}}')
mac=$(pm inspect web --format '{{.NetworkSettings.Networks.front.MacAddress}}')
gateway=$(pm inspect web --format '{{.NetworkSettings.Networks.front.Gateway}}')
assert_eq "198.51.100.1" "$gateway" "gateway"
[[ $ip == 198.51.100.* ]] || die "address $ip is not from the pool"
assert_contains "$(contain network inspect front --json | jq -r '.attachments[].address')" "$ip"
pid=$(pm inspect web --format '{{.State.Pid}}')
assert_contains "$(nsenter -t "$pid" -n ip link show eth0)" "link/ether $mac"

step "-p 8080:80 answers on the host's address, 127.0.0.1 and from another container"
wait_until 5 wget -qO- "http://$ip:80/"
assert_eq "hello from the container" "$(wget -qO- http://203.0.113.1:8080/)" "via the host's address"
assert_eq "hello from the container" "$(wget -qO- http://127.0.0.1:8080/)" "via 127.0.0.1"
assert_eq "hello from the container" \
  "$(pm run --rm --network front "${run_opts[@]}" /bin/wget -qO- http://203.0.113.1:8080/)" \
  "from another container"

step "--ip and --mac-address are honoured; a taken address gives our message"
out=$(pm run --rm --network front --ip 198.51.100.77 --mac-address 02:00:00:00:00:77 "${run_opts[@]}" \
  /bin/ip -o link show eth0)
assert_contains "$out" "02:00:00:00:00:77"
rc=0
err=$(pm run --rm --network front --ip "$ip" "${run_opts[@]}" /bin/true 2>&1) || rc=$?
[[ $rc -ne 0 ]] || die "a taken address was accepted"
assert_contains "$err" "address $ip is already in use on network \"front\""

step "-p 127.0.0.1:5353:53/udp reaches the container from the host's loopback"
pm run -d --name dns --network front -p 127.0.0.1:5353:53/udp "${run_opts[@]}" /bin/sleep 600
dns_ip=$(pm inspect dns --format '{{.NetworkSettings.Networks.front.IPAddress}}')
# busybox has no UDP server: whoami.py serves in the container's network namespace.
fifo=$(mktemp -u)
mkfifo "$fifo"
nsenter -t "$(pm inspect dns --format '{{.State.Pid}}')" -n \
  python3 "$TESTS_SUPPORT/whoami.py" serve udp 53 >"$fifo" &
WHOAMI_PIDS+=($!)
read -r -t 5 line <"$fifo" || true
rm -f "$fifo"
assert_eq "READY" "$line" "the UDP server in the container"
seen=$(python3 "$TESTS_SUPPORT/whoami.py" ask udp 127.0.0.1 5353)
[[ -n $seen ]] || die "no answer through 127.0.0.1:5353/udp"
echo "the container saw the datagram from $seen"
assert_contains "$(nft list ruleset)" "$dns_ip"
stop_whoami
pm rm -f -t 0 dns >/dev/null

step "two networks on one container"
out=$(pm run --rm --network front,back "${run_opts[@]}" /bin/ip -o -4 addr)
assert_contains "$out" "198.51.100."
assert_contains "$out" "192.0.2.2/24"

step "podman network reload keeps the container reachable"
pm network reload web
assert_eq "hello from the container" "$(wget -qO- http://127.0.0.1:8080/)" "after reload"
assert_eq "1" "$(contain network inspect front --json | jq '.attachments | length')"

step "20 stop/start cycles: no growth in records or rules"
rules_before=$(nft list ruleset | wc -l)
records_before=$(find /run/contain -type f | wc -l)
for i in $(seq 20); do
  pm stop -t 0 web >/dev/null
  pm start web >/dev/null
done
assert_eq "$rules_before" "$(nft list ruleset | wc -l)" "rule lines"
assert_eq "$records_before" "$(find /run/contain -type f | wc -l)" "records"
wait_until 5 wget -qO- http://127.0.0.1:8080/

step "kill -9 of the container, then podman rm -f: nothing left"
kill -9 "$(pm inspect web --format '{{.State.Pid}}')"
pm rm -f -t 0 web >/dev/null
assert_eq "" "$(ip -o link show | grep -E 'cn-|vc[0-9a-f]{12}' || true)" "links"
assert_eq "" "$(find /run/contain -type f -path '*/network/*' -o -type f -path '*/forward/*' -o -type f -path '*/cni/*')" "records"
assert_not_contains "$(nft list ruleset)" "8080" "nftables"

step "a wide range: -p 20000-20999:20000-20999 (1,000 mappings)"
start=$(date +%s%N)
pm run -d --name wide --network front -p 20000-20999:20000-20999 "${run_opts[@]}" /bin/httpd -f -p 20999 -h /www
echo "run -d with 1,000 mappings: $(( ($(date +%s%N) - start) / 1000000 )) ms"
assert_eq "1000" "$(find /run/contain/forward -type f | wc -l)" "forward records"
wait_until 5 wget -qO- http://127.0.0.1:20999/
pm rm -f -t 0 wide >/dev/null

step "after everything: no link, rule, namespace or record of ours"
pm rm -af -t 0 >/dev/null
stop_whoami
contain net delete internet
ip route del default 2>/dev/null || true
assert_eq "" "$(ip -o link show | grep -vE ' lo:' || true)" "links"
assert_eq "" "$(find /run/contain -type f)" "records"
assert_eq "" "$(ls /run/netns)" "namespaces"
