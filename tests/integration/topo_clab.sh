# A containerlab file (.clab.yml) of kind: linux nodes without image and a
# kind: bridge, read as it is: its ipv4/ipv6 link fields applied, the hosts
# reaching each other through the switch; an image is refused, nothing made.
. "$TESTS_SUPPORT/lib.sh"

cat > lab.clab.yml <<'EOF2'
# containerlab's shape: nodes of kind linux and bridge, addresses on the links
name: clab1
topology:
  nodes:
    client1:
      kind: linux
    client2:
      kind: linux
    br-clab:
      kind: bridge
  links:
    - endpoints: ["client1:eth1", "br-clab:eth1"]
      ipv4: ["192.0.2.1/24", ""]
      ipv6: ["2001:db8::1/64", ""]
    - endpoints: ["client2:eth1", "br-clab:eth2"]
      ipv4: ["192.0.2.2/24", ""]
      ipv6: ["2001:db8::2/64", ""]
EOF2

before=$(kernel_state)
step "up from the .clab.yml: addresses from its link fields"
contain topo up lab.clab.yml
assert_contains "$(ip -n client1 -o addr show dev eth1)" "192.0.2.1/24"
assert_contains "$(ip -n client2 -o addr show dev eth1)" "2001:db8::2/64"
assert_eq "eth1 eth2" "$(ip -n br-clab -o link show master br0 | awk -F': ' '{sub(/@.*/, "", $2); print $2}' | sort | xargs)" "switch ports"
ip netns exec client1 ping -c1 -w10 192.0.2.2
ip netns exec client2 ping -c1 -w10 2001:db8::1
contain topo down clab1
assert_eq "$before" "$(kernel_state)" "after down"

step "an image is refused: contain does not pull images"
sed 's/      kind: linux/      kind: linux\n      image: alpine:3/' lab.clab.yml > image.clab.yml
grep -q 'image: alpine' image.clab.yml || die "the edited file has no image"
rc=0; err=$(contain topo up image.clab.yml 2>&1) || rc=$?
echo "$err"
assert_eq 2 "$rc" "exit status"
assert_contains "$err" "image.clab.yml:7:7: node client1: 'image' is not supported"
assert_contains "$err" "image.clab.yml:10:7: node client2:"
assert_contains "$err" "contain does not pull images"
assert_eq "$before" "$(kernel_state)" "after the refusal"
