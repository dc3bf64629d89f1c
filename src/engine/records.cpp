#include "engine/records.hpp"

namespace contain::engine {

Result<nlohmann::json> load_netns_record(const StateStore& store, const NetnsName& name) {
  auto record = TRY(store.read(kNetnsKind, name.str()));
  if (record && record->is_object()) return std::move(*record);
  return new_netns_record(name, false);
}

Status forget_netns_links(const StateStore& store, std::string_view netns,
                          const std::function<bool(const nlohmann::json&)>& forget) {
  auto name = NetnsName::parse(netns);
  if (!name) return {};
  auto record = TRY(load_netns_record(store, *name));
  auto& links = record["links"];
  auto before = links.size();
  for (auto it = links.begin(); it != links.end();) it = forget(*it) ? links.erase(it) : it + 1;
  if (links.size() != before) TRY(save_netns_record(store, *name, record));
  return {};
}

nlohmann::json new_netns_record(const NetnsName& name, bool created) {
  return {{"name", name.str()}, {"created", created}, {"links", nlohmann::json::array()}};
}

Status save_netns_record(const StateStore& store, const NetnsName& name,
                         const nlohmann::json& record) {
  if (!record.value("created", false) && record.value("links", nlohmann::json::array()).empty())
    return store.remove(kNetnsKind, name.str());
  return store.write(kNetnsKind, name.str(), record);
}

}  // namespace contain::engine
