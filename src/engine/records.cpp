#include "engine/records.hpp"

namespace contain::engine {

Result<nlohmann::json> load_netns_record(const StateStore& store, const NetnsName& name) {
  auto record = TRY(store.read(kNetnsKind, name.str()));
  if (record && record->is_object()) return std::move(*record);
  return nlohmann::json{{"name", name.str()}, {"created", false},
                        {"links", nlohmann::json::array()}};
}

Status save_netns_record(const StateStore& store, const NetnsName& name,
                         const nlohmann::json& record) {
  if (!record.value("created", false) && record.value("links", nlohmann::json::array()).empty())
    return store.remove(kNetnsKind, name.str());
  return store.write(kNetnsKind, name.str(), record);
}

}  // namespace contain::engine
