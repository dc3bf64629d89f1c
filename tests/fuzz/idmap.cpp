// User namespace maps (model/idmap): --uidmap/--gidmap entries, recorded maps,
// /etc/subuid and /etc/subgid, and the allocation of a free range.
#include "model/idmap.hpp"

#include "fuzz.hpp"

using namespace contain;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text = fuzz::text_of(data, size);
  if (auto entry = model::parse_id_map_entry(text, "--uidmap")) {
    FUZZ_CHECK(entry->count > 0);
    FUZZ_CHECK(std::uint64_t{entry->inside} + entry->count < (std::uint64_t{1} << 32));
    FUZZ_CHECK(std::uint64_t{entry->outside} + entry->count < (std::uint64_t{1} << 32));
  }
  if (auto map = model::parse_id_map(text, "uid_map")) {
    FUZZ_CHECK(!map->empty() && map->size() <= model::kMaxIdMapEntries);
    FUZZ_CHECK(model::parse_id_map(model::id_map_str(*map), "uid_map").value() == *map);
    // Whatever another container recorded, a range allocated around it overlaps none of it.
    auto used = model::host_ranges(*map);
    if (auto first = model::allocate_range({model::kDefaultPool}, used, model::kContainerIds))
      for (const auto& u : used)
        FUZZ_CHECK(*first + std::uint64_t{model::kContainerIds} <= u.first || u.end() <= *first);
  }
  if (auto ranges = model::parse_subordinate_ids(text, "contain", 1000, "/etc/subuid")) {
    for (const auto& r : *ranges) FUZZ_CHECK(r.count > 0 && r.end() < (std::uint64_t{1} << 32));
    if (auto first = model::allocate_range(*ranges, {}, 1)) {
      bool inside = false;
      for (const auto& r : *ranges) inside = inside || (*first >= r.first && *first < r.end());
      FUZZ_CHECK(inside);
    }
  }
  // What lets the callers skip the NSS lookup of a user: with no line keyed by
  // uid, the uid changes nothing (the same ranges, or the same error); with no
  // line at all, nobody has ranges.
  if (!model::names_users_by_uid(text)) {
    auto with = model::parse_subordinate_ids(text, "contain", 1000, "/etc/subuid");
    auto without = model::parse_subordinate_ids(text, "contain", ~0u, "/etc/subuid");
    FUZZ_CHECK(with.has_value() == without.has_value());
    if (with)
      FUZZ_CHECK(*with == *without);
    else
      FUZZ_CHECK(with.error().message() == without.error().message());
  }
  if (!model::lists_subordinate_ids(text)) {
    auto ranges = model::parse_subordinate_ids(text, "", 0, "/etc/subuid");
    FUZZ_CHECK(ranges && ranges->empty());
  }
  auto colon = text.find('|');
  if (colon != std::string_view::npos) {
    std::vector<std::string> uid{std::string(text.substr(0, colon))};
    (void)model::UsernsRequest::parse(text.substr(colon + 1), uid, {});
  }
  return 0;
}
