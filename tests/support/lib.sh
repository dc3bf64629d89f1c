# Helpers for integration tests. Source it first: `. "$TESTS_SUPPORT/lib.sh"`.
# Every test runs under `bash -euo pipefail` inside its own sandbox.

CONTAIN=${CONTAIN:?the path of the contain binary}
contain() { "$CONTAIN" "$@"; }

trap 'echo "FAILED at ${BASH_SOURCE[0]}:${LINENO}: ${BASH_COMMAND}" >&2' ERR

step() { printf '\n== %s\n' "$*"; }
die() { echo "FAIL: $*" >&2; exit 1; }

assert_eq() {  # expected actual [what]
  [[ "$1" == "$2" ]] || die "${3:-value}: expected [$1], got [$2]"
}
assert_contains() {  # haystack needle [what]
  [[ "$1" == *"$2"* ]] || die "${3:-output} does not contain [$2]: [$1]"
}
assert_not_contains() {  # haystack needle [what]
  [[ "$1" != *"$2"* ]] || die "${3:-output} contains [$2]: [$1]"
}

# expect_fail CODE PATTERN -- CMD...: the command exits with CODE and prints one
# line on stderr that matches PATTERN (a grep -E pattern).
expect_fail() {
  local code=$1 pattern=$2
  shift 3
  local err rc=0
  err=$("$@" 2>&1 >/dev/null) || rc=$?
  [[ $rc -eq $code ]] || die "'$*' exited $rc, expected $code (stderr: $err)"
  [[ $(printf '%s\n' "$err" | wc -l) -eq 1 ]] || die "'$*' printed more than one line: $err"
  grep -qE -- "$pattern" <<<"$err" || die "'$*' said [$err], expected /$pattern/"
  echo "refused as expected: $err"
}

# links_in_netns_of PID: the names of the links in the network namespace of
# process PID, space-separated. It dies when it cannot look (nsenter or ip
# failed, or no loopback is listed), so that an absence asserted on its output
# is never the absence of an answer.
links_in_netns_of() {
  local out
  out=$(nsenter -t "$1" -n ip -o link show) || die "cannot list the links of process $1's namespace"
  grep -q '^1: lo:' <<<"$out" || die "no loopback listed in process $1's namespace: [$out]"
  awk -F': ' '{ sub(/@.*/, "", $2); print $2 }' <<<"$out" | xargs
}

# A fingerprint of the kernel state a refused command must not change. What
# the kernel finishes by itself meanwhile is not a change: IPv6 duplicate
# address detection, the carrier of a link made just before coming up (its
# flags and operstate), and the link-local address it then gets.
kernel_state() {
  { ip -o link show; ip -o addr show | grep -v ' inet6 fe80:'; ls -A /run/netns;
    find /run/contain -type f | sort | xargs -r cat; nft list ruleset 2>/dev/null; } 2>/dev/null |
    sed -E 's/ tentative / /; s/NO-CARRIER,//; s/,LOWER_UP//; s/ state [A-Z]+ / /; s/ *$//'
}

# wait_until SECONDS CMD...: polls a condition that no pipe or event can tell us
# about (for example, a server in another namespace accepting connections).
wait_until() {
  local limit=$1
  shift
  local deadline=$((SECONDS + limit))
  until "$@" >/dev/null 2>&1; do
    ((SECONDS < deadline)) || die "timed out after ${limit}s waiting for: $*"
    sleep 0.02
  done
}

# own_cgroups: the directories of this process's cgroups, one per hierarchy (the
# sandbox gives each test its own, below which everything the test makes goes).
own_cgroups() {
  local line controllers path want dev mnt type opts
  while IFS= read -r line; do
    IFS=: read -r _ controllers path <<<"$line"
    want=${controllers%%,*}
    while read -r dev mnt type opts _; do
      if [[ -z $want && $type == cgroup2 ]] || [[ -n $want && $type == cgroup && ,$opts, == *,$want,* ]]; then
        echo "$mnt${path%/}"
        break
      fi
    done </proc/self/mounts
  done < <(cat /proc/self/cgroup)
}

# wait_pids_gone SECONDS PID...: returns once every PID has exited (waits on
# pidfds), fails after SECONDS.
wait_pids_gone() {
  python3 - "$@" <<'PY' || die "processes $* still alive after $1 s"
import os, select, sys, time
limit = float(sys.argv[1])
poll, left = select.poll(), 0
for pid in sys.argv[2:]:
    try:
        poll.register(os.pidfd_open(int(pid)), select.POLLIN)
        left += 1
    except ProcessLookupError:
        pass
deadline = time.monotonic() + limit
while left:
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        sys.exit(1)
    for fd, _ in poll.poll(remaining * 1000):
        poll.unregister(fd)
        left -= 1
PY
}

# start_ready PATTERN CMD...: starts a server in the background and returns once
# it has printed a line matching PATTERN (a readiness signal through a fifo, not
# a sleep); its output keeps draining to $SERVER_LOG. Sets SERVER_PID.
start_ready() {
  local pattern=$1
  shift
  local fifo
  fifo=$(mktemp -u "${TMPDIR:-/tmp}/ready.XXXXXX")
  mkfifo "$fifo"
  SERVER_LOG=${SERVER_LOG:-server.log}
  "$@" > "$fifo" 2>&1 &
  SERVER_PID=$!
  local line found=0
  exec {ready_fd}<"$fifo"
  rm -f "$fifo"
  while IFS= read -r -t 10 -u "$ready_fd" line; do
    echo "$line" >> "$SERVER_LOG"
    if grep -qE -- "$pattern" <<<"$line"; then found=1; break; fi
  done
  ((found)) || die "server '$*' did not print /$pattern/ within 10 s"
  cat <&"$ready_fd" >> "$SERVER_LOG" &
  exec {ready_fd}<&-
}

# serve_whoami NS PROTO PORT: starts tests/support/whoami.py in namespace NS (a
# server answering each TCP connection or UDP datagram with the source address
# it sees) and returns once it listens. Its pid is added to WHOAMI_PIDS.
WHOAMI_PIDS=()
serve_whoami() {
  local fifo line=""
  fifo=$(mktemp -u)
  mkfifo "$fifo"
  ip netns exec "$1" python3 "$TESTS_SUPPORT/whoami.py" serve "$2" "$3" >"$fifo" &
  WHOAMI_PIDS+=($!)
  read -r -t 5 line <"$fifo" || true
  rm -f "$fifo"
  [[ $line == READY ]] || die "the whoami server in $1 ($2 port $3) did not start"
}
# ask_from NS PROTO ADDR PORT: the source address the whoami server saw.
ask_from() { local ns=$1; shift; ip netns exec "$ns" python3 "$TESTS_SUPPORT/whoami.py" ask "$@"; }
# The "internet": a namespace at 203.0.113.2 behind the sandbox host's uplink
# 203.0.113.1, the host's default route pointing at it, a whoami server on TCP 80.
make_internet() {
  contain net create internet
  contain net veth --host uplink --ns internet --host-addr 203.0.113.1/24 --ns-addr 203.0.113.2/24
  ip route add default via 203.0.113.2
  serve_whoami internet tcp 80
}
stop_whoami() {
  local pid
  for pid in "${WHOAMI_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  WHOAMI_PIDS=()
}


