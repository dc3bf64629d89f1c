#!/usr/bin/env bash
# N namespaces attached to one bridge through the CLI (one `contain net create`
# and one `contain bridge attach` per namespace; one `contain net delete` for
# teardown), against the step-by-step iproute2 way (one `ip` process per step:
# netns add, veth add, move, master, up, addr in ns, up in ns, lo up; teardown:
# ip link del + ip netns del per namespace), measured in the same run.
# Usage: bench/run bridge_cli [N]
set -euo pipefail
n=${1:-100}
contain=$CONTAIN
now() { date +%s.%N; }
addr() { echo "10.201.$(( ($1 + 2) / 256 )).$(( ($1 + 2) % 256 ))"; }
ports() { ip -o link show master "$1" | wc -l; }

ip link add bi0 type bridge && ip link set bi0 up
ip addr add 10.201.0.1/16 dev bi0
"$contain" bridge create bc0 --addr 10.202.0.1/16

t0=$(now)
for i in $(seq 0 $((n - 1))); do
  "$contain" net create c$i
  "$contain" bridge attach bc0 c$i --addr 10.202.$(( (i + 2) / 256 )).$(( (i + 2) % 256 ))/16 >/dev/null
done
t1=$(now)
ip netns exec c0 ping -c1 -W2 10.202.$(( (n + 1) / 256 )).$(( (n + 1) % 256 )) >/dev/null || { echo "contain: first->last unreachable"; exit 1; }
t2=$(now)
"$contain" net delete $(seq -f 'c%g' 0 $((n - 1)))
t3=$(now)
[[ $(ports bc0) -eq 0 ]] || { echo "contain: ports left"; exit 1; }

t4=$(now)
for i in $(seq 0 $((n - 1))); do
  ip netns add s$i
  ip link add sv$i type veth peer name eth0
  ip link set eth0 netns s$i
  ip link set sv$i master bi0
  ip link set sv$i up
  ip -n s$i addr add "$(addr $i)/16" dev eth0
  ip -n s$i link set eth0 up
  ip -n s$i link set lo up
done
t5=$(now)
ip netns exec s0 ping -c1 -W2 "$(addr $((n - 1)))" >/dev/null || { echo "ip: first->last unreachable"; exit 1; }
t6=$(now)
for i in $(seq 0 $((n - 1))); do
  ip link del sv$i
  ip netns del s$i
done
t7=$(now)
"$contain" bridge delete bc0
ip link del bi0

python3 - "$n" "$t0" "$t1" "$t2" "$t3" "$t4" "$t5" "$t6" "$t7" <<'PY'
import sys
n = int(sys.argv[1]); t = [float(x) for x in sys.argv[2:]]
cc, ct, ic, it = t[1]-t[0], t[3]-t[2], t[5]-t[4], t[7]-t[6]
print(f"CLI path, N={n} namespaces on one bridge (reachability first<->last checked; load average {open('/proc/loadavg').read().strip()})")
print(f"  create   contain {cc:7.3f} s ({cc/n*1000:6.2f} ms/ns)   ip step-by-step {ic:7.3f} s ({ic/n*1000:6.2f} ms/ns)   ratio {ic/cc:5.1f}x")
print(f"  teardown contain {ct:7.3f} s ({ct/n*1000:6.2f} ms/ns)   ip step-by-step {it:7.3f} s ({it/n*1000:6.2f} ms/ns)   ratio {it/ct:5.1f}x")
PY
