// Bridge links: veth pairs from a bridge on the host into a network namespace. The
// building block of `bridge attach`, `network attach` and the batch path.
#pragma once

#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "core/error.hpp"
#include "core/ip.hpp"
#include "core/names.hpp"
#include "core/undo.hpp"
#include "core/unique_fd.hpp"
#include "kernel/netlink.hpp"

namespace contain::engine {

// Which network namespace to attach: a name under /run/netns, or a namespace
// the caller already holds open (for example a container's, from
// /proc/PID/ns/net or a pidfd), labelled with an owner such as "container/web".
// A NetnsRef made from an fd borrows it: the caller keeps it open during the call.
class NetnsRef {
 public:
  static NetnsRef named(NetnsName name) { return NetnsRef(std::move(name)); }
  static NetnsRef from_fd(int netns_fd, std::string owner) {
    return NetnsRef(Borrowed{netns_fd, std::move(owner)});
  }

  bool is_named() const { return std::holds_alternative<NetnsName>(ref_); }
  const NetnsName* name() const { return std::get_if<NetnsName>(&ref_); }
  // "netns/NAME" or the owner given with the fd: recorded in state and link aliases.
  std::string owner() const;
  // For messages: namespace "NAME", or the owner.
  std::string describe() const;
  // A descriptor of the namespace (a duplicate for a borrowed fd).
  Result<UniqueFd> open() const;

 private:
  struct Borrowed {
    int fd;
    std::string owner;
  };
  explicit NetnsRef(NetnsName name) : ref_(std::move(name)) {}
  explicit NetnsRef(Borrowed b) : ref_(std::move(b)) {}
  std::variant<NetnsName, Borrowed> ref_;
};

// One link to create. `inside` is a netlink socket in the namespace behind
// `netns_fd`; callers that set up many links open one per namespace.
struct BridgeLinkRequest {
  std::string owner;  // alias of the host end: contain:<owner>
  int netns_fd = -1;
  const kernel::NetlinkSocket* inside = nullptr;
  int bridge_ifindex = 0;
  IfName host;  // generated: generate_host_ifname()
  IfName peer;  // the interface inside the namespace
  std::optional<Cidr> address;
  std::optional<IpAddress> gateway;
  bool loopback_up = false;  // also bring lo up (a namespace made in the same batch)
  // With `gateway`: replace the namespace's default route if it has one
  // (otherwise adding one where one exists fails with EEXIST).
  bool replace_default_route = false;
};
struct BridgeLinkResult {
  int host_ifindex = 0;
  int peer_ifindex = 0;
};

// Creates the links with pipelined requests: one batch on the host socket (each
// veth born with its peer inside the namespace, the host end enslaved and up in
// the same request, then its alias), one link dump, then one batch per
// namespace (up, address, default route). All or nothing: on failure every host
// end created here is deleted again, which takes its peer with it. A request
// the kernel refuses because the address or default route already exists
// says so, and how to look.
Result<std::vector<BridgeLinkResult>> create_bridge_links(
    const kernel::NetlinkSocket& host, const std::vector<BridgeLinkRequest>& requests);

// Creates bridge `name`, up, with the alias contain:<owner> and `address` if
// given. From the moment it exists, `undo` holds its deletion (by name, so that
// nothing is left even if a later step of this function fails).
Status make_owned_bridge(const kernel::NetlinkSocket& host, const IfName& name,
                         std::string_view owner, const std::optional<Cidr>& address, Undo& undo);

// A fresh host-side name, "vc" and 12 random hex digits (14 bytes).
IfName generate_host_ifname();
// "eth0", or the next ethN not used in the namespace.
Result<IfName> next_free_ifname(const kernel::NetlinkSocket& inside);
// Fails (naming the namespace) if it already has a link called `name`.
Status check_ifname_free(const kernel::NetlinkSocket& inside, const IfName& name,
                         std::string_view where);

}  // namespace contain::engine
