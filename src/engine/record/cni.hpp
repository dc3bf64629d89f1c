// The mark that a CNI ADD made a network (engine/cni.hpp), cni/NAME:
//   {"network": NAME}
// so that the last DEL removes the network again; one made by `contain network
// create` has none and stays.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "core/error.hpp"
#include "engine/record/fields.hpp"

namespace contain::engine {

struct CniNetworkRecord {
  static constexpr std::string_view kKind = "cni";
  std::string network;

  record::Unknown unknown = {};  // a newer version's fields (record/fields.hpp)

  static Result<CniNetworkRecord> from_json(const nlohmann::json& j) {
    record::Fields f(j);
    TRY(f.object());
    CniNetworkRecord r;
    TRY(f.opt("network", r.network));
    r.unknown = f.unknown();
    return r;
  }
  nlohmann::json to_json() const {
    nlohmann::json j{{"network", network}};
    unknown.put(j);
    return j;
  }
};

static_assert(record::Record<CniNetworkRecord>);

}  // namespace contain::engine
