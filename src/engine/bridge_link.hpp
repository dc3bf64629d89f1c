// Bridge links: veth pairs from a bridge on the host into a network namespace. The
// building block of `bridge attach`, `network attach` and the batch path.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "core/error.hpp"
#include "core/ip.hpp"
#include "core/names.hpp"
#include "core/netns_id.hpp"
#include "core/undo.hpp"
#include "core/unique_fd.hpp"
#include "engine/records.hpp"
#include "kernel/netlink/socket.hpp"
#include "model/netns_spec.hpp"

namespace contain::engine {

// Which network namespace: a name under /run/netns; one the user named by
// pid:, a path or container: (see resolve_netns), held open and known by its
// identity; or one the caller already holds open (for example a container's,
// from /proc/PID/ns/net or a pidfd), labelled with an owner such as
// "container/web". A NetnsRef made from an fd borrows it: the caller keeps it
// open during the call.
class NetnsRef {
 public:
  static NetnsRef named(NetnsName name) { return NetnsRef(std::move(name)); }
  static NetnsRef from_fd(int netns_fd, std::string owner) {
    return NetnsRef(Borrowed{netns_fd, std::move(owner)});
  }
  // `text` is what the user wrote (pid:PID, a path, container:NAME).
  static NetnsRef opened(UniqueFd fd, NetnsId id, std::string owner, std::string text) {
    return NetnsRef(
        Opened{std::make_shared<UniqueFd>(std::move(fd)), id, std::move(owner), std::move(text)});
  }

  bool is_named() const { return std::holds_alternative<NetnsName>(ref_); }
  const NetnsName* name() const { return std::get_if<NetnsName>(&ref_); }
  // The identity of a namespace resolved from pid:, a path or container:.
  std::optional<NetnsId> id() const;
  // "netns/NAME", "nsid/DEV:INO" (pid: or a path), "container/NAME", or the
  // owner given with a borrowed fd: recorded in state and link aliases.
  std::string owner() const;
  // For messages: namespace "NAME", namespace pid:PID ..., or the owner.
  std::string describe() const;
  // As the user wrote it ("" for a borrowed fd).
  std::string text() const;
  // A descriptor of the namespace (a duplicate for one held open).
  Result<UniqueFd> open() const;

 private:
  struct Borrowed {
    int fd;
    std::string owner;
  };
  struct Opened {
    std::shared_ptr<UniqueFd> fd;
    NetnsId id;
    std::string owner;
    std::string text;
  };
  explicit NetnsRef(NetnsName name) : ref_(std::move(name)) {}
  explicit NetnsRef(Borrowed b) : ref_(std::move(b)) {}
  explicit NetnsRef(Opened o) : ref_(std::move(o)) {}
  std::variant<NetnsName, Borrowed, Opened> ref_;
};

// What the user wrote, made a reference: a name stays a name (opened when
// used, as before); pid:PID, a path and container:NAME are opened now, so that
// the namespace is the one meant even if the process exits meanwhile. Errors
// are one line naming the text: `pid:99999: no such process; ...`.
Result<NetnsRef> resolve_netns(const model::NetnsSpec& spec);

// Where the links made for the namespace are recorded: by name, by identity,
// or (a borrowed fd, whose owner answers for it) nowhere.
std::optional<NetnsKey> netns_key(const NetnsRef& netns);

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
  unsigned mtu = 0;  // of both ends (0: the kernel's default)
  // Dual stack: addresses of the other address families, and default routes
  // through these gateways (each of a family `gateway` is not of).
  std::vector<Cidr> more_addresses = {};
  std::vector<IpAddress> more_gateways = {};
};
struct BridgeLinkResult {
  int host_ifindex = 0;
  int peer_ifindex = 0;
};

// Creates the links with pipelined requests: one batch on the host socket (each
// veth born with its peer inside the namespace, the host end enslaved in the
// same request, then its alias), one link dump (a few: a look-up of each peer),
// then one batch per namespace (up, address, default route), then one on the
// host bringing the host ends up. All or nothing: on failure every host
// end created here is deleted again, which takes its peer with it. A request
// the kernel refuses because the address or default route already exists
// says so, and how to look.
Result<std::vector<BridgeLinkResult>> create_bridge_links(
    const kernel::NetlinkSocket& host, const std::vector<BridgeLinkRequest>& requests);

// Creates bridge `name`, up, with the alias contain:<owner> and `address` if
// given, and `mtu` if not 0. From the moment it exists, `undo` holds its
// deletion (by name, so that nothing is left even if a later step of this
// function fails).
Status make_owned_bridge(const kernel::NetlinkSocket& host, const IfName& name,
                         std::string_view owner, const std::optional<Cidr>& address, Undo& undo,
                         unsigned mtu = 0);

// A fresh host-side name, "vc" and 12 random hex digits (14 bytes).
IfName generate_host_ifname();
// "eth0", or the next ethN not used in the namespace.
Result<IfName> next_free_ifname(const kernel::NetlinkSocket& inside);
// Fails (naming the namespace) if it already has a link called `name`.
Status check_ifname_free(const kernel::NetlinkSocket& inside, const IfName& name,
                         std::string_view where);

}  // namespace contain::engine
