#!/usr/bin/env bash
# A container-style network setup — namespace, link to the host with an
# address, NAT to the outside, one published port — added and removed by
# contain and by the reference CNI plugins (bridge + portmap, driven directly
# through CNI_* variables and JSON on stdin as a runtime does), in the same run.
#
# contain is measured twice: as the CLI (one process per step: net create, net
# veth, nat enable, forward add; net delete, nat disable) and as the library
# (bench/nat_setup.cpp, the same engine calls in one process).
#
#   bench/run nat_vs_cni [ROUNDS]     (default 15; prints medians in ms)
set -euo pipefail
. "$(dirname "$0")/lib.sh"
rounds=${1:-15}
nat_setup=$(dirname "$CONTAIN")/bench/nat_setup
[[ -x $nat_setup ]] || cmake --build "$(dirname "$CONTAIN")" --target nat_setup >/dev/null
cni=/usr/lib/cni
[[ -x $cni/bridge && -x $cni/portmap ]] || { echo "install containernetworking-plugins" >&2; exit 1; }

bridge_conf='{"cniVersion":"1.0.0","name":"bench","type":"bridge","bridge":"cni0","isGateway":true,"ipMasq":true,
  "ipam":{"type":"host-local","subnet":"10.88.0.0/16","dataDir":"/run/cni-ipam","routes":[{"dst":"0.0.0.0/0"}]}}'
portmap_conf() {  # PREV_RESULT HOST_PORT
  jq -c --argjson prev "$1" --argjson port "$2" -n '{cniVersion:"1.0.0", name:"bench", type:"portmap",
    capabilities:{portMappings:true}, prevResult:$prev,
    runtimeConfig:{portMappings:[{hostPort:$port, containerPort:80, protocol:"tcp"}]}}'
}
cni_run() {  # COMMAND ID PLUGIN CONFIG
  CNI_COMMAND=$1 CNI_CONTAINERID=$2 CNI_NETNS=/run/netns/$2 CNI_IFNAME=eth0 CNI_PATH=$cni \
    "$cni/$3" <<<"$4"
}

: >cni_add; : >cni_del; : >contain_add; : >contain_del
for ((i = 1; i <= rounds; i++)); do
  # --- reference: ip netns add, bridge ADD, portmap ADD; portmap DEL, bridge DEL, ip netns del
  t=$EPOCHREALTIME
  ip netns add "c$i"
  result=$(cni_run ADD "c$i" bridge "$bridge_conf")
  pm=$(portmap_conf "$result" $((8000 + i)))
  cni_run ADD "c$i" portmap "$pm" >/dev/null
  ms_since "$t" >>cni_add
  t=$EPOCHREALTIME
  cni_run DEL "c$i" portmap "$pm" >/dev/null
  cni_run DEL "c$i" bridge "$bridge_conf" >/dev/null
  ip netns del "c$i"
  ms_since "$t" >>cni_del

  # --- contain: the same with one command per step
  t=$EPOCHREALTIME
  contain net create "k$i"
  contain net veth --host "k$i-h" --ns "k$i" --host-addr "10.89.$i.1/24" --ns-addr "10.89.$i.2/24"
  contain nat enable --subnet "10.89.$i.0/24"
  contain forward add --host-port $((8000 + i)) --to "k$i:80"
  ms_since "$t" >>contain_add
  t=$EPOCHREALTIME
  contain net delete "k$i"  # removes the forward it owns
  contain nat disable --subnet "10.89.$i.0/24"
  ms_since "$t" >>contain_del
done

# --- contain as a library: the same steps in one process (how a runtime or the
# CNI mode uses it), so the difference is the work, not process start-up.
"$nat_setup" "$rounds" 9000 >library
cut -d' ' -f1 library >library_add; cut -d' ' -f2 library >library_del

ca=$(median <cni_add); cd=$(median <cni_del); ka=$(median <contain_add); kd=$(median <contain_del)
la=$(median <library_add); ld=$(median <library_del)
exec_ms=$( { t=$EPOCHREALTIME; for _ in 1 2 3 4 5 6 7 8 9 10; do /bin/true; done; echo "($EPOCHREALTIME - $t) * 100" | bc; } )
printf 'container setup with NAT and one published port, median of %d rounds (ms)\n' "$rounds"
printf '                      CNI bridge+portmap   contain CLI (4+2 processes)   contain library (1 process)\n'
printf '  add:                %10.2f           %8.2f  %5.1fx faster       %8.2f  %6.1fx faster\n' \
  "$ca" "$ka" "$(bc -l <<<"$ca/$ka")" "$la" "$(bc -l <<<"$ca/$la")"
printf '  remove:             %10.2f           %8.2f  %5.1fx faster       %8.2f  %6.1fx faster\n' \
  "$cd" "$kd" "$(bc -l <<<"$cd/$kd")" "$ld" "$(bc -l <<<"$cd/$ld")"
printf '  (starting one process, /bin/true, costs %.2f ms on this machine right now)\n' "$exec_ms"
[[ -z $(contain forward list --json | jq '.[]') ]] || { echo "contain left forwards" >&2; exit 1; }
