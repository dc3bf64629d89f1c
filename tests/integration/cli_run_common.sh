# contain run reads its commonest command lines without building CLI11's
# parser (model::read_common_run, in main). The same options written as
# --opt=VALUE, which only CLI11 reads, must start the same container and
# fail the same way: hostname, working directory, ids, PID 1, capabilities,
# whether the root is writable, exit codes and errors.
. "$TESTS_SUPPORT/lib.sh"

step "a busybox root with two users"
mkdir -p rootfs/bin rootfs/etc rootfs/srv rootfs/proc rootfs/dev rootfs/sys
cp "$(command -v busybox)" rootfs/bin/busybox
for applet in sh cat id hostname pwd touch grep tr true; do ln -s busybox rootfs/bin/$applet; done
printf 'root:x:0:0::/root:/bin/sh\nalice:x:1000:1000::/srv:/bin/sh\n' > rootfs/etc/passwd
printf 'root:x:0:\nalice:x:1000:\n' > rootfs/etc/group

report='echo "host=$(hostname) pwd=$(pwd) id=$(id -u):$(id -g) pid1=$(cat /proc/1/comm)"
grep -E "^Cap(Eff|Bnd)" /proc/self/status | tr -s "\t" " "
touch /probe 2>/dev/null && echo root=rw || echo root=ro'

# cli11_form WORD...: the words with each value option as --LONG=VALUE.
cli11_form() {
  local out=() long
  while (($#)); do
    case $1 in
      --) out+=("$@"); break ;;
      --name | --hostname | --rootfs | --network | --workdir | --user) out+=("$1=$2"); shift 2 ;;
      -w) out+=("--workdir=$2"); shift 2 ;;
      -u) out+=("--user=$2"); shift 2 ;;
      *) out+=("$1"); shift ;;
    esac
  done
  printf '%s\0' "${out[@]}"
}

# same WORD...: contain run with WORD... and with cli11_form WORD...: the
# same exit code and output (generated names made alike); prints it.
same() {
  local a b a_rc=0 b_rc=0 words
  mapfile -t -d '' words < <(cli11_form "$@")
  [[ "${words[*]}" == *=* ]] || die "cli11_form changed nothing in: $*"
  a=$(contain run "$@" 2>&1) || a_rc=$?
  b=$(contain run "${words[@]}" 2>&1) || b_rc=$?
  a=$(sed -E 's/c-[0-9a-f]{10}/c-ID/g' <<<"$a") b=$(sed -E 's/c-[0-9a-f]{10}/c-ID/g' <<<"$b")
  assert_eq "$b_rc" "$a_rc" "exit code of: contain run $*"
  assert_eq "$b" "$a" "output of: contain run $*"
  printf '%s\n' "$a"
}

step "defaults"
out=$(same --rootfs rootfs -- sh -c "$report")
assert_contains "$out" "host=c-ID pwd=/ id=0:0 pid1=sh" "defaults"
assert_contains "$out" "root=rw" "defaults"

step "name, hostname, working directory and user, short and long"
out=$(same --rootfs rootfs --name web --hostname box -w /srv -u 1000 -- sh -c "$report")
assert_contains "$out" "host=box pwd=/srv id=1000:1000 pid1=sh" "-w -u"
out=$(same --name web2 --rootfs rootfs --workdir /etc --user alice -- sh -c "$report")
assert_contains "$out" "host=web2 pwd=/etc id=1000:1000" "--workdir --user"

step "--init, --read-only, --privileged, --network none"
out=$(same --rootfs rootfs --init --read-only --hostname h -- sh -c "$report")
assert_contains "$out" "pid1=contain" "--init"
assert_contains "$out" "root=ro" "--read-only"
plain=$(same --rootfs rootfs --hostname h -- sh -c "$report" | grep CapBnd)
privileged=$(same --rootfs rootfs --privileged --network none --hostname h -- sh -c "$report" | grep CapBnd)
[[ $plain != "$privileged" ]] || die "--privileged changed no capability: $plain"

step "the same errors"
out=$(same --rootfs rootfs -w relative/dir -- true)
assert_contains "$out" "absolute" "a relative working directory"
out=$(same --rootfs rootfs --name 'not a name' -- true)
assert_contains "$out" "container name" "a bad name"
out=$(same --rootfs missing -- true)
assert_contains "$out" "--rootfs" "a missing root"
out=$(same --rootfs rootfs -u nobody-here -- true)
assert_contains "$out" "no user named 'nobody-here'" "an unknown user"
out=$(same --rootfs rootfs --network nosuchnet -- true)
assert_contains "$out" "nosuchnet" "an unknown network"

step "lines it does not read go to CLI11, as before"
expect_fail 2 'unknown option "--bogus"' -- contain run --rootfs rootfs --bogus -- true
expect_fail 2 "--name" -- contain run --rootfs rootfs --name -- true
assert_eq "0 sh" "$(contain run --rootfs rootfs --name x sh -c 'echo $? $0')" "a command without --"
rm -rf rootfs
