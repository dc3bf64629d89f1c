#include "core/units.hpp"

#include <fmt/format.h>
#include <locale.h>
#include <stdlib.h>

#include <cctype>
#include <cerrno>
#include <string>

#include "core/names.hpp"

namespace contain {

namespace {

struct Unit {
  const char* name;
  double factor;
};

// "12.5mbit" -> (12.5, "mbit"). No sign, no exponent: tc accepts neither usefully.
bool split_number(std::string_view text, double& number, std::string& unit) {
  std::size_t i = 0;
  while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.'))
    ++i;
  if (i == 0) return false;
  std::string digits(text.substr(0, i));
  if (digits.find('.') != digits.rfind('.')) return false;
  // Digits with at most one point: strtod in the C locale (whatever setlocale
  // may say: the point is always '.') reads them exactly as from_chars would,
  // and keeps libstdc++'s from_chars, which needs libm, out of the binary.
  static const locale_t c_locale = ::newlocale(LC_ALL_MASK, "C", locale_t{});
  char* end = nullptr;
  errno = 0;
  number = ::strtod_l(digits.c_str(), &end, c_locale);
  if (errno != 0 || end != digits.c_str() + digits.size()) return false;
  unit.clear();
  for (char c : text.substr(i))
    unit += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return true;
}

template <std::size_t N>
Result<double> parse_with_units(std::string_view text, const Unit (&units)[N],
                                std::string_view kind, std::string_view examples, double max) {
  double number = 0;
  std::string unit;
  auto bad = [&](std::string_view why) {
    return fail(Error::usage(
        fmt::format("{} {} is invalid: {} (for example {})", kind, quote(text), why, examples)));
  };
  if (!split_number(text, number, unit)) return bad("it does not start with a number");
  for (const auto& u : units) {
    if (unit != u.name) continue;
    double value = number * u.factor;
    if (!std::isfinite(value) || value > max) return bad("it is too large");
    if (value < 1) return bad("it must be more than zero");
    return value;
  }
  return bad(fmt::format("unknown unit {}", quote(unit)));
}

}  // namespace

Result<Rate> Rate::parse(std::string_view text) {
  static const Unit units[] = {{"", 1},
                               {"bit", 1},
                               {"kbit", 1e3},
                               {"mbit", 1e6},
                               {"gbit", 1e9},
                               {"tbit", 1e12},
                               {"kibit", 1024.0},
                               {"mibit", 1048576.0},
                               {"gibit", 1073741824.0},
                               {"tibit", 1099511627776.0},
                               {"bps", 8},
                               {"kbps", 8e3},
                               {"mbps", 8e6},
                               {"gbps", 8e9},
                               {"tbps", 8e12},
                               {"kibps", 8192.0},
                               {"mibps", 8388608.0},
                               {"gibps", 8589934592.0}};
  double v = TRY(parse_with_units(text, units, "rate", "10mbit, 1gbit, 500kbps",
                                  static_cast<double>(kMaxBitsPerSecond)));
  if (v < 8) {
    return fail(Error::usage(fmt::format(
        "rate {} is invalid: it must be at least 8bit (one byte per second)", quote(text))));
  }
  Rate r;
  r.bits_ = round_to_integer(v);
  r.text_ = std::string(text);
  return r;
}

Result<Size> Size::parse(std::string_view text) {
  static const Unit units[] = {
      {"", 1},          {"b", 1},           {"k", 1024.0},        {"kb", 1024.0},
      {"m", 1048576.0}, {"mb", 1048576.0},  {"g", 1073741824.0},  {"gb", 1073741824.0},
      {"kbit", 128.0},  {"mbit", 131072.0}, {"gbit", 134217728.0}};
  double v = TRY(parse_with_units(text, units, "size", "32kb, 1500b, 1mb", double(kMax)));
  Size s;
  s.bytes_ = round_to_integer(v);
  s.text_ = std::string(text);
  return s;
}

Result<Duration> Duration::parse(std::string_view text) {
  static const Unit units[] = {{"", 1},      {"us", 1},     {"usec", 1},    {"usecs", 1},
                               {"ms", 1e3},  {"msec", 1e3}, {"msecs", 1e3}, {"s", 1e6},
                               {"sec", 1e6}, {"secs", 1e6}};
  double v =
      TRY(parse_with_units(text, units, "time", "50ms, 1s, 200us", double(kMaxMicroseconds)));
  Duration d;
  d.us_ = round_to_integer(v);
  d.text_ = std::string(text);
  return d;
}

Result<Percent> Percent::parse(std::string_view text) {
  std::string_view number_text = text;
  if (!number_text.empty() && number_text.back() == '%') number_text.remove_suffix(1);
  double number = 0;
  std::string unit;
  if (!split_number(number_text, number, unit) || !unit.empty() || number <= 0 || number > 100)
    return fail(Error::usage(fmt::format(
        "percentage {} is invalid: give a number above 0 and at most 100, such as 1% or 0.5",
        quote(text))));
  Percent p;
  p.value_ = number;
  p.text_ = std::string(text);
  return p;
}

}  // namespace contain
