#!/usr/bin/env bash
# podman end to end with contain as its CNI plugin against podman with the
# reference chain of Debian's containernetworking-plugins (bridge + host-local,
# portmap, firewall, tuning: podman's own default conflist), interleaved:
#   podman run --rm --network N -p 8080:80 --rootfs <busybox> /bin/true
# for N = a contain network and N = a reference network, and the same with
# --network none. What the network costs podman is each run minus the
# --network none run's median. Podman's storage, run root, configuration and
# CNI cache are the benchmark's own (as in tests/integration/cni_podman.sh).
# Target (issue 17): contain's network delta <= 0.5x the reference chain's.
# Usage: bench/run podman_cni [ROUNDS]   (default 20)
set -euo pipefail
. "$(dirname "$0")/lib.sh"
rounds=${1:-20}
command -v podman >/dev/null || { echo "bench: podman is missing (run scripts/setup)" >&2; exit 1; }
[[ -x /usr/lib/cni/bridge ]] || { echo "bench: install containernetworking-plugins" >&2; exit 1; }

mkdir -p /var/lib/cni
mount -t tmpfs bench-cni-cache /var/lib/cni
parent=contain-bench-podman-$$
cleanup() {
  pm rm -af -t 0 >/dev/null 2>&1 || true
  find /sys/fs/cgroup/*/ -depth -type d -path "*/$parent*" -exec rmdir {} + 2>/dev/null || true
  umount /var/lib/cni 2>/dev/null || true
}
trap cleanup EXIT

mkdir -p plugins cniconf root runroot tmp rootfs/bin
cp "$CONTAIN" plugins/contain
for p in bridge host-local portmap firewall tuning; do ln -sf /usr/lib/cni/$p plugins/$p; done
cp "$(command -v busybox)" rootfs/bin/busybox
ln -s busybox rootfs/bin/true
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
pm() { podman --root "$PWD/root" --runroot "$PWD/runroot" --storage-driver vfs "$@"; }
cat > cniconf/withcontain.conflist <<'EOF'
{"cniVersion": "1.0.0", "name": "withcontain",
 "plugins": [{"type": "contain", "ipMasq": true,
   "ipam": {"type": "host-local", "ranges": [[{"subnet": "198.51.100.0/24", "gateway": "198.51.100.1"}]],
            "routes": [{"dst": "0.0.0.0/0"}]},
   "capabilities": {"portMappings": true, "ips": true, "mac": true}}]}
EOF
cat > cniconf/reference.conflist <<'EOF'
{"cniVersion": "0.4.0", "name": "reference",
 "plugins": [{"type": "bridge", "bridge": "cni-ref0", "isGateway": true, "ipMasq": true,
              "hairpinMode": true,
              "ipam": {"type": "host-local", "routes": [{"dst": "0.0.0.0/0"}],
                       "ranges": [[{"subnet": "192.0.2.0/24", "gateway": "192.0.2.1"}]]}},
             {"type": "portmap", "capabilities": {"portMappings": true}},
             {"type": "firewall", "backend": ""},
             {"type": "tuning"}]}
EOF
# --rootfs makes the first argument after the options the root: options first.
opts=(--rm --cgroup-parent "/$parent" --rootfs "$PWD/rootfs")
none_once() { pm run --network none "${opts[@]}" /bin/true; }
contain_once() { pm run --network withcontain -p 8080:80 "${opts[@]}" /bin/true; }
reference_once() { pm run --network reference -p 8080:80 "${opts[@]}" /bin/true; }

for _ in 1 2; do none_once; contain_once; reference_once; done
interleave "$rounds" none_once contain_once reference_once
[[ -z $(pm ps -aq) ]] || { echo "bench: podman containers left" >&2; exit 1; }

n_us=$(median_us none_once) c_us=$(median_us contain_once) r_us=$(median_us reference_once)
printf 'podman run --rm -p 8080:80 --rootfs <busybox> /bin/true, %d interleaved rounds (median ms)\n' \
  "$rounds"
printf '  %-56s %8.1f\n' "--network none" "$(awk -v u="$n_us" 'BEGIN { print u / 1000 }')"
printf '  %-56s %8.1f\n' "--network withcontain (contain as the plugin)" \
  "$(awk -v u="$c_us" 'BEGIN { print u / 1000 }')"
printf '  %-56s %8.1f\n' "--network reference (bridge, portmap, firewall, tuning)" \
  "$(awk -v u="$r_us" 'BEGIN { print u / 1000 }')"
printf 'network delta: contain %.1f ms, reference %.1f ms, ratio %s  (target <= 0.50)\n' \
  "$(awk -v a="$c_us" -v b="$n_us" 'BEGIN { print (a - b) / 1000 }')" \
  "$(awk -v a="$r_us" -v b="$n_us" 'BEGIN { print (a - b) / 1000 }')" \
  "$(fraction $((c_us - n_us)) $((r_us - n_us)))"
