// The state records of namespaces, shared by net, bridge and network code.
// A named namespace's record, netns/NAME: {"name", "created", "links":
// [{"name" (host end), "ifindex", "peer", "kind": "veth", "bridge"?,
// "network"?, "address"?}]}. A namespace without a name under /run/netns
// (given as pid:PID, a path or container:NAME) is known by its identity, the
// device and inode of its namespace file: netns-id/DEV:INO, {"id": "DEV:INO",
// "ref": what the user first called it, "owner": "nsid/DEV:INO" or
// "container/NAME", "created": false, "links": [...]}.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/error.hpp"
#include "core/names.hpp"
#include "core/netns_id.hpp"
#include "engine/record/bridge.hpp"
#include "engine/record/container.hpp"
#include "engine/record/netns.hpp"
#include "engine/record/network.hpp"
#include "engine/state.hpp"

namespace contain::engine {

// The kinds of record under /run/contain/<kind>/, one place for all.
inline constexpr std::string_view kNetnsKind = NetnsRecord::kKind;
inline constexpr std::string_view kNetnsIdKind = NetnsIdRecord::kKind;
inline constexpr std::string_view kBridgeKind = BridgeRecord::kKind;
inline constexpr std::string_view kNetworkKind = NetworkRecord::kKind;
inline constexpr std::string_view kContainerKind = ContainerRecord::kKind;
inline constexpr std::string_view kNatKind = "nat";
inline constexpr std::string_view kForwardKind = "forward";
inline constexpr std::string_view kIsolationKind = "isolation";
inline constexpr std::string_view kLocalnetKind = "localnet";
inline constexpr std::string_view kShapeKind = "shape";
// A marker: our nftables table exists (written before it is made, removed after it goes).
inline constexpr std::string_view kFirewallKind = "firewall";
inline constexpr std::string_view kAllKinds[] = {
    kNetnsKind,   kBridgeKind,    kNetworkKind,  kContainerKind, kNatKind,
    kForwardKind, kIsolationKind, kLocalnetKind, kShapeKind,     kFirewallKind};
// What a command killed half way leaves, said by the record it wrote first: a
// record (or a link or attachment in one) is written with "phase": "creating"
// before its kernel objects are made, and without it once all are; a record
// to be removed in several steps first gets "phase": "deleting". Commands hold
// the store's lock throughout, so a phase that `contain gc` sees under the
// lock belongs to a command that died: gc undoes a "creating" one and finishes
// a "deleting" one. No phase: the object is whole.
inline constexpr std::string_view kPhaseCreating = "creating";
inline constexpr std::string_view kPhaseDeleting = "deleting";
// (Typed records say it with record::Phase; this is for kinds not typed yet.)
inline bool in_phase(const nlohmann::json& j, std::string_view phase) {
  auto it = j.find("phase");
  return it != j.end() && it->is_string() && it->get<std::string>() == phase;
}

// Who owns a record, a firewall entry or a link: "<kind>/<name>", recorded as
// "owner" and, after kAliasPrefix, as the alias of the links it owns.
inline std::string netns_owner(std::string_view name) { return "netns/" + std::string(name); }
// A namespace known by identity (pid:PID or a path): "nsid/DEV:INO".
inline std::string nsid_owner(const NetnsId& id) { return "nsid/" + id.str(); }
inline std::string network_owner(std::string_view name) { return "network/" + std::string(name); }
inline std::string bridge_owner(std::string_view name) { return "bridge/" + std::string(name); }
inline std::string container_owner(std::string_view name) {
  return "container/" + std::string(name);
}
// Owner aliases on links: kAliasPrefix + "<kind>/<name>".
inline constexpr std::string_view kNetnsOwnerPrefix = "contain:netns/";
inline constexpr std::string_view kNsidOwnerPrefix = "contain:nsid/";
inline constexpr std::string_view kNetworkOwnerPrefix = "contain:network/";
inline constexpr std::string_view kShapeOwnerPrefix = "contain:shape/";

// Which record a namespace has: by name, or by identity (with what the user
// called it, kept in a new record for messages and listings).
struct NetnsKey {
  NetnsKey(NetnsName name) : key(std::move(name)) {}  // NOLINT: a name is a key
  NetnsKey(NetnsId id, std::string ref, std::string owner)
      : key(id), ref(std::move(ref)), owner(std::move(owner)) {}
  std::variant<NetnsName, NetnsId> key;
  std::string ref;
  std::string owner;
  std::string_view kind() const { return key.index() == 0 ? kNetnsKind : kNetnsIdKind; }
  std::string record_name() const;
};

// Either kind of namespace record (engine/record/netns.hpp), as
// load_netns_record finds or makes it.
struct AnyNetnsRecord {
  std::variant<NetnsRecord, NetnsIdRecord> record;
  std::vector<NetnsLink>& links() {
    return std::visit([](auto& r) -> std::vector<NetnsLink>& { return r.links; }, record);
  }
  const std::vector<NetnsLink>& links() const {
    return std::visit([](const auto& r) -> const std::vector<NetnsLink>& { return r.links; },
                      record);
  }
  bool created() const {
    return std::visit([](const auto& r) { return r.created; }, record);
  }
  // The link whose host end is `name`, if recorded.
  NetnsLink* link(std::string_view name);
};

// A namespace record without links; `created`: contain made the namespace.
NetnsRecord new_netns_record(const NetnsName& name, bool created);
// The namespace's record, if it has one.
Result<std::optional<AnyNetnsRecord>> find_netns_record(const StoreReader& store,
                                                        const NetnsKey& key);
// The namespace's record, or a fresh one for a namespace contain did not create.
Result<AnyNetnsRecord> load_netns_record(const StoreReader& store, const NetnsKey& key);
// Forgets, in the record of namespace `netns` (if it has one), the links
// `forget` selects.
Status forget_netns_links(const StateStore& store, const NetnsKey& key,
                          const std::function<bool(const NetnsLink&)>& forget);
// The same for the namespace an owner names ("netns/NAME" or "nsid/DEV:INO";
// nothing for other owners).
Status forget_owner_netns_links(const StateStore& store, std::string_view owner,
                                const std::function<bool(const NetnsLink&)>& forget);
// Removes the records of namespaces known by identity whose owner is one of
// `owners` (a container's, when it is removed: its namespace went with it).
Status forget_netns_records_owned_by(const StateStore& store,
                                     const std::vector<std::string>& owners);
// Writes it, or removes it when it no longer records anything.
Status save_netns_record(const StateStore& store, const NetnsKey& key,
                         const AnyNetnsRecord& record);

}  // namespace contain::engine
