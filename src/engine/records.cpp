#include "engine/records.hpp"

#include <algorithm>

namespace contain::engine {

std::string NetnsKey::record_name() const {
  if (auto* name = std::get_if<NetnsName>(&key)) return name->str();
  return std::get<NetnsId>(key).str();
}

Result<nlohmann::json> load_netns_record(const StoreReader& store, const NetnsKey& key) {
  auto record = TRY(store.read(key.kind(), key.record_name()));
  if (record && record->is_object()) return std::move(*record);
  if (auto* name = std::get_if<NetnsName>(&key.key)) return new_netns_record(*name, false);
  return nlohmann::json{{"id", key.record_name()},
                        {"ref", key.ref},
                        {"owner", key.owner},
                        {"created", false},
                        {"links", nlohmann::json::array()}};
}

Status forget_netns_links(const StateStore& store, const NetnsKey& key,
                          const std::function<bool(const nlohmann::json&)>& forget) {
  auto record = TRY(load_netns_record(store, key));
  auto& links = record["links"];
  auto before = links.size();
  for (auto it = links.begin(); it != links.end();) it = forget(*it) ? links.erase(it) : it + 1;
  if (links.size() != before) TRY(save_netns_record(store, key, record));
  return {};
}

Status forget_owner_netns_links(const StateStore& store, std::string_view owner,
                                const std::function<bool(const nlohmann::json&)>& forget) {
  constexpr std::string_view netns = "netns/", nsid = "nsid/";
  if (owner.starts_with(netns)) {
    if (auto name = NetnsName::parse(owner.substr(netns.size())))
      return forget_netns_links(store, *name, forget);
  } else if (owner.starts_with(nsid)) {
    if (auto id = NetnsId::parse(owner.substr(nsid.size())))
      return forget_netns_links(store, NetnsKey(*id, "", std::string(owner)), forget);
  }
  return {};
}

nlohmann::json new_netns_record(const NetnsName& name, bool created) {
  return {{"name", name.str()}, {"created", created}, {"links", nlohmann::json::array()}};
}

Status forget_netns_records_owned_by(const StateStore& store,
                                     const std::vector<std::string>& owners) {
  for (const auto& [id, record] : TRY(store.read_all(kNetnsIdKind))) {
    std::string owner = record.contains("owner") && record["owner"].is_string()
                            ? record["owner"].get<std::string>()
                            : std::string();
    if (std::find(owners.begin(), owners.end(), owner) != owners.end())
      TRY(store.remove(kNetnsIdKind, id));
  }
  return {};
}

Status save_netns_record(const StateStore& store, const NetnsKey& key,
                         const nlohmann::json& record) {
  if (!record.value("created", false) && record.value("links", nlohmann::json::array()).empty())
    return store.remove(key.kind(), key.record_name());
  return store.write(key.kind(), key.record_name(), record);
}

}  // namespace contain::engine
