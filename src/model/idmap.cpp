#include "model/idmap.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <limits>

#include "core/text.hpp"

namespace contain::model {

namespace {

constexpr std::uint64_t kIdLimit = std::uint64_t{1} << 32;  // ids are 32 bits; 2^32-1 is invalid

// A decimal id, 32 bits, of at most 10 digits (no padding with zeros).
std::optional<std::uint32_t> number(std::string_view text) {
  if (text.size() > 10) return std::nullopt;
  return parse_number<std::uint32_t>(text);
}

bool overlap(std::uint64_t a, std::uint64_t a_count, std::uint64_t b, std::uint64_t b_count) {
  return a < b + b_count && b < a + a_count;
}

// The next line of `text` (taken off it), without its trailing blanks.
std::string_view next_subordinate_line(std::string_view& text) {
  auto end = text.find('\n');
  std::string_view line = text.substr(0, end);
  text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t'))
    line.remove_suffix(1);
  return line;
}

}  // namespace

Result<IdMapEntry> parse_id_map_entry(std::string_view text, std::string_view option) {
  auto parts = split(text, ':');
  auto bad = [&](std::string_view why) {
    return fail(Error::usage(
        fmt::format("{} '{}': {}; expected CONTAINER:HOST:COUNT, for example 0:100000:65536",
                    option, text, why)));
  };
  if (parts.size() != 3) return bad("not three numbers separated by ':'");
  auto inside = number(parts[0]), outside = number(parts[1]), count = number(parts[2]);
  if (!inside || !outside || !count) return bad("each part must be a decimal number below 2^32");
  if (*count == 0) return bad("the count must be at least 1");
  // The highest id, 2^32-1, means "no id" to the kernel and cannot be mapped.
  if (std::uint64_t{*inside} + *count >= kIdLimit || std::uint64_t{*outside} + *count >= kIdLimit)
    return bad("the range goes past the largest id, 4294967294");
  return IdMapEntry{*inside, *outside, *count};
}

Status check_id_map(const IdMap& map, std::string_view option) {
  if (map.empty()) return fail(Error::usage(fmt::format("{}: the map is empty", option)));
  if (map.size() > kMaxIdMapEntries)
    return fail(Error::usage(fmt::format("{}: {} ranges; the kernel takes at most {}", option,
                                         map.size(), kMaxIdMapEntries)));
  for (std::size_t i = 0; i < map.size(); ++i)
    for (std::size_t j = i + 1; j < map.size(); ++j) {
      const auto &a = map[i], &b = map[j];
      auto entry = [](const IdMapEntry& e) {
        return fmt::format("{}:{}:{}", e.inside, e.outside, e.count);
      };
      if (overlap(a.inside, a.count, b.inside, b.count))
        return fail(Error::usage(
            fmt::format("{} {} and {}: the container ids overlap", option, entry(a), entry(b))));
      if (overlap(a.outside, a.count, b.outside, b.count))
        return fail(Error::usage(
            fmt::format("{} {} and {}: the host ids overlap", option, entry(a), entry(b))));
    }
  return {};
}

std::string id_map_text(const IdMap& map) {
  std::string out;
  for (const auto& e : map) out += fmt::format("{} {} {}\n", e.inside, e.outside, e.count);
  return out;
}

std::string id_map_str(const IdMap& map) {
  std::string out;
  for (const auto& e : map)
    out += fmt::format("{}{}:{}:{}", out.empty() ? "" : ",", e.inside, e.outside, e.count);
  return out;
}

Result<IdMap> parse_id_map(std::string_view text, std::string_view option) {
  IdMap map;
  if (!text.empty())
    for (auto part : split(text, ',')) {
      if (map.size() == kMaxIdMapEntries) break;  // check_id_map says so below
      map.push_back(TRY(parse_id_map_entry(part, option)));
    }
  TRY(check_id_map(map, option));
  return map;
}

std::optional<std::uint32_t> map_to_host(const IdMap& map, std::uint32_t inside) {
  for (const auto& e : map)
    if (inside >= e.inside && inside - e.inside < e.count) return e.outside + (inside - e.inside);
  return std::nullopt;
}

Result<UsernsRequest> UsernsRequest::parse(std::string_view mode,
                                           const std::vector<std::string>& uidmap,
                                           const std::vector<std::string>& gidmap) {
  UsernsRequest request;
  bool explicit_maps = !uidmap.empty() || !gidmap.empty();
  if (mode == "host") {
    if (explicit_maps)
      return fail(Error::usage(
          "--userns=host shares the host's user ids: it cannot take --uidmap or --gidmap"));
    return request;
  }
  if (!mode.empty() && mode != "auto")
    return fail(Error::usage(fmt::format(
        "--userns={}: unknown mode; use --userns (or --userns=auto) for a new user namespace "
        "with an allocated range, --userns=host for none",
        mode)));
  if (!explicit_maps) {
    if (!mode.empty()) request.mode = Mode::automatic;
    return request;
  }
  request.mode = Mode::explicit_maps;
  for (const auto& text : uidmap)
    request.uid_map.push_back(TRY(parse_id_map_entry(text, "--uidmap")));
  for (const auto& text : gidmap)
    request.gid_map.push_back(TRY(parse_id_map_entry(text, "--gidmap")));
  if (request.uid_map.empty()) request.uid_map = request.gid_map;
  if (request.gid_map.empty()) request.gid_map = request.uid_map;
  TRY(check_id_map(request.uid_map, "--uidmap"));
  TRY(check_id_map(request.gid_map, "--gidmap"));
  return request;
}

std::string UsernsRequest::str() const {
  switch (mode) {
    case Mode::host:
      return "host";
    case Mode::automatic:
      return "auto";
    case Mode::explicit_maps:
      return "explicit";
  }
  return "host";
}

bool lists_subordinate_ids(std::string_view text) {
  while (!text.empty()) {
    std::string_view line = next_subordinate_line(text);
    if (!line.empty() && line.front() != '#') return true;
  }
  return false;
}

bool names_users_by_uid(std::string_view text) {
  while (!text.empty()) {
    std::string_view line = next_subordinate_line(text);
    if (line.empty() || line.front() == '#') continue;
    std::string_view name = line.substr(0, line.find(':'));
    if (!name.empty() && name.find_first_not_of("0123456789") == std::string_view::npos)
      return true;
  }
  return false;
}

Result<std::vector<IdRange>> parse_subordinate_ids(std::string_view text, std::string_view user,
                                                   std::uint32_t uid, std::string_view file) {
  std::vector<IdRange> ranges;
  std::string uid_text = std::to_string(uid);
  std::size_t line_number = 0;
  while (!text.empty()) {
    ++line_number;
    std::string_view line = next_subordinate_line(text);
    if (line.empty() || line.front() == '#') continue;
    auto parts = split(line, ':');
    auto first = parts.size() == 3 ? number(parts[1]) : std::nullopt;
    auto count = parts.size() == 3 ? number(parts[2]) : std::nullopt;
    if (!first || !count || parts[0].empty())
      return fail(Error::failed(
          fmt::format("{} line {}: expected NAME:FIRST:COUNT (see subuid(5)); fix the line", file,
                      line_number)));
    if (parts[0] != user && parts[0] != uid_text) continue;
    if (*count == 0 || std::uint64_t{*first} + *count >= kIdLimit) continue;
    ranges.push_back({*first, *count});
  }
  return ranges;
}

std::optional<std::uint32_t> allocate_range(const std::vector<IdRange>& pool,
                                            std::vector<IdRange> used, std::uint32_t count) {
  std::sort(used.begin(), used.end());
  for (const auto& range : pool) {
    std::uint64_t candidate = range.first;
    for (const auto& u : used) {
      if (u.end() <= candidate) continue;
      if (candidate + count <= u.first) break;
      candidate = u.end();  // skip past this one, then look at the next
    }
    if (count > 0 && candidate + count <= range.end() && candidate + count < kIdLimit)
      return static_cast<std::uint32_t>(candidate);
  }
  return std::nullopt;
}

std::vector<IdRange> host_ranges(const IdMap& map) {
  std::vector<IdRange> out;
  for (const auto& e : map) out.push_back({e.outside, e.count});
  return out;
}

}  // namespace contain::model
