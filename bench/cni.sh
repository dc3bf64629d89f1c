#!/usr/bin/env bash
# The CNI plugin mode against the reference chain of Debian's
# containernetworking-plugins, both driven as a runtime drives them (CNI_*
# variables, the configuration on stdin, prevResult handed along the chain),
# interleaved in one run (the order of the two swapped each round):
#   reference: bridge (+ host-local) -> portmap -> firewall; DEL in reverse
#   contain:   one plugin, one process per verb
# Each call is timed by call.sh (below) from just before the first plugin
# starts to just after the last one ends: building the configurations (jq) is
# left out on both sides, as a runtime builds them in-process.
#   1. ADD and DEL of a container with one published port, ROUNDS each, and
#      VERSION (a runtime runs it for every plugin of every network on every command);
#   1b. the kernel's floor for 1.: the same kernel work as contain's ADD and
#      DEL (a bridge with its address, a veth pair into the namespace, the
#      addresses and default route, NAT and one DNAT rule; then one
#      RTM_DELLINK of both links as a link group and the table's removal) done
#      by iproute2 and nft from batch files: three processes per verb (their cost
#      alone is measured too), to set the "<= 0.1x" target against;
#   2. one ADD with 1,000 port mappings (20000-20999) and its DEL, BIG_ROUNDS
#      rounds (the reference takes about a minute per ADD);
#   3. while those 1,000 mappings exist, the ADD of one more container with one
#      mapping, MORE_ROUNDS each;
#   4. PARALLEL ADDs, 8 at a time, then their DELs, 8 at a time (each container
#      publishes its own port): failures, distinct addresses, p50/p99 of the
#      calls and the wall time of each batch.
#
#   bench/run cni [ROUNDS] [BIG_ROUNDS] [MORE_ROUNDS] [PARALLEL]
#   (defaults 20, 1, 10, 100; prints medians in ms; ratio = contain / reference)
set -euo pipefail
. "$(dirname "$0")/lib.sh"
rounds=${1:-20}
big_rounds=${2:-1}
more_rounds=${3:-10}
parallel=${4:-100}
cni=/usr/lib/cni
[[ -x $cni/bridge && -x $cni/portmap && -x $cni/firewall ]] || {
  echo "install containernetworking-plugins" >&2
  exit 1
}
mkdir -p plugins maps && cp "$CONTAIN" plugins/contain

# call.sh SIDE VERB ID MAPS_FILE: one ADD or DEL of container ID (namespace
# /run/netns/ID) by SIDE (ref or contain) with the portMappings in MAPS_FILE;
# prints "MS RC ADDRESS". The reference's prevResult is kept in prev.ID.
cat >call.sh <<'CALL'
#!/usr/bin/env bash
side=$1 verb=$2 id=$3 maps=$(<"$4")
cni=/usr/lib/cni
run() {  # COMMAND PLUGIN CONFIG
  CNI_COMMAND=$1 CNI_CONTAINERID=$id CNI_NETNS=/run/netns/$id CNI_IFNAME=eth0 CNI_PATH=$cni \
    "$2" <<<"$3"
}
# with_prev VAR CONFIG PREV: VAR = CONFIG with "prevResult": PREV (no process).
with_prev() { printf -v "$1" '%s,"prevResult":%s}' "${2%\}}" "$3"; }
declare -A conf
if [[ $side == ref ]]; then
  for type in bridge portmap firewall; do
    conf[$type]=$(jq -c --arg type "$type" --argjson maps "$maps" -n '{cniVersion:"1.0.0",
      name:"ref", type:$type, bridge:"cni-ref", isGateway:true, ipMasq:true,
      ipam:{type:"host-local", ranges:[[{subnet:"10.88.0.0/16"}]], routes:[{dst:"0.0.0.0/0"}],
            dataDir:"/run/cni-ipam"},
      capabilities:{portMappings:true}, runtimeConfig:{portMappings:$maps}}')
  done
  [[ $verb == DEL ]] && prev=$(<"prev.$id")
else
  conf[contain]=$(jq -c --argjson maps "$maps" -n '{cniVersion:"1.0.0", name:"bench",
    type:"contain", ipMasq:true,
    ipam:{type:"host-local", ranges:[[{subnet:"10.89.0.0/16"}]], routes:[{dst:"0.0.0.0/0"}]},
    runtimeConfig:{portMappings:$maps}}')
fi
rc=0 out=
t=${EPOCHREALTIME/./}
case $side/$verb in
  ref/ADD)
    { out=$(run ADD $cni/bridge "${conf[bridge]}") &&
      with_prev c "${conf[portmap]}" "$out" && out=$(run ADD $cni/portmap "$c") &&
      with_prev c "${conf[firewall]}" "$out" && out=$(run ADD $cni/firewall "$c"); } || rc=$? ;;
  ref/DEL)
    for type in firewall portmap bridge; do
      with_prev c "${conf[$type]}" "$prev"
      run DEL $cni/$type "$c" >/dev/null || rc=$?
    done ;;
  *) out=$(run "$verb" plugins/contain "${conf[contain]}") || rc=$? ;;
esac
t2=${EPOCHREALTIME/./}
[[ $side/$verb == ref/ADD ]] && printf '%s' "$out" >"prev.$id"
address=$(jq -r '.ips[0].address // "-"' <<<"${out:-null}" 2>/dev/null || echo -)
printf '%d.%03d %d %s\n' $(((t2 - t) / 1000)) $(((t2 - t) % 1000)) "$rc" "${address:--}"
CALL
chmod +x call.sh
# mappings FILE FIRST LAST: portMappings hostPort = containerPort = FIRST..LAST, tcp.
mappings() {
  jq -nc --argjson a "$2" --argjson b "$3" \
    '[range($a; $b + 1) | {hostPort: ., containerPort: ., protocol: "tcp"}]' >"$1"
}
# timed FILE SIDE VERB ID MAPS: one call; its milliseconds appended to FILE,
# a failure stops the benchmark.
timed() {
  local file=$1 ms rc address
  shift
  read -r ms rc address < <(./call.sh "$@")
  ((rc == 0)) || { echo "bench: $2 $3 of $1 failed ($rc)" >&2; exit 1; }
  echo "$ms" >>"$file"
}
# pair FILE_PREFIX VERB REF_ID CONTAIN_ID REF_MAPS CONTAIN_MAPS SWAP: the
# reference's call and contain's, in that order, or the other when SWAP is 1.
pair() {
  if (($7)); then
    timed "contain_$1" contain "$2" "$4" "$6"
    timed "ref_$1" ref "$2" "$3" "$5"
  else
    timed "ref_$1" ref "$2" "$3" "$5"
    timed "contain_$1" contain "$2" "$4" "$6"
  fi
}
report() {  # WHAT LABEL
  local r c
  r=$(median <"ref_$1")
  c=$(median <"contain_$1")
  printf '%-44s reference %10s   contain %8s   ratio %s\n' "$2" "$r" "$c" \
    "$(awk -v c="$c" -v r="$r" 'BEGIN { printf "%.3f", c / r }')"
}

# --- 1. one container with one published port ---
mappings maps/ref 8080 8080
mappings maps/contain 9090 9090
# The floor's batch files (1b).
cat >floor-host-add <<'EOF'
link add cni-floor type bridge
addr add 10.90.0.1/16 dev cni-floor
link set cni-floor up
link add vfloor type veth peer name eth0 netns floor
link set vfloor master cni-floor up
EOF
cat >floor-ns-add <<'EOF'
addr add 10.90.0.2/16 dev eth0
link set eth0 up
route add default via 10.90.0.1
EOF
cat >floor-nft-add <<'EOF'
table inet floor {
  chain f_pre { type nat hook prerouting priority -100; tcp dport 9191 dnat ip to 10.90.0.2:9191; }
  chain f_out { type nat hook output priority -100; fib daddr type local tcp dport 9191 dnat ip to 10.90.0.2:9191; }
  chain f_post { type nat hook postrouting priority 100; ip saddr 10.90.0.0/16 ip daddr != 10.90.0.0/16 masquerade; }
  chain f_fwd { type filter hook forward priority 0; ip daddr 10.90.0.2 tcp dport 9191 accept; }
}
EOF
cat >floor-host-del <<'EOF'
link set vfloor group 4077
link set cni-floor group 4077
link delete group 4077
EOF
echo 'delete table inet floor' >floor-nft-del
floor() {  # VERB: prints its milliseconds
  local t=$EPOCHREALTIME
  if [[ $1 == ADD ]]; then
    ip -batch floor-host-add && ip -n floor -batch floor-ns-add && nft -f floor-nft-add
  elif [[ $1 == EMPTY ]]; then  # the three processes alone, with nothing to do
    ip -batch /dev/null && ip -n floor -batch /dev/null && nft -f /dev/null
  else
    nft -f floor-nft-del && ip -batch floor-host-del
  fi
  ms_since "$t"
}
for ((i = 1; i <= rounds; i++)); do
  ip netns add "r$i"
  ip netns add "k$i"
  pair add ADD "r$i" "k$i" maps/ref maps/contain $((i % 2))
  pair del DEL "r$i" "k$i" maps/ref maps/contain $((i % 2))
  ip netns del "r$i"
  ip netns del "k$i"
  ip netns add floor
  floor ADD >>floor_add
  floor DEL >>floor_del
  floor EMPTY >>floor_empty
  ip netns del floor
  t=$EPOCHREALTIME
  CNI_COMMAND=VERSION $cni/bridge <<<'{"cniVersion":"1.0.0"}' >/dev/null
  ms_since "$t" >>ref_version
  t=$EPOCHREALTIME
  CNI_COMMAND=VERSION plugins/contain <<<'{"cniVersion":"1.0.0"}' >/dev/null
  ms_since "$t" >>contain_version
done
echo "CNI plugin mode against bridge+host-local, portmap, firewall; medians in ms"
report add "ADD, one published port ($rounds)"
report del "DEL ($rounds)"
report version "VERSION (reference: the bridge plugin alone)"
printf '%-44s %s / %s ms (ADD / DEL), of which %s ms the processes; 0.1x the reference: %s / %s ms\n' \
  "kernel floor (ip -batch, nft -f; 1b)" "$(median <floor_add)" "$(median <floor_del)" \
  "$(median <floor_empty)" \
  "$(awk -v r="$(median <ref_add)" 'BEGIN { printf "%.1f", r / 10 }')" \
  "$(awk -v r="$(median <ref_del)" 'BEGIN { printf "%.1f", r / 10 }')"

# --- 2. and 3. 1,000 port mappings, and one more container beside them ---
mappings maps/big 20000 20999
more=0
for ((i = 1; i <= big_rounds; i++)); do
  ip netns add rb
  ip netns add kb
  pair big_add ADD rb kb maps/big maps/big $((i % 2))
  for ((j = 0; j < more_rounds; j++)); do
    more=$((more + 1))
    mappings "maps/r$more" $((30000 + more)) $((30000 + more))
    mappings "maps/k$more" $((31000 + more)) $((31000 + more))
    ip netns add "rm$more"
    ip netns add "km$more"
    pair more_add ADD "rm$more" "km$more" "maps/r$more" "maps/k$more" $(((i + j) % 2))
  done
  for ((m = more - more_rounds + 1; m <= more; m++)); do
    pair more_del DEL "rm$m" "km$m" "maps/r$m" "maps/k$m" $((m % 2))
    ip netns del "rm$m"
    ip netns del "km$m"
  done
  pair big_del DEL rb kb maps/big maps/big $(((i + 1) % 2))
  ip netns del rb
  ip netns del kb
done
report big_add "ADD, 1,000 port mappings ($big_rounds)"
report big_del "DEL of those 1,000 ($big_rounds)"
report more_add "ADD of one more beside the 1,000 ($((big_rounds * more_rounds)))"
report more_del "its DEL ($((big_rounds * more_rounds)))"

# --- 4. PARALLEL ADDs then DELs, 8 at a time ---
# pctl P FILE: the P-th percentile (nearest rank) of FILE's values.
pctl() { sort -g "$2" | awk -v p="$1" '{ v[NR] = $1 } END { i = int((p * NR + 99) / 100); if (i < 1) i = 1; print v[i] }'; }
parallel_side() {  # SIDE PORT_BASE
  local side=$1 base=$2 i verb t
  for ((i = 1; i <= parallel; i++)); do
    ip netns add "p$side$i"
    mappings "maps/p$side$i" $((base + i)) $((base + i))
  done
  for verb in ADD DEL; do
    t=$EPOCHREALTIME
    for ((i = 1; i <= parallel; i++)); do echo "$side $verb p$side$i maps/p$side$i"; done |
      xargs -P 8 -L 1 ./call.sh >"par_${side}_$verb"
    ms_since "$t" >"wall_${side}_$verb"
  done
  for ((i = 1; i <= parallel; i++)); do ip netns del "p$side$i"; done
}
# Which side goes first is decided by the clock (an odd second: contain).
if ((${EPOCHREALTIME%.*} % 2)); then
  parallel_side contain 12000
  parallel_side ref 14000
else
  parallel_side ref 14000
  parallel_side contain 12000
fi
echo
echo "$parallel ADDs, then their DELs, 8 at a time: ms per call, wall = the whole batch"
for side in ref contain; do
  for verb in ADD DEL; do
    f=par_${side}_$verb
    awk '{ print $1 }' "$f" >"$f.ms"
    failures=$(awk '$2 != 0' "$f" | wc -l)
    distinct=$(awk '$3 != "-" { print $3 }' "$f" | sort -u | wc -l)
    printf '%-8s %-4s calls %3d  failures %3d  distinct addresses %3s  p50 %8s  p99 %8s  wall %9s\n' \
      "$side" "$verb" "$(wc -l <"$f")" "$failures" "$([[ $verb == ADD ]] && echo "$distinct" || echo -)" \
      "$(pctl 50 "$f.ms")" "$(pctl 99 "$f.ms")" "$(cat "wall_${side}_$verb")"
  done
done
ip link del cni-ref 2>/dev/null || true
rm -rf plugins maps ref_* contain_* prev.* par_* wall_* call.sh floor-* floor_*
