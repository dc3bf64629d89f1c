// The record of a host link on which route_localnet was set for a forward
// from 127.0.0.1 (engine/firewall/forward), localnet/<IFNAME>: {"previous":
// the sysctl's value before, restored when no forward needs it any more}.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "core/error.hpp"
#include "engine/record/fields.hpp"

namespace contain::engine {

struct LocalnetRecord {
  static constexpr std::string_view kKind = "localnet";
  std::string previous = "0";

  record::Unknown unknown = {};  // a newer version's fields (record/fields.hpp)

  static Result<LocalnetRecord> from_json(const nlohmann::json& j);
  nlohmann::json to_json() const {
    nlohmann::json j{{"previous", previous}};
    unknown.put(j);
    return j;
  }
};

}  // namespace contain::engine
