# Commands are never misread: before "--" only known options; an unknown one is
# a usage error (exit 2) that names it and the closest known option, and nothing
# is run or created. After "--" everything is the command's, untouched.
. "$TESTS_SUPPORT/lib.sh"

ran() { [[ -e $PWD/$1 ]]; }   # the command below touched the file $1
contain net create lab
contain run -d --name box -- sleep 1000 >/dev/null

step "the observer works: a well-formed command does run"
contain run -- touch "$PWD/ok-run" && ran ok-run || die "run did not run the command"
contain exec box -- touch "$PWD/ok-exec" && ran ok-exec || die "exec did not run the command"
contain net exec lab -- touch "$PWD/ok-netexec" && ran ok-netexec || die "net exec did not run the command"
rm ok-*
before=$(kernel_state)
containers=$(contain ps -a --json | jq -c '[.[].name]')
assert_eq '["box"]' "$containers" "containers before"

step "an unknown command is named as such"
expect_fail 2 'unknown command "nosuch" \(see .contain --help.\)' -- contain nosuch -- touch "$PWD/ran0"
expect_fail 2 'unknown command "rn"' -- contain rn -- touch "$PWD/ran0"
ran ran0 && die "an unknown command ran its command"
expect_fail 2 '^contain: unknown option "--bogus" \(see .contain --help.\)$' -- contain --bogus
expect_fail 2 'unknown option "--versio"; did you mean --version\?' -- contain --versio

step "run: unknown options are refused, the closest known one suggested"
expect_fail 2 'run: unknown option "--hostnme"; did you mean --hostname\?' -- \
  contain run --hostnme box -- touch "$PWD/ran1"
expect_fail 2 'run: unknown option "--hostnme=box"; did you mean --hostname\?' -- \
  contain run --hostnme=box -- touch "$PWD/ran2"
expect_fail 2 'run: unknown option "--blkio-weight"; nothing was run \(see .contain run --help.' -- \
  contain run --blkio-weight 10 -- touch "$PWD/ran3"
expect_fail 2 'run: unknown option "--nme"; did you mean --name\?' -- \
  contain run -d --nme web -- touch "$PWD/ran4"
expect_fail 2 'run: unknown option "-x"' -- contain run -x -- touch "$PWD/ran5"
expect_fail 2 'run: unknown option "--networkk"; did you mean --network\?' -- \
  contain run --networkk none touch "$PWD/ran6"
expect_fail 2 'Nothing was run \(see .contain run --help.; the command goes after .--.\)' -- \
  contain run --hostnme box -- touch "$PWD/ran7"

step "exec: the same, wherever the unknown option stands before the command"
expect_fail 2 'exec: unknown option "--usr"' -- contain exec --usr root box -- touch "$PWD/ran8"
expect_fail 2 'exec: unknown option "--foo"' -- contain exec box --foo -- touch "$PWD/ran9"

step "net exec: the same"
expect_fail 2 'net exec: unknown option "--foo"' -- contain net exec lab --foo -- touch "$PWD/ran10"
expect_fail 2 'net exec: unknown option "--foo"' -- contain net exec --foo lab -- touch "$PWD/ran11"

step "topo exec: the same (checked before the lab is looked up)"
expect_fail 2 'topo exec: unknown option "--foo"' -- contain topo exec lab node --foo -- touch "$PWD/ran12"

step "nothing ran, nothing was created"
for i in $(seq 1 12); do ! ran "ran$i" || die "the command of refused invocation $i ran"; done
assert_eq "$containers" "$(contain ps -a --json | jq -c '[.[].name]')" "containers after the refusals"
assert_eq "$before" "$(kernel_state)" "kernel state after the refusals"

step "after '--' the command is untouched, option-like words included"
assert_eq "--hostnme -x -- --name y" "$(contain run -- echo --hostnme -x -- --name y)" "run"
assert_eq "--foo -- bar" "$(contain exec box -- echo --foo -- bar)" "exec"
assert_eq "--foo -- bar" "$(contain net exec lab -- echo --foo -- bar)" "net exec"
# Without "--" the command starts at its first word; what follows is its own.
assert_eq "--hostnme x" "$(contain run --name c2 echo --hostnme x)" "run without --"
assert_eq "--foo" "$(contain net exec lab echo --foo)" "net exec without --"

step "commands that take no command: the same message"
expect_fail 2 'net create: unknown option "--nme" \(see .contain net create --help.\)' -- \
  contain net create --nme other
expect_fail 2 'network create: unknown option "--no-natt"; did you mean --no-nat\?' -- \
  contain network create web --subnet 198.51.100.0/24 --no-natt
expect_fail 2 'bridge attach: unknown option "--gatway"; did you mean --gateway\?' -- \
  contain bridge attach br0 lab --addr 192.0.2.2/24 --gatway 192.0.2.1
assert_eq "$before" "$(kernel_state)" "kernel state after the refusals"

contain rm -f box
contain net delete lab
