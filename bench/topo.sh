# A star lab (one switch, N hosts on one subnet) or a linear one (N switches in
# a chain, a host on each, Mininet's `--topo linear,N`) brought up and taken
# down: `contain topo up/down` against one `ip` process per step, `ip -batch`
# (one process per namespace) and Mininet 2.3 (Python API, LinuxBridge switches,
# no controller), interleaved in the same run. For the star also `contain
# batch` of the same steps on a host bridge against one `ip` per step, `ip
# -batch` and one contain process per step; then `topo check` of a 10-host full
# mesh. Each measured "up" starts once the kernel has finished destroying the
# namespaces of the step before (settle_netns in lib.sh), whoever made them.
# Usage: bench/run topo [N] [ROUNDS] [star|linear]
set -euo pipefail
. "$(dirname "$0")/lib.sh"
N=${1:-100}
ROUNDS=${2:-1}
SHAPE=${3:-star}
[[ $SHAPE == star || $SHAPE == linear ]] || { echo "bench/topo: shape is star or linear" >&2; exit 2; }
addr() { echo "10.0.$(($1 / 256)).$(($1 % 256))/16"; }

ip_steps_up() {
  ip netns add s1
  ip -n s1 link add br0 type bridge
  ip -n s1 link set br0 up
  ip -n s1 link set lo up
  for ((i = 1; i <= N; i++)); do
    ip netns add "h$i"
    ip -n s1 link add "p$i" type veth peer name eth0 netns "h$i"
    ip -n s1 link set "p$i" master br0 up
    ip -n "h$i" addr add "$(addr $i)" dev eth0
    ip -n "h$i" link set eth0 up
    ip -n "h$i" link set lo up
  done
}
ip_batch_up() {
  { echo "netns add s1"; for ((i = 1; i <= N; i++)); do echo "netns add h$i"; done; } > ns.batch
  ip -batch ns.batch
  { echo "link add br0 type bridge"; echo "link set br0 up"; echo "link set lo up"
    for ((i = 1; i <= N; i++)); do
      echo "link add p$i type veth peer name eth0 netns h$i"
      echo "link set p$i master br0 up"
    done; } > s1.batch
  ip -n s1 -batch s1.batch
  for ((i = 1; i <= N; i++)); do
    printf 'addr add %s dev eth0\nlink set eth0 up\nlink set lo up\n' "$(addr $i)" | ip -n "h$i" -batch -
  done
}
ip_down() {
  { echo "netns del s1"; for ((i = 1; i <= N; i++)); do echo "netns del h$i"; done; } > del.batch
  ip -batch del.batch
}
ip_steps_down() { ip netns del s1; for ((i = 1; i <= N; i++)); do ip netns del "h$i"; done; }

# linear: switch sI (a namespace with br0) holds host hI's cable and the
# cables to its neighbours.
ip_steps_up_linear() {
  for ((i = 1; i <= N; i++)); do
    ip netns add "s$i"
    ip -n "s$i" link add br0 type bridge
    ip -n "s$i" link set br0 up
    ip -n "s$i" link set lo up
    ip netns add "h$i"
    ip -n "s$i" link add hp type veth peer name eth0 netns "h$i"
    ip -n "s$i" link set hp master br0 up
    ip -n "h$i" addr add "$(addr $i)" dev eth0
    ip -n "h$i" link set eth0 up
    ip -n "h$i" link set lo up
    if ((i > 1)); then
      ip -n "s$((i - 1))" link add right type veth peer name left netns "s$i"
      ip -n "s$((i - 1))" link set right master br0 up
      ip -n "s$i" link set left master br0 up
    fi
  done
}
ip_batch_up_linear() {
  { for ((i = 1; i <= N; i++)); do echo "netns add s$i"; echo "netns add h$i"; done; } > ns.batch
  ip -batch ns.batch
  for ((i = 1; i <= N; i++)); do
    { echo "link add br0 type bridge"; echo "link set br0 up"; echo "link set lo up"
      echo "link add hp type veth peer name eth0 netns h$i"; echo "link set hp master br0 up"
      ((i < N)) && { echo "link add right type veth peer name left netns s$((i + 1))"
                     echo "link set right master br0 up"; }
      true; } | ip -n "s$i" -batch -
  done
  for ((i = 1; i <= N; i++)); do
    ((i > 1)) && echo "link set left master br0 up" | ip -n "s$i" -batch -
    printf 'addr add %s dev eth0\nlink set eth0 up\nlink set lo up\n' "$(addr $i)" | ip -n "h$i" -batch -
  done
}
ip_down_linear() {
  { for ((i = 1; i <= N; i++)); do echo "netns del s$i"; echo "netns del h$i"; done; } > del.batch
  ip -batch del.batch
}
ip_steps_down_linear() {
  for ((i = 1; i <= N; i++)); do ip netns del "s$i"; ip netns del "h$i"; done
}
if [[ $SHAPE == linear ]]; then
  ip_steps_up() { ip_steps_up_linear; }
  ip_batch_up() { ip_batch_up_linear; }
  ip_down() { ip_down_linear; }
  ip_steps_down() { ip_steps_down_linear; }
fi
reachable() { ip netns exec h1 ping -c1 -W2 "$(addr "$N" | cut -d/ -f1)" >/dev/null; }

cat > mn_star.py <<PY
import sys, time
from mininet.net import Mininet
from mininet.topo import SingleSwitchTopo, LinearTopo
from mininet.nodelib import LinuxBridge
from mininet.log import setLogLevel
setLogLevel('error')
t = time.time()
topo = SingleSwitchTopo($N) if "$SHAPE" == "star" else LinearTopo(k=$N, n=1)
net = Mininet(topo=topo, switch=LinuxBridge, controller=None)
net.start()
up = time.time() - t
t = time.time()
net.stop()
print(f"{up * 1000:.3f} {(time.time() - t) * 1000:.3f}")
PY
have_mininet=0
if /usr/bin/python3 -c 'import mininet.net' 2>/dev/null && command -v brctl >/dev/null; then
  have_mininet=1
fi
contain topo gen "$SHAPE" "$N" > lab.yml

netns_baseline
declare -a c_up c_down s_up s_down b_up b_down m_up m_down
for ((r = 0; r < ROUNDS; r++)); do
  settle_netns
  t=$EPOCHREALTIME; contain topo up lab.yml >/dev/null; c_up+=("$(ms_since "$t")")
  reachable
  t=$EPOCHREALTIME; contain topo down "$SHAPE$N"; c_down+=("$(ms_since "$t")")
  [[ -z $(ip netns list) ]] || { echo "contain left namespaces" >&2; exit 1; }

  settle_netns
  t=$EPOCHREALTIME; ip_steps_up; s_up+=("$(ms_since "$t")")
  reachable
  t=$EPOCHREALTIME; ip_steps_down; s_down+=("$(ms_since "$t")")

  settle_netns
  t=$EPOCHREALTIME; ip_batch_up; b_up+=("$(ms_since "$t")")
  reachable
  t=$EPOCHREALTIME; ip_down; b_down+=("$(ms_since "$t")")

  if ((have_mininet)); then
    settle_netns
    read -r mu md < <(/usr/bin/python3 mn_star.py)
    m_up+=("$mu"); m_down+=("$md")
  fi
done

cu=$(median "${c_up[@]}"); cd=$(median "${c_down[@]}")
echo "$SHAPE $N, $ROUNDS round(s), medians in ms (interleaved; machine shared, figures noisy)"
printf '  %-26s up %10s   down %10s\n' "contain topo" "$cu" "$cd"
printf '  %-26s up %10s   down %10s   (contain %s / %s faster)\n' "ip, one process per step" \
  "$(median "${s_up[@]}")" "$(median "${s_down[@]}")" "$(ratio "$(median "${s_up[@]}")" "$cu")" \
  "$(ratio "$(median "${s_down[@]}")" "$cd")"
printf '  %-26s up %10s   down %10s   (contain %s / %s faster)\n' "ip -batch per namespace" \
  "$(median "${b_up[@]}")" "$(median "${b_down[@]}")" "$(ratio "$(median "${b_up[@]}")" "$cu")" \
  "$(ratio "$(median "${b_down[@]}")" "$cd")"
if ((have_mininet)); then
  printf '  %-26s up %10s   down %10s   (contain %s / %s faster)\n' "Mininet (LinuxBridge)" \
    "$(median "${m_up[@]}")" "$(median "${m_down[@]}")" "$(ratio "$(median "${m_up[@]}")" "$cu")" \
    "$(ratio "$(median "${m_down[@]}")" "$cd")"
else
  echo "  Mininet: not measured (needs /usr/bin/python3 with mininet and brctl)"
fi

# contain's peak resident memory during an `up` (max RSS of the process, KiB).
rss=$({ /usr/bin/time -f %M "$CONTAIN" topo up lab.yml >/dev/null; } 2>&1 | tail -1)
contain topo down "$SHAPE$N"
echo "  contain topo up: peak RSS $((rss / 1024)) MiB ($rss KiB)"

# contain batch: the same star on a host bridge (what `bridge create`/`net
# create`/`bridge attach` make), one script in one process, against the same
# steps as one `ip` process each, as `ip -batch` (one process per namespace for
# what happens inside it) and as one contain process each; interleaved.
if [[ $SHAPE == star ]]; then
  { echo "bridge create br0"
    for ((i = 1; i <= N; i++)); do echo "net create h$i"; echo "bridge attach br0 h$i --addr $(addr $i)"; done
  } > star.contain
  hb_ip_steps_up() {
    ip link add br0 type bridge; ip link set br0 up
    for ((i = 1; i <= N; i++)); do
      ip netns add "h$i"
      ip link add "p$i" type veth peer name eth0 netns "h$i"
      ip link set "p$i" master br0 up
      ip -n "h$i" addr add "$(addr $i)" dev eth0
      ip -n "h$i" link set eth0 up
      ip -n "h$i" link set lo up
    done
  }
  hb_ip_batch_up() {
    { echo "link add br0 type bridge"; echo "link set br0 up"
      for ((i = 1; i <= N; i++)); do
        echo "netns add h$i"; echo "link add p$i type veth peer name eth0 netns h$i"
        echo "link set p$i master br0 up"
      done; } > hb.batch
    ip -batch hb.batch
    for ((i = 1; i <= N; i++)); do
      printf 'addr add %s dev eth0\nlink set eth0 up\nlink set lo up\n' "$(addr $i)" | ip -n "h$i" -batch -
    done
  }
  hb_down() {
    { for ((i = 1; i <= N; i++)); do echo "netns del h$i"; done; echo "link del br0"; } > hbdel.batch
    ip -batch hbdel.batch
    wait_links_gone
  }
  hb_contain_down() {
    { for ((i = 1; i <= N; i++)); do echo "net delete h$i"; done; echo "bridge delete br0"; } |
      contain batch - >/dev/null
  }
  declare -a k_b k_s k_p k_ip
  for ((r = 0; r < ROUNDS; r++)); do
    settle_netns
    t=$EPOCHREALTIME; contain batch star.contain >/dev/null; k_b+=("$(ms_since "$t")")
    reachable; hb_contain_down
    settle_netns
    t=$EPOCHREALTIME; hb_ip_steps_up; k_s+=("$(ms_since "$t")")
    reachable; hb_down
    settle_netns
    t=$EPOCHREALTIME; hb_ip_batch_up; k_ip+=("$(ms_since "$t")")
    reachable; hb_down
    settle_netns
    t=$EPOCHREALTIME
    while read -r -a line; do contain "${line[@]}" >/dev/null; done < star.contain
    k_p+=("$(ms_since "$t")")
    reachable; hb_contain_down
  done
  kb=$(median "${k_b[@]}")
  echo "star $N on a host bridge: the same steps as a script (medians in ms)"
  printf '  %-32s %10s\n' "contain batch (one process)" "$kb"
  printf '  %-32s %10s   (contain batch %s faster)\n' "ip, one process per step" \
    "$(median "${k_s[@]}")" "$(ratio "$(median "${k_s[@]}")" "$kb")"
  printf '  %-32s %10s   (contain batch %s faster)\n' "ip -batch (+1 per namespace)" \
    "$(median "${k_ip[@]}")" "$(ratio "$(median "${k_ip[@]}")" "$kb")"
  printf '  %-32s %10s   (contain batch %s faster)\n' "contain, one process per line" \
    "$(median "${k_p[@]}")" "$(ratio "$(median "${k_p[@]}")" "$kb")"
fi

# topo check of a 10-host full mesh on one switch: 90 pairs, 45 of them no-reach
# (odd and even hosts on two subnets of one switch: no route between them).
{
  echo "name: mesh"; echo "topology:"; echo "  nodes:"; echo "    s1: {kind: bridge}"
  for i in $(seq 1 10); do echo "    h$i: {}"; done
  echo "  links:"
  for i in $(seq 1 10); do
    net=$(( (i - 1) % 2 + 1 ))  # odd hosts on 10.1/16, even hosts on 10.2/16
    echo "    - {endpoints: [\"h$i:eth0\", \"s1:p$i\"], ipv4: [10.$net.0.$i/16, null]}"
  done
  echo "expect:"; echo "  reach:"
  for i in $(seq 1 10); do for j in $(seq 1 10); do
    ((i != j && (i % 2) == (j % 2))) && echo "    - \"h$i -> h$j\""; done; done
  echo "  no-reach:"
  for i in $(seq 1 10); do for j in $(seq 1 10); do
    ((i != j && (i % 2) != (j % 2))) && echo "    - \"h$i -> h$j\""; done; done
} > mesh.yml
contain topo up mesh.yml >/dev/null
t=$EPOCHREALTIME; out=$(contain topo check mesh --timeout 1s); check=$(ms_since "$t")
contain topo down mesh
echo "topo check, 10-host mesh: $(tail -1 <<<"$out") in $check ms"
