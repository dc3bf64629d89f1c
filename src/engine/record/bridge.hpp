// The record of a bridge contain created (`contain bridge create`), bridge/NAME:
//   {"name", "created": true, "phase"?: "creating" until its address is set}
// Its existence is what counts: `bridge delete` deletes only a bridge with a
// record (or with --force), gc forgets the record of a bridge that is gone.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "core/error.hpp"
#include "engine/record/fields.hpp"

namespace contain::engine {

struct BridgeRecord {
  static constexpr std::string_view kKind = "bridge";
  std::string name;
  bool created = true;
  record::Phase phase = record::Phase::whole;

  record::Unknown unknown = {};  // a newer version's fields (record/fields.hpp)

  static Result<BridgeRecord> from_json(const nlohmann::json& j) {
    record::Fields f(j);
    TRY(f.object());
    BridgeRecord r;
    TRY(f.opt("name", r.name));
    TRY(f.opt("created", r.created));
    TRY(f.opt("phase", r.phase));
    r.unknown = f.unknown();
    return r;
  }
  nlohmann::json to_json() const {
    nlohmann::json j{{"name", name}, {"created", created}};
    record::put_phase(j, phase);
    unknown.put(j);
    return j;
  }
};

static_assert(record::Record<BridgeRecord>);

}  // namespace contain::engine
