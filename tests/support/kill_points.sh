# Crash safety, one kill point at a time. Source it after lib.sh.
#
# kill_points NAME SETUP TEARDOWN -- COMMAND...
#
# SETUP and TEARDOWN are shell functions: SETUP makes what COMMAND needs,
# TEARDOWN removes everything (what SETUP and COMMAND made). First COMMAND runs
# once under strace, which lists the system calls of the contain process that
# change the kernel or the state store (netlink requests other than reads,
# mount, umount2, mkdir, rmdir, unlink, rename, kill, writes to /proc/sys and
# /sys/fs/cgroup, ...). Then, for each of them in turn: SETUP; COMMAND killed
# with SIGKILL on entering that call (strace -e inject=CALL:signal=KILL:when=N,
# so the call itself never runs); `contain gc`; and then the state must be
# exactly the one before COMMAND (gc undid it) or the one after a complete run
# (gc finished it) — nothing half-made, nothing leaked — and from the state
# before, COMMAND must succeed again and give the state after. TEARDOWN, and
# the sandbox is as clean as at the start (assert-clean).
#
# The kill points are the reference trace's, whatever their number: a command
# that gains a system call gains a kill point, and no test names one.
#
# KILL_POINTS_TOTAL counts the kill points covered; KILL_POINTS_REPORT has one
# line per command.
#
# KILL_POINTS_EXPLORE=1 in the environment: a failing kill point is reported,
# the sandbox is swept by hand and the rest goes on (to list every failing
# point at once); the test still fails at kill_points_summary.

KILL_POINTS_TOTAL=0
KILL_POINTS_REPORT=()
KILL_POINTS_FAILED=0
# What strace watches: the calls that may change something, and some that only
# read (so the Nth call of a kind counts as contain counts it).
KP_SYSCALLS=sendmsg,sendto,mount,umount2,mkdir,mkdirat,rmdir,unlink,unlinkat,rename,renameat,renameat2,kill,pidfd_send_signal,write,pwrite64

# The kill points of a reference trace, "CALL N SIGNATURE" per line, and the
# signature of the call a kill run stopped at: see kp_trace.py.
kp_parse() { python3 "$TESTS_SUPPORT/kp_trace.py" points "$1"; }
kp_killed() { python3 "$TESTS_SUPPORT/kp_trace.py" killed "$1"; }

# Global sysctls that a command turns on and nothing turns off again, like
# net.ipv4.ip_forward: the first run writes them, later runs find them set and
# skip the write, and their calls would be numbered differently. Their values
# are recorded before the reference run and put back before each kill run, so
# every run starts from the reference's kernel settings.
KP_SYSCTL_FILES=(/proc/sys/net/ipv4/ip_forward /proc/sys/net/ipv6/conf/all/forwarding
  /proc/sys/net/ipv6/conf/default/forwarding /proc/sys/net/ipv4/conf/all/forwarding
  /proc/sys/net/ipv4/conf/default/forwarding /proc/sys/net/ipv4/conf/all/route_localnet)
kp_sysctls_save() {
  KP_SYSCTLS=()
  local f
  for f in "${KP_SYSCTL_FILES[@]}"; do KP_SYSCTLS+=("$(<"$f")"); done
}
kp_sysctls_restore() {
  local i
  for i in "${!KP_SYSCTL_FILES[@]}"; do echo "${KP_SYSCTLS[i]}" >"${KP_SYSCTL_FILES[i]}"; done
}

# Proves a kill run stopped where it was meant to: on entering the Nth call of
# its kind, the one with the reference's signature, which never returned
# ("= ?"), and strace died of the same signal.
kp_check_killed() {
  local strace_rc=$1 call=$2 n=$3 sig=$4 last killed
  last=$(grep -v '^+++' "$trace" | tail -1)
  [[ $strace_rc -eq 137 && $(grep -c "^$call(" "$trace") -eq $n && $last == "$call("*"= ?" ]] ||
    die "'$name' was not killed at $point (strace exit $strace_rc, last call: $last)"
  killed=$(kp_killed "$trace")
  [[ $killed == "$sig" ]] ||
    die "'$name' killed at $point: that call acted on $killed, in the reference run on $sig (the command's calls differ from run to run)"
}

# What a user (and gc) could see, with the names and numbers that differ from
# run to run left out: links, IPv4 addresses and routes, qdiscs (on the host and
# in each namespace), the namespaces and state files, the nft ruleset, the
# processes contain started. Carrier and operstate are left out (they settle
# after the command returns), and IPv6 (link-local addresses come and go on
# their own).
kp_snapshot() {
  local ns
  {
    echo "# host"
    ip -br link show
    ip -br -4 addr show
    ip -4 route show table all
    tc qdisc show
    for ns in $(ls -A /run/netns); do
      echo "# netns $ns"
      ip -n "$ns" -br link show
      ip -n "$ns" -br -4 addr show
      ip -n "$ns" -4 route show table all
      tc -n "$ns" qdisc show
    done
    echo "# state"
    (cd /run/contain && find . -mindepth 1 | sort)
    echo "# nft"
    nft list ruleset
    echo "# processes"
    ps -e -o comm= | grep -xE 'contain|sleep' | sort
    echo "# cgroups"
    # Below the test's own cgroups only: other tests make theirs beside it.
    own_cgroups | xargs -r -I{} find {} -mindepth 1 -type d 2>/dev/null | sort
  } 2>&1 | sed -E \
    -e 's/\bvc[0-9a-f]{12}\b/vcX/g' \
    -e 's/\bcifb[0-9]+\b/cifbX/g' \
    -e 's/@if[0-9]+/@ifX/g; s/@vcX/@X/g' \
    -e 's/([0-9a-f]{2}:){5}[0-9a-f]{2}/MAC/g' \
    -e 's/ (LOWERLAYERDOWN|DOWN|UP|UNKNOWN) / STATE /' \
    -e 's/LOWER_UP//g; s/<[^>]*UP[^>]*>/(up)/; s/<[^>]*>/(down)/' \
    -e 's/qdisc ([a-z_]+) [0-9a-f]+:/qdisc \1 H:/; s/parent [0-9a-f]+:[0-9a-f]*/parent P/' \
    -e 's/ linkdown//; s/ +/ /g; s/ $//' \
    -e 's/\.tmp [0-9]+/.tmp PID/' \
    -e 's/[0-9a-f]{64}/ID/g'
}

# Removes everything, whatever gc left (only after a failing point, when exploring).
kp_sweep() {
  local ns
  for ns in $(ls -A /run/netns); do ip netns del "$ns" 2>/dev/null || umount /run/netns/"$ns" 2>/dev/null; rm -f /run/netns/"$ns"; done
  pkill -KILL -x sleep 2>/dev/null || true
  ip -o link show | awk -F': ' '{print $2}' | sed 's/@.*//' | grep -vx lo | xargs -r -n1 ip link del 2>/dev/null || true
  nft flush ruleset
  rm -rf /run/contain/*
}

kp_fail() {
  local what=$1 before=$2 now=$3 after=$4
  if [[ ${KILL_POINTS_EXPLORE:-0} == 1 ]]; then
    echo "FAILING POINT: $what"
    diff <(echo "$before") <(echo "$now") | head -20 || true
    return 0
  fi
  echo "FAIL: $what" >&2
  echo "--- difference from the state before the command:" >&2
  diff <(echo "$before") <(echo "$now") >&2 || true
  echo "--- difference from the state after a complete run:" >&2
  diff <(echo "$after") <(echo "$now") >&2 || true
  exit 1
}

# After a kill: gc, then the state must be the one before (and the command
# work again) or the one after. Sets KP_OUTCOME to undone, finished or failed
# (failed only when exploring: otherwise the test stops at once).
kp_after_kill() {
  local gc_out rc=0 out
  gc_out=$("$CONTAIN" gc 2>&1) || rc=$?
  if ((rc != 0)); then
    kp_fail "'$name' killed at $point: gc exited $rc: $gc_out" "$before" "$(kp_snapshot)" "$after"
    KP_OUTCOME=failed
    return
  fi
  now=$(kp_snapshot)
  if [[ $now == "$before" ]]; then
    # gc undid it: the command works again from there.
    out=$("$CONTAIN" "$@" 2>&1) || rc=$?
    if ((rc != 0)); then
      kp_fail "'$name' killed at $point, after gc the command failed ($rc): $out" \
        "$before" "$(kp_snapshot)" "$after"
      KP_OUTCOME=failed
      return
    fi
    now=$(kp_snapshot)
    if [[ $now != "$after" ]]; then
      kp_fail "'$name' killed at $point: after gc, the command's result differs" \
        "$before" "$now" "$after"
      KP_OUTCOME=failed
      return
    fi
    KP_OUTCOME=undone
  elif [[ $now == "$after" ]]; then
    KP_OUTCOME=finished
  else
    kp_fail "'$name' killed at $point, then gc ($gc_out): a state neither before nor after" \
      "$before" "$now" "$after"
    KP_OUTCOME=failed
  fi
}

kill_points() {
  local name=$1 setup=$2 teardown=$3
  shift 4
  local before after now trace=kp.trace points point call n sig undone=0 finished=0 failed=0 count=0
  step "kill points of '$name': the reference run"
  # The first namespace ever made also prepares /run/netns (a shared bind mount
  # of itself): done once here, so every run of the command makes the same calls.
  if [[ -z ${KP_WARM:-} ]]; then
    "$CONTAIN" net create kp-warm && "$CONTAIN" net delete kp-warm
    KP_WARM=1
  fi
  "$setup" >/dev/null
  kp_sysctls_save
  before=$(kp_snapshot)
  strace -o "$trace" -yy -s 64 -e trace="$KP_SYSCALLS" -e signal=none -- "$CONTAIN" "$@" >/dev/null ||
    die "'$name' failed without a kill"
  after=$(kp_snapshot)
  # KP_ROUNDTRIP=1: a command that undoes its own work before it returns (a
  # foreground `run`): the state after is the one before; its kill points are
  # what it does in between.
  [[ $before != "$after" || ${KP_ROUNDTRIP:-0} == 1 ]] ||
    die "'$name' changed nothing that kp_snapshot sees"
  points=$(kp_parse "$trace")
  "$teardown" >/dev/null 2>&1
  bash "$TESTS_SUPPORT/assert-clean" >/dev/null || die "teardown of '$name' left something"
  [[ -n $points ]] || die "no kill point found in the trace of '$name'"
  echo "$(wc -l <<<"$points") kill points: $(cut -d' ' -f1,2 <<<"$points" | tr '\n' ' ')"
  while read -r call n sig; do
    point="$call #$n ($sig)"
    "$setup" >/dev/null
    kp_sysctls_restore
    now=$(kp_snapshot)
    [[ $now == "$before" ]] || kp_fail "'$name': setup differs from the reference" "$before" "$now" "$after"
    # Through sh, whose "Killed" notice goes to /dev/null with the rest.
    local strace_rc
    strace_rc=$(sh -c '"$@" >/dev/null 2>&1; echo $?' sh strace -o "$trace" -yy -s 64 \
      -e trace="$call" -e signal=none -e inject="$call:signal=KILL:when=$n" -- "$CONTAIN" "$@" \
      2>/dev/null)
    kp_check_killed "$strace_rc" "$call" "$n" "$sig"
    KP_OUTCOME=
    kp_after_kill "$@"
    case $KP_OUTCOME in
      undone) undone=$((undone + 1)) ;;
      finished) finished=$((finished + 1)) ;;
      failed) failed=$((failed + 1)) ;;
    esac
    if [[ $KP_OUTCOME == failed ]]; then
      kp_sweep
    else
      "$teardown" >/dev/null 2>&1
    fi
    bash "$TESTS_SUPPORT/assert-clean" >/dev/null ||
      die "'$name' killed at $point: teardown after gc left something: $(bash "$TESTS_SUPPORT/assert-clean" 2>&1)"
    count=$((count + 1))
  done <<<"$points"
  local line="$name: $count kill points ($undone undone by gc, $finished finished by gc)"
  ((failed == 0)) || line+=", $failed FAILING"
  echo "$line"
  KILL_POINTS_TOTAL=$((KILL_POINTS_TOTAL + count))
  KILL_POINTS_FAILED=$((KILL_POINTS_FAILED + failed))
  KILL_POINTS_REPORT+=("$line")
}

kill_points_summary() {
  step "kill points covered"
  printf '%s\n' "${KILL_POINTS_REPORT[@]}"
  echo "total: $KILL_POINTS_TOTAL kill points, $KILL_POINTS_FAILED failing"
  ((KILL_POINTS_FAILED == 0)) || die "$KILL_POINTS_FAILED kill points failing (listed above)"
}

# kill_points_batch NAME SETUP TEARDOWN FILE
#
# The same for `contain batch FILE`. A script is not all or nothing: like
# `ip -batch` it stops at its first failure, with the lines before it done. So
# after a kill and `contain gc`, the state must be the one after some number K
# of the script's lines, each line whole or absent — never half a line — and
# the rest of the script (lines K+1...) must then run and give the state after
# the whole script. The states after each prefix of the script are measured
# first, from SETUP.
kill_points_batch() {
  local name=$1 setup=$2 teardown=$3 file=$4
  local -a lines states
  local k n trace=kp.trace points point call sig count=0 failed=0 now rest
  local -A at_line=()
  mapfile -t lines < <(grep -Ev '^[[:space:]]*(#|$)' "$file")
  n=${#lines[@]}
  step "kill points of '$name': the state after each of its $n lines"
  if [[ -z ${KP_WARM:-} ]]; then
    "$CONTAIN" net create kp-warm && "$CONTAIN" net delete kp-warm
    KP_WARM=1
  fi
  for ((k = 0; k <= n; k++)); do
    "$setup" >/dev/null
    if ((k > 0)); then
      printf '%s\n' "${lines[@]:0:k}" >kp.prefix
      "$CONTAIN" batch kp.prefix >/dev/null || die "'$name': its first $k lines failed"
    fi
    states[k]=$(kp_snapshot)
    ((k == 0)) || [[ ${states[k]} != "${states[k - 1]}" ]] ||
      die "'$name': line $k changed nothing that kp_snapshot sees"
    "$teardown" >/dev/null 2>&1
    bash "$TESTS_SUPPORT/assert-clean" >/dev/null || die "teardown of '$name' left something"
  done
  step "kill points of '$name': the reference run"
  "$setup" >/dev/null
  kp_sysctls_save
  strace -o "$trace" -yy -s 64 -e trace="$KP_SYSCALLS" -e signal=none -- "$CONTAIN" batch "$file" \
    >/dev/null || die "'$name' failed without a kill"
  [[ $(kp_snapshot) == "${states[n]}" ]] || die "'$name': the whole script differs from its lines"
  "$teardown" >/dev/null 2>&1
  points=$(kp_parse "$trace")
  [[ -n $points ]] || die "no kill point found in the trace of '$name'"
  echo "$(wc -l <<<"$points") kill points: $(cut -d' ' -f1,2 <<<"$points" | tr '\n' ' ')"
  while read -r call k sig; do
    point="$call #$k ($sig)"
    "$setup" >/dev/null
    kp_sysctls_restore
    local strace_rc
    strace_rc=$(sh -c '"$@" >/dev/null 2>&1; echo $?' sh strace -o "$trace" -yy -s 64 \
      -e trace="$call" -e signal=none -e inject="$call:signal=KILL:when=$k" -- \
      "$CONTAIN" batch "$file" 2>/dev/null)
    kp_check_killed "$strace_rc" "$call" "$k" "$sig"
    local gc_out rc=0 done_lines=-1
    gc_out=$("$CONTAIN" gc 2>&1) || rc=$?
    ((rc == 0)) || kp_fail "'$name' killed at $point: gc exited $rc: $gc_out" "${states[0]}" \
      "$(kp_snapshot)" "${states[n]}"
    now=$(kp_snapshot)
    for ((k = 0; k <= n; k++)); do
      if [[ $now == "${states[k]}" ]]; then
        done_lines=$k
        break
      fi
    done
    if ((done_lines < 0)); then
      kp_fail "'$name' killed at $point, then gc ($gc_out): a state after no whole number of lines" \
        "${states[0]}" "$now" "${states[n]}"
      failed=$((failed + 1))
      kp_sweep
    else
      at_line[$done_lines]=$((${at_line[$done_lines]:-0} + 1))
      if ((done_lines < n)); then
        printf '%s\n' "${lines[@]:done_lines}" >kp.rest
        rest=$("$CONTAIN" batch kp.rest 2>&1) ||
          kp_fail "'$name' killed at $point, gc left $done_lines lines done; the rest failed: $rest" \
            "${states[0]}" "$(kp_snapshot)" "${states[n]}"
        now=$(kp_snapshot)
        [[ $now == "${states[n]}" ]] ||
          kp_fail "'$name' killed at $point: the rest of the script after gc gives another state" \
            "${states[0]}" "$now" "${states[n]}"
      fi
      "$teardown" >/dev/null 2>&1
    fi
    bash "$TESTS_SUPPORT/assert-clean" >/dev/null ||
      die "'$name' killed at $point: teardown after gc left something: $(bash "$TESTS_SUPPORT/assert-clean" 2>&1)"
    count=$((count + 1))
  done <<<"$points"
  local line="$name: $count kill points (gc left lines done:" d
  for d in $(printf '%s\n' "${!at_line[@]}" | sort -n); do line+=" $d×${at_line[$d]}"; done
  line+=")"
  ((failed == 0)) || line+=", $failed FAILING"
  echo "$line"
  KILL_POINTS_TOTAL=$((KILL_POINTS_TOTAL + count))
  KILL_POINTS_FAILED=$((KILL_POINTS_FAILED + failed))
  KILL_POINTS_REPORT+=("$line")
}
