#include "engine/record_schema.hpp"

#include <fmt/format.h>

#include <initializer_list>
#include <span>

#include "engine/records.hpp"

namespace contain::engine {

namespace {

using nlohmann::json;

// `phase`: "creating" or "deleting" (engine/records.hpp).
enum class Type { string, boolean, integer, unsigned_integer, strings, object, objects, phase };

struct Field {
  const char* name;
  Type type;
  bool required = false;
  bool nullable = false;
  std::span<const Field> fields = {};  // of an object, or of each element of `objects`
};

constexpr Field req(const char* name, Type type, std::span<const Field> fields = {}) {
  return {name, type, true, false, fields};
}
constexpr Field opt(const char* name, Type type, std::span<const Field> fields = {}) {
  return {name, type, false, false, fields};
}
constexpr Field opt_or_null(const char* name, Type type, std::span<const Field> fields = {}) {
  return {name, type, false, true, fields};
}

// The schemas: the fields the engine reads, with the type it reads them as.
constexpr Field kNetnsLink[] = {req("name", Type::string),    opt("ifindex", Type::integer),
                                opt("peer", Type::string),    opt("kind", Type::string),
                                opt("bridge", Type::string),  opt("network", Type::string),
                                opt("address", Type::string), opt("phase", Type::phase)};
constexpr Field kNetns[] = {req("name", Type::string), opt("created", Type::boolean),
                            opt("links", Type::objects, kNetnsLink), opt("phase", Type::phase)};
constexpr Field kBridge[] = {opt("name", Type::string), opt("created", Type::boolean),
                             opt("phase", Type::phase)};
constexpr Field kAttachment[] = {
    req("owner", Type::string),          opt_or_null("netns", Type::string),
    opt("ifname", Type::string),         req("host", Type::string),
    req("address", Type::string),        opt("phase", Type::phase),
    opt("more_addresses", Type::strings)};
constexpr Field kReleasing[] = {req("address", Type::string), opt("host", Type::string),
                                opt("ifindex", Type::integer),
                                opt("more_addresses", Type::strings)};
constexpr Field kSubnet[] = {req("subnet", Type::string), req("gateway", Type::string),
                             opt("range_start", Type::string), opt("range_end", Type::string)};
constexpr Field kNetwork[] = {req("name", Type::string),
                              req("subnet", Type::string),
                              req("gateway", Type::string),
                              opt("range_start", Type::string),
                              opt("range_end", Type::string),
                              opt("mtu", Type::integer),
                              req("bridge", Type::string),
                              opt("nat", Type::boolean),
                              opt("isolated", Type::boolean),
                              req("attachments", Type::objects, kAttachment),
                              opt("releasing", Type::objects, kReleasing),
                              opt("more_subnets", Type::objects, kSubnet),
                              opt("phase", Type::phase)};
constexpr Field kCgroup[] = {req("path", Type::string), opt("v2", Type::boolean),
                             opt("controllers", Type::strings)};
constexpr Field kContainerUserns[] = {req("mode", Type::string), req("uid_map", Type::string),
                                      req("gid_map", Type::string)};
constexpr Field kContainer[] = {req("name", Type::string),
                                req("id", Type::string),
                                opt("hostname", Type::string),
                                opt("command", Type::strings),
                                opt("environment", Type::strings),
                                opt("workdir", Type::string),
                                opt_or_null("rootfs", Type::string),
                                opt("network", Type::string),
                                opt_or_null("address", Type::string),
                                opt("ports", Type::strings),
                                opt("init", Type::boolean),
                                opt("detached", Type::boolean),
                                opt("tty", Type::boolean),
                                opt("created", Type::string),
                                req("status", Type::string),
                                req("pid", Type::integer),
                                opt("pid_start", Type::unsigned_integer),
                                opt("monitor_pid", Type::integer),
                                opt("monitor_start", Type::unsigned_integer),
                                opt("exit_code", Type::integer),
                                opt("oom_killed", Type::boolean),
                                opt("cgroups", Type::objects, kCgroup),
                                opt("limits", Type::object),
                                opt("finished", Type::string),
                                opt("phase", Type::phase),
                                opt_or_null("userns", Type::object, kContainerUserns),
                                opt("pasta_pid", Type::integer),
                                opt("pasta_start", Type::unsigned_integer)};
constexpr Field kNat[] = {req("subnet", Type::string), opt_or_null("out", Type::string),
                          opt("owner", Type::string)};
constexpr Field kForwardTarget[] = {req("address", Type::string), req("port", Type::integer),
                                    opt_or_null("subnet", Type::string),
                                    opt_or_null("localnet", Type::string)};
constexpr Field kForward[] = {req("protocol", Type::string),
                              req("host_port", Type::integer),
                              opt_or_null("host_address", Type::string),
                              opt("to", Type::string),
                              opt("owner", Type::string),
                              opt("targets", Type::objects, kForwardTarget),
                              opt("phase", Type::phase)};
constexpr Field kIsolation[] = {opt("bridge", Type::string), opt("subnet", Type::string),
                                opt("owner", Type::string)};
constexpr Field kLocalnet[] = {opt("previous", Type::string)};
constexpr Field kShapeTarget[] = {opt("netns", Type::string), opt("ifname", Type::string),
                                  opt("dev", Type::string)};
constexpr Field kShapeDevice[] = {opt_or_null("netns", Type::string), opt("ifname", Type::string),
                                  opt("qdisc", Type::string)};
constexpr Field kShape[] = {req("target", Type::object, kShapeTarget),
                            opt("direction", Type::string),
                            req("rate", Type::string),
                            opt("burst", Type::string),
                            opt("latency", Type::string),
                            opt("delay", Type::string),
                            opt("jitter", Type::string),
                            opt("loss", Type::string),
                            opt("rate_bps", Type::unsigned_integer),
                            opt("burst_bytes", Type::unsigned_integer),
                            opt("limit_bytes", Type::unsigned_integer),
                            opt("devices", Type::objects, kShapeDevice),
                            opt("ifb", Type::string),
                            opt("phase", Type::phase)};

std::string_view type_name(Type t) {
  switch (t) {
    case Type::string:
      return "a string";
    case Type::boolean:
      return "true or false";
    case Type::integer:
      return "an integer";
    case Type::unsigned_integer:
      return "a non-negative integer";
    case Type::strings:
      return "an array of strings";
    case Type::object:
      return "an object";
    case Type::objects:
      return "an array of objects";
    case Type::phase:
      return "\"creating\" or \"deleting\"";
  }
  return "?";
}

bool has_type(const json& value, Type t) {
  switch (t) {
    case Type::string:
      return value.is_string();
    case Type::boolean:
      return value.is_boolean();
    case Type::integer:
      return value.is_number_integer() &&
             (value.is_number_unsigned() ? value.get<std::uint64_t>() <= INT32_MAX
                                         : value.get<std::int64_t>() >= INT32_MIN &&
                                               value.get<std::int64_t>() <= INT32_MAX);
    case Type::unsigned_integer:
      return value.is_number_unsigned() ||
             (value.is_number_integer() && value.get<std::int64_t>() >= 0);
    case Type::strings:
      if (!value.is_array()) return false;
      for (const auto& e : value)
        if (!e.is_string()) return false;
      return true;
    case Type::object:
      return value.is_object();
    case Type::objects:
      if (!value.is_array()) return false;
      for (const auto& e : value)
        if (!e.is_object()) return false;
      return true;
    case Type::phase:
      return value.is_string() && (value.get<std::string>() == kPhaseCreating ||
                                   value.get<std::string>() == kPhaseDeleting);
  }
  return false;
}

Status check(const json& object, std::span<const Field> fields, const std::string& where) {
  for (const auto& f : fields) {
    std::string name =
        where.empty() ? fmt::format("\"{}\"", f.name) : fmt::format("{}.\"{}\"", where, f.name);
    auto it = object.find(f.name);
    if (it == object.end()) {
      if (f.required) return fail(Error::failed(fmt::format("field {} is missing", name)));
      continue;
    }
    if (f.nullable && it->is_null()) continue;
    if (!has_type(*it, f.type))
      return fail(Error::failed(fmt::format("field {} is not {}", name, type_name(f.type))));
    if (f.type == Type::object) TRY(check(*it, f.fields, name));
    if (f.type == Type::objects)
      for (std::size_t i = 0; i < it->size(); ++i)
        TRY(check((*it)[i], f.fields, fmt::format("{}[{}]", name, i)));
  }
  return {};
}

std::span<const Field> schema_of(std::string_view kind) {
  if (kind == kNetnsKind) return kNetns;
  if (kind == kBridgeKind) return kBridge;
  if (kind == kNetworkKind) return kNetwork;
  if (kind == kContainerKind) return kContainer;
  if (kind == kNatKind) return kNat;
  if (kind == kForwardKind) return kForward;
  if (kind == kIsolationKind) return kIsolation;
  if (kind == kLocalnetKind) return kLocalnet;
  if (kind == kShapeKind) return kShape;
  return {};
}

}  // namespace

Status validate_record(std::string_view kind, const json& record) {
  if (!record.is_object()) return fail(Error::failed("it is not a JSON object"));
  if (auto it = record.find("schema"); it != record.end()) {
    if (!has_type(*it, Type::unsigned_integer))
      return fail(Error::failed("field \"schema\" is not a non-negative integer"));
    if (it->get<std::uint64_t>() > static_cast<std::uint64_t>(kRecordSchemaVersion))
      return fail(Error::failed(fmt::format(
          "it has schema version {}, newer than this contain's {} (written by a newer contain)",
          it->get<std::uint64_t>(), kRecordSchemaVersion)));
  }
  // Kinds typed in engine/record/ are checked by their own from_json, so the
  // store refuses exactly what the code reading them would refuse:
  //   if (kind == NetnsRecord::kKind) return checked<NetnsRecord>(record);
  return check(record, schema_of(kind), "");
}

}  // namespace contain::engine
