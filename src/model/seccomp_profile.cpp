#include "model/seccomp_profile.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>

namespace contain::model::seccomp {

namespace {

using nlohmann::json;

struct Named {
  std::string_view name;
  int value;
};
constexpr Named kActions[] = {{"SCMP_ACT_KILL", int(Action::kill_thread)},
                              {"SCMP_ACT_KILL_THREAD", int(Action::kill_thread)},
                              {"SCMP_ACT_KILL_PROCESS", int(Action::kill_process)},
                              {"SCMP_ACT_TRAP", int(Action::trap)},
                              {"SCMP_ACT_ERRNO", int(Action::errno_)},
                              {"SCMP_ACT_TRACE", int(Action::trace)},
                              {"SCMP_ACT_LOG", int(Action::log)},
                              {"SCMP_ACT_ALLOW", int(Action::allow)}};
constexpr Named kCompares[] = {{"SCMP_CMP_NE", int(Compare::ne)},
                               {"SCMP_CMP_LT", int(Compare::lt)},
                               {"SCMP_CMP_LE", int(Compare::le)},
                               {"SCMP_CMP_EQ", int(Compare::eq)},
                               {"SCMP_CMP_GE", int(Compare::ge)},
                               {"SCMP_CMP_GT", int(Compare::gt)},
                               {"SCMP_CMP_MASKED_EQ", int(Compare::masked_eq)}};

class Parser {
 public:
  explicit Parser(std::string_view source) : source_(source) {}

  Error bad(std::string_view what) const {
    return Error::usage(fmt::format("{}: {}; see Docker's seccomp profile format", source_, what));
  }

  template <std::size_t N>
  Result<int> lookup(const json& value, const Named (&table)[N], std::string_view what) const {
    if (!value.is_string()) return fail(bad(fmt::format("{} must be a string", what)));
    const auto& text = value.get_ref<const std::string&>();
    for (const auto& entry : table)
      if (entry.name == text) return entry.value;
    return fail(bad(fmt::format("unknown {} '{}'", what, text)));
  }

  Result<std::vector<std::string>> strings(const json& object, const char* key) const {
    std::vector<std::string> out;
    auto it = object.find(key);
    if (it == object.end() || it->is_null()) return out;
    if (!it->is_array()) return fail(bad(fmt::format("'{}' must be a list of strings", key)));
    for (const auto& item : *it) {
      if (!item.is_string()) return fail(bad(fmt::format("'{}' must be a list of strings", key)));
      out.push_back(item.get<std::string>());
    }
    return out;
  }

  Result<std::uint64_t> number(const json& object, const char* key, std::uint64_t fallback) const {
    auto it = object.find(key);
    if (it == object.end() || it->is_null()) return fallback;
    if (!it->is_number_unsigned() && !(it->is_number_integer() && it->get<std::int64_t>() >= 0))
      return fail(bad(fmt::format("'{}' must be a non-negative integer", key)));
    return it->get<std::uint64_t>();
  }

  Result<Rule> rule(const json& entry) const {
    if (!entry.is_object()) return fail(bad("each entry of 'syscalls' must be an object"));
    Rule rule;
    rule.names = TRY(strings(entry, "names"));
    if (auto name = entry.find("name"); name != entry.end() && name->is_string())
      rule.names.push_back(name->get<std::string>());
    if (rule.names.empty()) return fail(bad("a 'syscalls' entry names no system call"));
    auto action = entry.find("action");
    if (action == entry.end()) return fail(bad("a 'syscalls' entry has no 'action'"));
    rule.action = Action(TRY(lookup(*action, kActions, "action")));
    rule.errno_ret = static_cast<std::uint32_t>(TRY(number(entry, "errnoRet", 1)));
    if (rule.errno_ret > 4095) return fail(bad("'errnoRet' must be below 4096"));
    if (auto args = entry.find("args"); args != entry.end() && !args->is_null()) {
      if (!args->is_array()) return fail(bad("'args' must be a list"));
      for (const auto& arg : *args) {
        if (!arg.is_object()) return fail(bad("each of 'args' must be an object"));
        ArgCheck check;
        check.index = static_cast<unsigned>(TRY(number(arg, "index", 0)));
        if (check.index > 5) return fail(bad("an argument 'index' must be 0 to 5"));
        check.value = TRY(number(arg, "value", 0));
        check.value_two = TRY(number(arg, "valueTwo", 0));
        auto op = arg.find("op");
        if (op == arg.end()) return fail(bad("an argument check has no 'op'"));
        check.op = Compare(TRY(lookup(*op, kCompares, "operator")));
        rule.args.push_back(check);
      }
    }
    for (auto [key, caps, arches] :
         {std::tuple{"includes", &rule.include_caps, &rule.include_arches},
          std::tuple{"excludes", &rule.exclude_caps, &rule.exclude_arches}}) {
      auto it = entry.find(key);
      if (it == entry.end() || it->is_null()) continue;
      if (!it->is_object()) return fail(bad(fmt::format("'{}' must be an object", key)));
      *caps = TRY(strings(*it, "caps"));
      *arches = TRY(strings(*it, "arches"));
      for (const auto& cap : *caps)
        if (!parse_capability(cap)) return fail(bad(fmt::format("unknown capability '{}'", cap)));
    }
    return rule;
  }

  Result<Profile> profile(std::string_view text) const {
    json root = json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (root.is_discarded()) return fail(bad("not valid JSON"));
    if (!root.is_object()) return fail(bad("the profile must be a JSON object"));
    Profile profile;
    auto action = root.find("defaultAction");
    if (action == root.end()) return fail(bad("no 'defaultAction'"));
    profile.default_action = Action(TRY(lookup(*action, kActions, "defaultAction")));
    profile.default_errno = static_cast<std::uint32_t>(TRY(number(root, "defaultErrnoRet", 1)));
    if (profile.default_errno > 4095) return fail(bad("'defaultErrnoRet' must be below 4096"));
    profile.architectures = TRY(strings(root, "architectures"));
    if (auto map = root.find("archMap"); map != root.end() && !map->is_null()) {
      if (!map->is_array()) return fail(bad("'archMap' must be a list"));
      for (const auto& entry : *map) {
        if (!entry.is_object() || !entry.contains("architecture") ||
            !entry["architecture"].is_string())
          return fail(bad("each 'archMap' entry needs an 'architecture'"));
        // TRY first: returning out of a statement expression in the middle of
        // an initializer list leaks the members built before it (clang < 18).
        auto sub = TRY(strings(entry, "subArchitectures"));
        profile.arch_map.push_back({entry["architecture"].get<std::string>(), std::move(sub)});
      }
    }
    auto syscalls = root.find("syscalls");
    if (syscalls != root.end() && !syscalls->is_null()) {
      if (!syscalls->is_array()) return fail(bad("'syscalls' must be a list"));
      for (const auto& entry : *syscalls) profile.rules.push_back(TRY(rule(entry)));
    }
    return profile;
  }

 private:
  std::string_view source_;
};

bool contains(const std::vector<std::string>& list, std::string_view value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

bool has_capability(CapabilitySet set, const std::string& name) {
  auto cap = parse_capability(name);
  return cap && (set & (CapabilitySet{1} << *cap));
}

// Docker's architecture names for libseccomp's native token.
std::string_view native_token(std::string_view arch) {
  if (arch == "amd64") return "SCMP_ARCH_X86_64";
  if (arch == "arm64") return "SCMP_ARCH_AARCH64";
  if (arch == "386") return "SCMP_ARCH_X86";
  return "";
}

}  // namespace

Result<Profile> parse_profile(std::string_view json, std::string_view source) {
  return Parser(source).profile(json);
}

Profile resolve(const Profile& profile, CapabilitySet capabilities, std::string_view arch) {
  Profile out{profile.default_action, profile.default_errno, {}, {}, {}};
  out.architectures = profile.architectures;
  std::string_view native = native_token(arch);
  for (const auto& entry : profile.arch_map) {
    if (entry.native != native) continue;
    out.architectures.push_back(entry.native);
    for (const auto& sub : entry.sub) out.architectures.push_back(sub);
  }
  for (const auto& rule : profile.rules) {
    if (!rule.include_arches.empty() && !contains(rule.include_arches, arch)) continue;
    if (contains(rule.exclude_arches, arch)) continue;
    bool included = std::all_of(rule.include_caps.begin(), rule.include_caps.end(),
                                [&](const auto& cap) { return has_capability(capabilities, cap); });
    bool excluded = std::any_of(rule.exclude_caps.begin(), rule.exclude_caps.end(),
                                [&](const auto& cap) { return has_capability(capabilities, cap); });
    if (!included || excluded) continue;
    Rule plain = rule;
    plain.include_caps.clear();
    plain.exclude_caps.clear();
    plain.include_arches.clear();
    plain.exclude_arches.clear();
    out.rules.push_back(std::move(plain));
  }
  return out;
}

CapabilitySet capabilities_that_matter(const Profile& profile) {
  CapabilitySet set = 0;
  for (const auto& rule : profile.rules)
    for (const auto* caps : {&rule.include_caps, &rule.exclude_caps})
      for (const auto& name : *caps)
        if (auto cap = parse_capability(name)) set |= CapabilitySet{1} << *cap;
  return set;
}

}  // namespace contain::model::seccomp
