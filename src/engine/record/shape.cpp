#include "engine/record/shape.hpp"

#include <fmt/format.h>

namespace contain::engine {

using nlohmann::json;

namespace {

// Reads an enum written by its name; a wrong one is named with the choices.
template <class E>
Status read_name(const record::Fields& f, std::string_view key, std::optional<E>& out,
                 std::initializer_list<std::pair<std::string_view, E>> names) {
  std::optional<std::string> text;
  TRY(f.opt(key, text));
  out.reset();
  if (!text) return {};
  for (const auto& [name, value] : names)
    if (*text == name) {
      out = value;
      return {};
    }
  std::string choices;
  for (const auto& [name, value] : names)
    choices += fmt::format("{}\"{}\"", choices.empty() ? "" : " or ", name);
  return fail(Error::failed(fmt::format("field {} is not {}", f.name(key), choices)));
}

Status read_direction(const record::Fields& f, std::optional<Direction>& out) {
  return read_name<Direction>(
      f, "direction", out,
      {{"egress", Direction::egress}, {"ingress", Direction::ingress}, {"both", Direction::both}});
}

const char* qdisc_name(Qdisc q) { return q == Qdisc::ingress ? "ingress" : "root"; }

}  // namespace

const char* direction_name(Direction d) {
  switch (d) {
    case Direction::egress:
      return "egress";
    case Direction::ingress:
      return "ingress";
    case Direction::both:
      return "both";
  }
  return "egress";
}

Result<ShapeTargetRecord> ShapeTargetRecord::from_json(const json& j, std::string_view where) {
  record::Fields f(j, where);
  TRY(f.object());
  ShapeTargetRecord t;
  TRY(f.opt("netns", t.netns));
  TRY(f.opt("ifname", t.ifname));
  TRY(f.opt("dev", t.dev));
  TRY(f.opt("netns_id", t.netns_id));
  TRY(f.opt("ref", t.ref));
  t.unknown = f.unknown();
  return t;
}

json ShapeTargetRecord::to_json() const {
  json j = json::object();
  if (dev) j["dev"] = *dev;
  if (netns) j["netns"] = *netns;
  if (netns_id) j["netns_id"] = *netns_id;
  if (ref) j["ref"] = *ref;
  if (ifname) j["ifname"] = *ifname;
  unknown.put(j);
  return j;
}

Result<ShapeDeviceRecord> ShapeDeviceRecord::from_json(const json& j, std::string_view where) {
  record::Fields f(j, where);
  TRY(f.object());
  ShapeDeviceRecord d;
  TRY(f.opt("netns", d.netns));
  TRY(f.opt("ifname", d.ifname));
  std::optional<Qdisc> qdisc;
  TRY(read_name<Qdisc>(f, "qdisc", qdisc, {{"root", Qdisc::root}, {"ingress", Qdisc::ingress}}));
  d.qdisc = qdisc.value_or(Qdisc::root);
  TRY(read_direction(f, d.direction));
  d.unknown = f.unknown();
  return d;
}

json ShapeDeviceRecord::to_json() const {
  json j{{"netns", netns ? json(*netns) : json(nullptr)},
         {"ifname", ifname},
         {"qdisc", qdisc_name(qdisc)}};
  if (direction) j["direction"] = direction_name(*direction);
  unknown.put(j);
  return j;
}

Result<ShapeRecord> ShapeRecord::from_json(const json& j) {
  record::Fields f(j);
  TRY(f.object());
  ShapeRecord r;
  TRY(f.req("target", r.target));
  std::optional<Direction> direction;
  TRY(read_direction(f, direction));
  r.direction = direction.value_or(Direction::egress);
  TRY(f.req("rate", r.rate));
  TRY(f.opt("burst", r.burst));
  TRY(f.opt("latency", r.latency));
  TRY(f.opt("delay", r.delay));
  TRY(f.opt("jitter", r.jitter));
  TRY(f.opt("loss", r.loss));
  TRY(f.opt("rate_bps", r.rate_bps));
  TRY(f.opt("burst_bytes", r.burst_bytes));
  TRY(f.opt("limit_bytes", r.limit_bytes));
  TRY(f.opt("ingress_rate", r.ingress_rate));
  TRY(f.opt("ingress_rate_bps", r.ingress_rate_bps));
  TRY(f.opt("ingress_burst", r.ingress_burst));
  TRY(f.opt("ingress_burst_bytes", r.ingress_burst_bytes));
  TRY(f.opt("devices", r.devices));
  TRY(f.opt("ifb", r.ifb));
  TRY(f.opt("phase", r.phase));
  r.unknown = f.unknown();
  return r;
}

json ShapeRecord::to_json() const {
  json j{{"target", target.to_json()},
         {"direction", direction_name(direction)},
         {"rate", rate.text()},
         {"rate_bps", rate_bps},
         {"burst_bytes", burst_bytes},
         {"limit_bytes", limit_bytes},
         {"devices", record::to_json_array(devices)}};
  if (burst) j["burst"] = burst->text();
  if (latency) j["latency"] = latency->text();
  if (delay) j["delay"] = delay->text();
  if (jitter) j["jitter"] = jitter->text();
  if (loss) j["loss"] = loss->text();
  if (ingress_rate) j["ingress_rate"] = ingress_rate->text();
  if (ingress_rate_bps) j["ingress_rate_bps"] = *ingress_rate_bps;
  if (ingress_burst) j["ingress_burst"] = ingress_burst->text();
  if (ingress_burst_bytes) j["ingress_burst_bytes"] = *ingress_burst_bytes;
  if (ifb) j["ifb"] = *ifb;
  record::put_phase(j, phase);
  unknown.put(j);
  return j;
}

}  // namespace contain::engine
