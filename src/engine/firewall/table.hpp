// The nftables table `inet contain` (see model/firewall.hpp) as our records
// describe it: made on first use, changed one transaction at a time, rebuilt
// from the records if someone deleted or flushed it, deleted with its last
// element. NAT (nat.hpp), forwards (forward.hpp) and isolation (isolation.hpp)
// are elements of it; this file holds what they share, removal by owner, and gc.
//
// Functions taking a StateStore run under the caller's lock (so that
// `net delete`, `network create` ... can do their firewall part inside their own
// operation); the others take the lock themselves.
#pragma once

#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/error.hpp"
#include "core/ip.hpp"
#include "engine/state.hpp"
#include "model/firewall.hpp"

namespace contain::engine {

// Removes every NAT entry, forward and isolation whose owner is `owner`
// ("netns/NAME", "network/NAME", "bridge/NAME"), or one of `owners`, in one transaction.
Status remove_firewall_owned_by(const StateStore& store, std::string_view owner);
Status remove_firewall_owned_by(const StateStore& store, const std::set<std::string>& owners);

// For `contain gc` (the caller holds the lock): removes the records
// ({kind, name}, kind "nat", "forward" or "isolation") and their elements in one
// transaction, then reconciles the rest with the kernel: the table is made again
// from the records (deleted if no entry is left), and route_localnet is
// restored where no forward needs it any more. Made again even when it exists:
// a command killed between writing a record and adding its element (nat
// enable into a table that exists), or between removing an element and its
// record, leaves the table and the records apart, and the records say what is
// ours. One transaction, atomic for packets. Returns one line per thing done
// beyond removing `records`.
Result<std::vector<std::string>> collect_firewall_garbage(
    const StateStore& store, const std::vector<std::pair<std::string, std::string>>& records);

namespace firewall_detail {

// Everything our records say the table holds, and which links have
// route_localnet set for a forward.
struct Everything {
  model::FirewallElements elements;
  std::set<std::string> localnet_links;
};
// A record, by kind and name.
struct RecordRef {
  std::string_view kind;
  std::string name;
};
// `except`: records left out (about to be removed).
Result<Everything> load_all(const StoreReader& store, const std::vector<RecordRef>& except = {});

// Applies a change to the table: `added` and `removed` are elements whose
// records are already written or removed. The table is made on first use (from
// all records) and deleted when no record is left. If the incremental change
// fails because someone removed or flushed our table, it is made again from the
// records, in one transaction.
Status apply(const StateStore& store, const model::FirewallElements& added,
             const model::FirewallElements& removed, std::string_view what,
             const Everything* known_all = nullptr);

// Removes what records put in the table, in one transaction, then the records:
// killed in between, the records are still there for gc to remove again.
Status remove_records(const StateStore& store, const std::vector<RecordRef>& refs,
                      std::string_view what);

// net.ipv4.ip_forward or net.ipv6.conf.all.forwarding on, if it is not.
Status enable_forwarding(int family, std::string_view what);

}  // namespace firewall_detail

}  // namespace contain::engine
