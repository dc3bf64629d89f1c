// The record of an isolated managed network, isolation/<BRIDGE>
// (engine/firewall/isolation): {"bridge": BRIDGE, "subnet": CIDR, "owner":
// "network/NAME"}.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "core/error.hpp"
#include "engine/record/fields.hpp"

namespace contain::engine {

struct IsolationRecord {
  static constexpr std::string_view kKind = "isolation";
  // The bridge whose traffic to other isolated bridges is dropped: an element
  // of the firewall table, as nft reads it. Also the record's name.
  std::string bridge = {};
  std::string subnet = {};  // the network's, for whoever reads the store
  std::string owner = {};
  record::Unknown unknown = {};  // a newer version's fields (record/fields.hpp)

  // The bridge, or for a record without one, the record's name.
  const std::string& bridge_or(const std::string& name) const {
    return bridge.empty() ? name : bridge;
  }

  static Result<IsolationRecord> from_json(const nlohmann::json& j);
  nlohmann::json to_json() const;
};

}  // namespace contain::engine
