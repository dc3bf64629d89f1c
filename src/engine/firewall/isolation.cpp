#include "engine/firewall/isolation.hpp"

#include <fmt/format.h>

#include "core/undo.hpp"
#include "engine/firewall/table.hpp"
#include "engine/records.hpp"

namespace contain::engine {

using namespace firewall_detail;

Status isolate_network(const StateStore& store, const Cidr& subnet, const IfName& bridge,
                       std::string_view owner) {
  std::string what = fmt::format("isolate network on {}", bridge.str());
  if (TRY(store.get<IsolationRecord>(bridge.str()))) return {};
  Undo undo;
  TRY_WRAP(store.put(bridge.str(),
                     IsolationRecord{bridge.str(), subnet.subnet().str(), std::string(owner)}),
           what);
  undo.add([&] { (void)store.erase<IsolationRecord>(bridge.str()); });
  model::FirewallElements added;
  added.isolated_bridges.push_back(bridge.str());
  TRY(apply(store, added, {}, what));
  undo.commit();
  return {};
}

Status unisolate_network(const StateStore& store, const IfName& bridge) {
  return remove_records(store, {{IsolationRecord::kKind, bridge.str()}},
                        fmt::format("end isolation of {}", bridge.str()));
}

}  // namespace contain::engine
