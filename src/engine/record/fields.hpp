// Reading a state record's fields into a typed struct without an accessor that
// throws: every kind's from_json (engine/record/*.hpp) is a list of
// `fields.req("name", r.name)` / `fields.opt(...)` lines, and a field missing or
// of the wrong type is one error naming it ("field \"links\"[0].\"name\" is not a
// string"), which the store turns into "state file ... is corrupt: ...".
#pragma once

#include <fmt/format.h>

#include <concepts>
#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "core/error.hpp"
#include "core/ip.hpp"
#include "core/port.hpp"
#include "core/units.hpp"

namespace contain::engine::record {

// What a command killed half way leaves, said by the record it wrote first
// (engine/records.hpp): "creating" before its kernel objects are made,
// "deleting" before a removal in several steps; absent once whole.
enum class Phase { whole, creating, deleting };
inline const char* phase_name(Phase p) {
  return p == Phase::creating ? "creating" : p == Phase::deleting ? "deleting" : "whole";
}
// Adds "phase" to `j` unless whole.
inline void put_phase(nlohmann::json& j, Phase p) {
  if (p != Phase::whole) j["phase"] = phase_name(p);
}

// A record kind: a struct stored under /run/contain/<kKind>/<name>.
template <class R>
concept Record = requires(const R& r, const nlohmann::json& j) {
  { R::kKind } -> std::convertible_to<std::string_view>;
  { R::from_json(j) } -> std::same_as<Result<R>>;
  { r.to_json() } -> std::same_as<nlohmann::json>;
};

// A part of a record (a link of a namespace, an attachment of a network): read
// with the path of the field it is in, for the message.
template <class P>
concept Part = requires(const P& p, const nlohmann::json& j, std::string_view where) {
  { P::from_json(j, where) } -> std::same_as<Result<P>>;
  { p.to_json() } -> std::same_as<nlohmann::json>;
};

// A core value kept in a record as its text (an address, a CIDR, a rate) or
// number (a port): read as `Stored`, then parsed once, so a bad one is
// `field "address" is not an address: WHY` and code reading the struct never
// parses again. Specialise for a new core type.
template <class T>
struct Codec;
template <class T>
concept Coded = requires(const typename Codec<T>::Stored& stored) {
  { Codec<T>::kWhat } -> std::convertible_to<std::string_view>;
  { Codec<T>::parse(stored) } -> std::same_as<Result<T>>;
};

template <>
struct Codec<IpAddress> {
  using Stored = std::string;
  static constexpr std::string_view kWhat = "an address";
  static Result<IpAddress> parse(const std::string& s) { return IpAddress::parse(s); }
};
template <>
struct Codec<Cidr> {
  using Stored = std::string;
  static constexpr std::string_view kWhat = "a CIDR";
  static Result<Cidr> parse(const std::string& s) { return Cidr::parse(s); }
};
template <>
struct Codec<Protocol> {
  using Stored = std::string;
  static constexpr std::string_view kWhat = "a protocol";
  static Result<Protocol> parse(const std::string& s) { return parse_protocol(s); }
};
template <>
struct Codec<Port> {
  using Stored = std::int64_t;
  static constexpr std::string_view kWhat = "a port";
  static Result<Port> parse(std::int64_t n) { return Port::parse(std::to_string(n)); }
};
template <>
struct Codec<Rate> {
  using Stored = std::string;
  static constexpr std::string_view kWhat = "a rate";
  static Result<Rate> parse(const std::string& s) { return Rate::parse(s); }
};
template <>
struct Codec<Size> {
  using Stored = std::string;
  static constexpr std::string_view kWhat = "a size";
  static Result<Size> parse(const std::string& s) { return Size::parse(s); }
};
template <>
struct Codec<Duration> {
  using Stored = std::string;
  static constexpr std::string_view kWhat = "a duration";
  static Result<Duration> parse(const std::string& s) { return Duration::parse(s); }
};
template <>
struct Codec<Percent> {
  using Stored = std::string;
  static constexpr std::string_view kWhat = "a percentage";
  static Result<Percent> parse(const std::string& s) { return Percent::parse(s); }
};

class Fields {
 public:
  // `where`: the path of this object inside the record ("" at the top).
  explicit Fields(const nlohmann::json& object, std::string_view where = {})
      : object_(object), where_(where) {}

  // Fails unless the record (or part) is a JSON object.
  Status object() const {
    if (object_.is_object()) return {};
    return fail(Error::failed(where_.empty() ? std::string("it is not a JSON object")
                                             : fmt::format("{} is not an object", where_)));
  }

  // The field must be there, of T's type.
  template <class T>
  Status req(std::string_view key, T& out) const {
    auto it = object_.find(key);
    if (it == object_.end())
      return fail(Error::failed(fmt::format("field {} is missing", name(key))));
    return read(*it, name(key), out);
  }
  // Left as it is (its default) when absent.
  template <class T>
  Status opt(std::string_view key, T& out) const {
    auto it = object_.find(key);
    if (it == object_.end()) return {};
    return read(*it, name(key), out);
  }
  // Absent or null: nullopt.
  template <class T>
  Status opt(std::string_view key, std::optional<T>& out) const {
    auto it = object_.find(key);
    if (it == object_.end() || it->is_null()) {
      out.reset();
      return {};
    }
    if constexpr (Coded<T>) {
      out = TRY(parsed<T>(*it, name(key)));
    } else {
      T value{};
      TRY(read(*it, name(key), value));
      out = std::move(value);
    }
    return {};
  }
  bool has(std::string_view key) const { return object_.contains(key); }
  // The field as it is, for the rare part kept as raw JSON (an opaque object).
  const nlohmann::json* raw(std::string_view key) const {
    auto it = object_.find(key);
    return it == object_.end() ? nullptr : &*it;
  }
  std::string name(std::string_view key) const {
    return where_.empty() ? fmt::format("\"{}\"", key) : fmt::format("{}.\"{}\"", where_, key);
  }

 private:
  static Status wrong(const std::string& field, std::string_view type) {
    return fail(Error::failed(fmt::format("field {} is not {}", field, type)));
  }
  static Status read(const nlohmann::json& v, const std::string& field, std::string& out) {
    if (!v.is_string()) return wrong(field, "a string");
    out = v.get<std::string>();
    return {};
  }
  static Status read(const nlohmann::json& v, const std::string& field, Phase& out) {
    // Not `is_string() ? get_ref() : ""`: that conditional is a temporary
    // std::string, and a view of it dangles (clang's -Wdangling-gsl).
    if (!v.is_string()) return wrong(field, "\"creating\" or \"deleting\"");
    const std::string& text = v.get_ref<const std::string&>();
    if (text == "creating")
      out = Phase::creating;
    else if (text == "deleting")
      out = Phase::deleting;
    else
      return wrong(field, "\"creating\" or \"deleting\"");
    return {};
  }
  static Status read(const nlohmann::json& v, const std::string& field, bool& out) {
    if (!v.is_boolean()) return wrong(field, "true or false");
    out = v.get<bool>();
    return {};
  }
  template <std::integral I>
  requires(!std::same_as<I, bool>) static Status
      read(const nlohmann::json& v, const std::string& field, I& out) {
    constexpr bool is_signed = std::is_signed_v<I>;
    std::string_view type = is_signed ? "an integer" : "a non-negative integer";
    if (!v.is_number_integer()) return wrong(field, type);
    if (v.is_number_unsigned()) {
      auto u = v.get<std::uint64_t>();
      if (u > static_cast<std::uint64_t>(std::numeric_limits<I>::max())) return wrong(field, type);
      out = static_cast<I>(u);
      return {};
    }
    auto s = v.get<std::int64_t>();
    if (s < static_cast<std::int64_t>(std::numeric_limits<I>::min()) ||
        (is_signed && s > static_cast<std::int64_t>(std::numeric_limits<I>::max())))
      return wrong(field, type);
    out = static_cast<I>(s);
    return {};
  }
  static Status read(const nlohmann::json& v, const std::string& field,
                     std::vector<std::string>& out) {
    if (!v.is_array()) return wrong(field, "an array of strings");
    out.clear();
    for (const auto& e : v) {
      if (!e.is_string()) return wrong(field, "an array of strings");
      out.push_back(e.get<std::string>());
    }
    return {};
  }
  template <std::integral I>
  requires(!std::same_as<I, bool>) static Status
      read(const nlohmann::json& v, const std::string& field, std::vector<I>& out) {
    std::string_view type =
        std::is_signed_v<I> ? "an array of integers" : "an array of non-negative integers";
    if (!v.is_array()) return wrong(field, type);
    out.clear();
    for (const auto& e : v) {
      I value{};
      if (!read(e, field, value)) return wrong(field, type);
      out.push_back(value);
    }
    return {};
  }
  template <Coded T>
  static Result<T> parsed(const nlohmann::json& v, const std::string& field) {
    typename Codec<T>::Stored stored{};
    TRY(read(v, field, stored));
    auto value = Codec<T>::parse(stored);
    if (!value)
      return fail(Error::failed(
          fmt::format("field {} is not {}: {}", field, Codec<T>::kWhat, value.error().message())));
    return value;
  }
  template <Coded T>
  static Status read(const nlohmann::json& v, const std::string& field, T& out) {
    out = TRY(parsed<T>(v, field));
    return {};
  }
  static Status read(const nlohmann::json& v, const std::string& field, nlohmann::json& out) {
    if (!v.is_object()) return wrong(field, "an object");
    out = v;
    return {};
  }
  template <Part P>
  static Status read(const nlohmann::json& v, const std::string& field, P& out) {
    if (!v.is_object()) return wrong(field, "an object");
    out = TRY(P::from_json(v, field));
    return {};
  }
  template <Part P>
  static Status read(const nlohmann::json& v, const std::string& field, std::vector<P>& out) {
    if (!v.is_array()) return wrong(field, "an array of objects");
    out.clear();
    for (std::size_t i = 0; i < v.size(); ++i) {
      std::string at = fmt::format("{}[{}]", field, i);
      if (!v[i].is_object()) return wrong(field, "an array of objects");
      out.push_back(TRY(P::from_json(v[i], at)));
    }
    return {};
  }

  const nlohmann::json& object_;
  std::string where_;
};

// For to_json: the parts as a JSON array.
template <Part P>
nlohmann::json to_json_array(const std::vector<P>& parts) {
  auto out = nlohmann::json::array();
  for (const auto& p : parts) out.push_back(p.to_json());
  return out;
}

}  // namespace contain::engine::record
