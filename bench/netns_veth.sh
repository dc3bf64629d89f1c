# N namespaces, each with a veth to the host and an address on both ends, then
# deleted: contain (one `net create` + one `net veth` per namespace, one
# `net delete` for all) against the step-by-step iproute2 way (one `ip` process
# per step), in the same run. Usage: bench/run netns_veth [N]
set -euo pipefail
. "$(dirname "$0")/lib.sh"
N=${1:-100}
C=$CONTAIN
# 198.18.0.0/15 is the benchmarking range (RFC 2544): one /30 per namespace.
addr() { echo "198.$((18 + $1 / 256)).$(($1 % 256)).$2/30"; }

step_by_step_create() {
  for ((i = 0; i < N; i++)); do
    ip netns add "ipns$i"
    ip link add "iph$i" type veth peer name veth0
    ip link set veth0 netns "ipns$i"
    ip addr add "$(addr $i 1)" dev "iph$i"
    ip link set "iph$i" up
    ip -n "ipns$i" addr add "$(addr $i 2)" dev veth0
    ip -n "ipns$i" link set veth0 up
    ip -n "ipns$i" link set lo up
  done
}
step_by_step_delete() { for ((i = 0; i < N; i++)); do ip netns del "ipns$i"; done; }

contain_create() {
  for ((i = 0; i < N; i++)); do
    "$C" net create "cns$i"
    "$C" net veth --host "ch$i" --ns "cns$i" --host-addr "$(addr $i 1)" --ns-addr "$(addr $i 2)"
  done
}
contain_delete() {
  local names=()
  for ((i = 0; i < N; i++)); do names+=("cns$i"); done
  "$C" net delete "${names[@]}"
}
contain_delete_one_by_one() { for ((i = 0; i < N; i++)); do "$C" net delete "cns$i"; done; }

check_reachable() {  # first and last namespace answer a ping from the host
  ping -c1 -W2 "${1%/*}" >/dev/null && ping -c1 -W2 "${2%/*}" >/dev/null
}

t=$EPOCHREALTIME; step_by_step_create; ip_create=$(ms_since "$t")
check_reachable "$(addr 0 2)" "$(addr $((N - 1)) 2)"
t=$EPOCHREALTIME; step_by_step_delete; ip_delete=$(ms_since "$t")
wait_links_gone; ip_left=$(links_left)

t=$EPOCHREALTIME; contain_create; c_create=$(ms_since "$t")
check_reachable "$(addr 0 2)" "$(addr $((N - 1)) 2)"
t=$EPOCHREALTIME; contain_delete; c_delete=$(ms_since "$t")
c_left=$(links_left)   # contain waits for the kernel: nothing may be left now

contain_create >/dev/null
t=$EPOCHREALTIME; contain_delete_one_by_one; c_delete1=$(ms_since "$t")
c_left1=$(links_left)

printf '\nnetns_veth: %d namespaces, each with a veth to the host and addresses on both ends\n' "$N"
printf '%-34s %10s %10s %8s\n' "" "ip (ms)" "contain" "speed-up"
printf '%-34s %10.0f %10.0f %8s\n' "create (8 ip / 2 contain per ns)" "$ip_create" "$c_create" "$(ratio $ip_create $c_create)"
printf '%-34s %10.0f %10.0f %8s\n' "delete all (one contain command)" "$ip_delete" "$c_delete" "$(ratio $ip_delete $c_delete)"
printf '%-34s %10.0f %10.0f %8s\n' "delete one by one" "$ip_delete" "$c_delete1" "$(ratio $ip_delete $c_delete1)"
printf 'per namespace: ip %.2f ms, contain %.2f ms to create\n' \
  "$(awk -v t=$ip_create -v n=$N 'BEGIN{print t/n}')" "$(awk -v t=$c_create -v n=$N 'BEGIN{print t/n}')"
printf 'links left after delete: ip %d (after waiting), contain %d (at return), %d (one by one)\n' \
  "$ip_left" "$c_left" "$c_left1"
[[ $c_left -eq 0 && $c_left1 -eq 0 ]] || { echo "contain left links behind" >&2; exit 1; }
