#include "engine/records.hpp"

#include <algorithm>

namespace contain::engine {

std::string NetnsKey::record_name() const {
  if (auto* name = std::get_if<NetnsName>(&key)) return name->str();
  return std::get<NetnsId>(key).str();
}

NetnsLink* AnyNetnsRecord::link(std::string_view name) {
  for (auto& l : links())
    if (l.name == name) return &l;
  return nullptr;
}

Result<std::optional<AnyNetnsRecord>> find_netns_record(const StoreReader& store,
                                                        const NetnsKey& key) {
  if (std::holds_alternative<NetnsName>(key.key)) {
    if (auto record = TRY(store.get<NetnsRecord>(key.record_name())))
      return std::optional<AnyNetnsRecord>(AnyNetnsRecord{std::move(*record)});
  } else if (auto record = TRY(store.get<NetnsIdRecord>(key.record_name()))) {
    return std::optional<AnyNetnsRecord>(AnyNetnsRecord{std::move(*record)});
  }
  return std::optional<AnyNetnsRecord>();
}

Result<AnyNetnsRecord> load_netns_record(const StoreReader& store, const NetnsKey& key) {
  if (auto record = TRY(find_netns_record(store, key))) return std::move(*record);
  if (auto* name = std::get_if<NetnsName>(&key.key))
    return AnyNetnsRecord{new_netns_record(*name, false)};
  NetnsIdRecord fresh;
  fresh.id = key.record_name();
  fresh.ref = key.ref;
  fresh.owner = key.owner;
  return AnyNetnsRecord{std::move(fresh)};
}

Status forget_netns_links(const StateStore& store, const NetnsKey& key,
                          const std::function<bool(const NetnsLink&)>& forget) {
  auto record = TRY(load_netns_record(store, key));
  auto& links = record.links();
  auto before = links.size();
  std::erase_if(links, forget);
  if (links.size() != before) TRY(save_netns_record(store, key, record));
  return {};
}

Status forget_owner_netns_links(const StateStore& store, std::string_view owner,
                                const std::function<bool(const NetnsLink&)>& forget) {
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

NetnsRecord new_netns_record(const NetnsName& name, bool created) {
  NetnsRecord r;
  r.name = name.str();
  r.created = created;
  return r;
}

Status forget_netns_records_owned_by(const StateStore& store,
                                     const std::vector<std::string>& owners) {
  for (const auto& [id, record] : TRY(store.get_all<NetnsIdRecord>()))
    if (std::find(owners.begin(), owners.end(), record.owner) != owners.end())
      TRY(store.erase<NetnsIdRecord>(id));
  return {};
}

Status save_netns_record(const StateStore& store, const NetnsKey& key,
                         const AnyNetnsRecord& record) {
  if (!record.created() && record.links().empty())
    return store.remove(key.kind(), key.record_name());
  return std::visit([&](const auto& r) { return store.put(key.record_name(), r); }, record.record);
}

}  // namespace contain::engine
