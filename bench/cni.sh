#!/usr/bin/env bash
# The CNI plugin mode against the reference chain of Debian's
# containernetworking-plugins, both driven as a runtime drives them (CNI_*
# variables, the configuration on stdin, prevResult handed along the chain),
# interleaved in one run, with the same network and one published port:
#   reference: bridge (+ host-local) -> portmap -> firewall; DEL in reverse
#   contain:   one plugin, one process per verb
# Also VERSION (a runtime runs it for every plugin of every network on every command).
#
#   bench/run cni [ROUNDS]     (default 20; prints medians in ms)
set -euo pipefail
. "$(dirname "$0")/lib.sh"
rounds=${1:-20}
cni=/usr/lib/cni
[[ -x $cni/bridge && -x $cni/portmap && -x $cni/firewall ]] || {
  echo "install containernetworking-plugins" >&2
  exit 1
}
mkdir -p plugins && cp "$CONTAIN" plugins/contain

ref_conf() {  # TYPE [PREV_RESULT]
  jq -c --arg type "$1" --argjson prev "${2:-null}" -n '{cniVersion:"1.0.0", name:"ref", type:$type,
    bridge:"cni-ref", isGateway:true, ipMasq:true,
    ipam:{type:"host-local", ranges:[[{subnet:"10.88.0.0/16"}]], routes:[{dst:"0.0.0.0/0"}],
          dataDir:"/run/cni-ipam"},
    capabilities:{portMappings:true},
    runtimeConfig:{portMappings:[{hostPort:8080, containerPort:80, protocol:"tcp"}]}}
    + (if $prev == null then {} else {prevResult:$prev} end)'
}
contain_conf='{"cniVersion":"1.0.0","name":"bench","type":"contain","ipMasq":true,
  "ipam":{"type":"host-local","ranges":[[{"subnet":"10.89.0.0/16"}]],"routes":[{"dst":"0.0.0.0/0"}]},
  "runtimeConfig":{"portMappings":[{"hostPort":9090,"containerPort":80,"protocol":"tcp"}]}}'
run() {  # COMMAND ID PLUGIN CONFIG
  CNI_COMMAND=$1 CNI_CONTAINERID=$2 CNI_NETNS=/run/netns/$2 CNI_IFNAME=eth0 CNI_PATH=$cni \
    "$3" <<<"$4"
}

: >ref_add; : >ref_del; : >contain_add; : >contain_del; : >ref_version; : >contain_version
for ((i = 1; i <= rounds; i++)); do
  ip netns add "r$i"
  ip netns add "k$i"
  t=$EPOCHREALTIME
  prev=$(run ADD "r$i" $cni/bridge "$(ref_conf bridge)")
  prev=$(run ADD "r$i" $cni/portmap "$(ref_conf portmap "$prev")")
  prev=$(run ADD "r$i" $cni/firewall "$(ref_conf firewall "$prev")")
  ms_since "$t" >>ref_add
  t=$EPOCHREALTIME
  run ADD "k$i" plugins/contain "$contain_conf" >/dev/null
  ms_since "$t" >>contain_add

  t=$EPOCHREALTIME
  run DEL "r$i" $cni/firewall "$(ref_conf firewall "$prev")" >/dev/null
  run DEL "r$i" $cni/portmap "$(ref_conf portmap "$prev")" >/dev/null
  run DEL "r$i" $cni/bridge "$(ref_conf bridge "$prev")" >/dev/null
  ms_since "$t" >>ref_del
  t=$EPOCHREALTIME
  run DEL "k$i" plugins/contain "$contain_conf" >/dev/null
  ms_since "$t" >>contain_del
  ip netns del "r$i"
  ip netns del "k$i"

  t=$EPOCHREALTIME
  CNI_COMMAND=VERSION $cni/bridge <<<'{"cniVersion":"1.0.0"}' >/dev/null
  ms_since "$t" >>ref_version
  t=$EPOCHREALTIME
  CNI_COMMAND=VERSION plugins/contain <<<'{"cniVersion":"1.0.0"}' >/dev/null
  ms_since "$t" >>contain_version
done

ratio() { echo "scale=3; $1 / $2" | bc; }
echo "CNI plugin mode, $rounds rounds, medians in ms (ratio = contain / reference)"
for what in add del version; do
  r=$(median <ref_$what)
  c=$(median <contain_$what)
  printf '%-8s reference %8s   contain %8s   ratio %s\n' "$what" "$r" "$c" "$(ratio "$c" "$r")"
done
printf 'reference: bridge+host-local, portmap, firewall; contain: one plugin. VERSION: the bridge plugin alone.\n'
ip link del cni-ref 2>/dev/null || true
rm -rf plugins ref_* contain_*
