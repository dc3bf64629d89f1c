#include "engine/release.hpp"

#include <linux/rtnetlink.h>
#include <netlink/socket.h>

#include <algorithm>
#include <chrono>
#include <set>

#include "engine/container/cgroups.hpp"
#include "engine/container/pasta.hpp"
#include "engine/firewall.hpp"
#include "engine/network.hpp"
#include "engine/records.hpp"
#include "engine/shape.hpp"
#include "kernel/netlink/link.hpp"

namespace contain::engine {

std::string_view release_kind_name(ReleaseKind kind) {
  for (const auto& k : kReleaseOrder)
    if (k.kind == kind) return k.name;
  return "?";
}

namespace {

bool any_container(const std::vector<std::string>& owners) {
  return std::any_of(owners.begin(), owners.end(),
                     [](const std::string& o) { return o.starts_with("container/"); });
}

// A container's exit is best effort: the process has ended and nobody is there
// to retry, so a step that fails does not keep the next ones from running.
bool best_effort(ReleaseEvent event) { return event == ReleaseEvent::container_exited; }

// Waits until the host end of an exited container's veth is gone. The kernel
// destroys the container's network namespace, and the veth pair in it, in its
// batched cleanup (a few ms here, tens under load): cheaper than deleting the
// pair ourselves, and what makes `ip link` show nothing of the container once
// `contain run`, `stop` or `rm` returns. Bounded: if something else still
// holds the namespace after the bound, the pair is deleted by hand.
// Returns false if the link may still be there.
bool await_host_link_gone(int host_ifindex) {
  auto watch = kernel::NetlinkSocket::open();
  if (!watch) return false;
  nl_socket_disable_seq_check(watch->get());
  nl_socket_set_buffer_size(watch->get(), 1 << 20, 0);
  // Subscribe, then look, so that no removal can slip in between.
  if (!watch->check(nl_socket_add_membership(watch->get(), RTNLGRP_LINK), "watch link changes"))
    return false;
  auto link = kernel::get_link(*watch, host_ifindex);
  if (!link) return link.error().code() == ENODEV;
  if (kernel::wait_for_links_gone(*watch, {host_ifindex}, std::chrono::milliseconds(2000)).empty())
    return true;
  auto deleted = kernel::delete_link(*watch, host_ifindex);
  return deleted || deleted.error().code() == ENODEV;
}

class Release {
 public:
  Release(const StateStore* store, const std::vector<std::string>& owners,
          const ReleaseOptions& options)
      : store_(store), owners_(owners), set_(owners.begin(), owners.end()), o_(options) {}

  Status run(ReleaseKind kind) {
    switch (kind) {
      case ReleaseKind::cgroups:
        return cgroups();
      case ReleaseKind::pasta:
        return pasta();
      case ReleaseKind::await_links:
        link_gone_ = await_host_link_gone(o_.await_ifindex);
        return {};
      case ReleaseKind::releasing:
        return releasing();
      case ReleaseKind::firewall:
        return remove_firewall_owned_by(*TRY(store()), set_);
      case ReleaseKind::forwards_into:
        return forwards_into();
      case ReleaseKind::shaping:
        return shaping();
      case ReleaseKind::host_links:
        return host_links();
      case ReleaseKind::addresses:
        return addresses();
      case ReleaseKind::netns_records:
        return forget_netns_records_owned_by(*TRY(store()), owners_);
    }
    return {};
  }

 private:
  // The caller's locked store, or the containers' store locked the first
  // time a kind needs it.
  Result<const StateStore*> store() {
    if (store_) return store_;
    own_ = TRY(StateStore::lock_containers());
    store_ = &*own_;
    return store_;
  }
  Result<const kernel::NetlinkSocket*> host() {
    if (!host_) host_ = TRY(kernel::NetlinkSocket::open());
    return &*host_;
  }

  Status cgroups() {
    if (o_.cgroups) return detail::remove_cgroups(*o_.cgroups);
    // A record whose groups cannot be read has none of ours to remove.
    if (o_.container_record)
      if (auto plan = detail::CgroupPlan::from_record(*o_.container_record))
        return detail::remove_cgroups(*plan);
    return {};
  }
  Status pasta() {
    if (o_.pasta)
      detail::stop_pasta(*o_.pasta);
    else if (o_.container_record)
      detail::stop_recorded_pasta(*o_.container_record);
    return {};
  }

  // The network records the release looks at: the one of options.network, or all.
  Result<std::vector<std::pair<std::string, NetworkRecord>>> networks() {
    const StateStore& s = *TRY(store());
    if (!o_.network) return s.get_all<NetworkRecord>();
    std::vector<std::pair<std::string, NetworkRecord>> out;
    if (auto r = TRY(s.get<NetworkRecord>(*o_.network))) out.emplace_back(*o_.network, *r);
    return out;
  }
  // The attachments released: the owners', or on a deleted network all of them.
  bool released(const NetworkAttachmentRecord& a) const {
    return o_.event == ReleaseEvent::network_deleted || set_.contains(a.owner);
  }

  Status releasing() {
    for (auto& [name, record] : TRY(networks())) TRY(settle_all_releasing(*TRY(host()), record));
    return {};
  }

  Status forwards_into() {
    const StateStore& s = *TRY(store());
    auto into = [&](const IpAddress& address) {
      return remove_forwards_into(s, Cidr(address, address.bits()));
    };
    for (const auto& [name, record] : TRY(networks())) {
      if (o_.event == ReleaseEvent::network_deleted) {
        TRY(remove_forwards_into(s, record.first.subnet));
        for (const auto& m : record.more_subnets) TRY(remove_forwards_into(s, m.subnet));
        continue;
      }
      for (const auto& a : record.attachments) {
        if (!released(a)) continue;
        TRY(into(a.address));
        for (const auto& more : a.more_addresses) TRY(into(more));
      }
    }
    return {};
  }

  // Shaping of the owners' named namespaces, and of the host ends their
  // namespace records and attachments name.
  Status shaping() {
    const StateStore& s = *TRY(store());
    std::vector<std::string> netns_names, host_links;
    constexpr std::string_view netns = "netns/";
    for (const auto& owner : owners_) {
      if (!owner.starts_with(netns)) continue;
      auto name = NetnsName::parse(std::string_view(owner).substr(netns.size()));
      if (!name) continue;
      netns_names.push_back(name->str());
      if (auto record = TRY(find_netns_record(s, *name)))
        for (const auto& l : record->links()) host_links.push_back(l.name);
    }
    for (const auto& [name, record] : TRY(networks()))
      for (const auto& a : record.attachments)
        if (released(a)) host_links.push_back(a.host);
    if (netns_names.empty() && host_links.empty()) return {};
    return forget_shaping(s, *TRY(host()), netns_names, host_links);
  }

  // Deletes the host ends of the attachments released. gc deletes them by
  // name (a command killed before it set our alias leaves none); the others
  // only links that carry our alias. detach and network delete also forget
  // them in their namespace's record.
  Status host_links() {
    const StateStore& s = *TRY(store());
    bool by_name = o_.event == ReleaseEvent::container_collected;
    bool forget =
        o_.event == ReleaseEvent::attachment_detached || o_.event == ReleaseEvent::network_deleted;
    for (const auto& [name, record] : TRY(networks())) {
      for (const auto& a : record.attachments) {
        if (!released(a)) continue;
        const kernel::NetlinkSocket& h = *TRY(host());
        if (auto link = kernel::get_link(h, a.host);
            link && (by_name || link->alias.starts_with(kAliasPrefix))) {
          auto gone = kernel::delete_link(h, link->ifindex);
          // detach and network delete hold the lock: nothing else deletes it meanwhile.
          if (!gone && (forget || gone.error().code() != ENODEV))
            return fail(std::move(gone).error());
        }
        if (forget) TRY(forget_attachment_link(s, a));
      }
    }
    return {};
  }

  // Forgets the attachment's host end in the record of the namespace it
  // names (by name or by identity), if any.
  static Status forget_attachment_link(const StateStore& s, const NetworkAttachmentRecord& a) {
    auto is_it = [&](const NetnsLink& l) { return l.name == a.host; };
    std::string netns_name = a.netns.value_or("");
    if (auto netns = NetnsName::parse(netns_name); netns && !netns_name.empty())
      return forget_netns_links(s, *netns, is_it);
    if (auto id = NetnsId::parse(a.netns_id.value_or("")))
      return forget_netns_links(s, NetnsKey(*id, a.ref.value_or(""), a.owner), is_it);
    return {};
  }

  Status addresses() {
    const StateStore& s = *TRY(store());
    // An exited container whose veth outlived the wait: its addresses stay
    // "releasing" until that link is gone (never handed to another container
    // while the old veth could still answer for them).
    if (o_.event == ReleaseEvent::container_exited && !link_gone_ &&
        defer_release(s, owners_.front(), o_.await_ifindex, o_.await_network))
      return {};
    if (!o_.network) return release_attachments(s, owners_);
    for (auto& [name, record] : TRY(networks())) {
      auto before = record.attachments.size();
      std::erase_if(record.attachments,
                    [&](const NetworkAttachmentRecord& a) { return released(a); });
      if (record.attachments.size() != before) TRY(s.put(name, record));
    }
    return {};
  }

  const StateStore* store_;
  std::optional<StateStore> own_;
  std::optional<kernel::NetlinkSocket> host_;
  const std::vector<std::string>& owners_;
  std::set<std::string> set_;
  const ReleaseOptions& o_;
  bool link_gone_ = true;
};

}  // namespace

std::vector<ReleaseKind> plan_release(const std::vector<std::string>& owners,
                                      const ReleaseOptions& options) {
  std::vector<ReleaseKind> plan;
  bool container = any_container(owners);
  for (const auto& k : kReleaseOrder) {
    if (!(k.events & on({options.event}))) continue;
    switch (k.kind) {
      // Only containers have processes of their own.
      case ReleaseKind::cgroups:
      case ReleaseKind::pasta:
        if (!container) continue;
        break;
      // A container without a managed network has no links or addresses to
      // give back (its namespace records stay for rm).
      case ReleaseKind::await_links:
      case ReleaseKind::addresses:
      case ReleaseKind::netns_records:
        if (options.event == ReleaseEvent::container_exited && !options.networked) continue;
        break;
      case ReleaseKind::firewall:
        if (options.event == ReleaseEvent::container_exited &&
            !(options.networked && options.firewall))
          continue;
        break;
      default:
        break;
    }
    plan.push_back(k.kind);
  }
  return plan;
}

Status release_owned_by(const StateStore* store, const std::vector<std::string>& owners,
                        const ReleaseOptions& options) {
  if (owners.empty()) return {};
  Release release(store, owners, options);
  Status first;
  for (ReleaseKind kind : plan_release(owners, options)) {
    auto done = release.run(kind);
    if (done) continue;
    if (!best_effort(options.event)) return done;
    if (first) first = std::move(done);
  }
  return first;
}

}  // namespace contain::engine
