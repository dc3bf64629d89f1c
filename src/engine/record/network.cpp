#include "engine/record/network.hpp"

#include <fmt/format.h>

namespace contain::engine {

using nlohmann::json;

namespace {

// Addresses in an array of texts, each parsed once (as record::Fields does a
// single one).
Status parse_addresses(const record::Fields& f, std::string_view key, std::vector<IpAddress>& out) {
  std::vector<std::string> texts;
  TRY(f.opt(key, texts));
  out.clear();
  for (std::size_t i = 0; i < texts.size(); ++i) {
    auto ip = IpAddress::parse(texts[i]);
    if (!ip)
      return fail(Error::failed(
          fmt::format("field {}[{}] is not an address: {}", f.name(key), i, ip.error().message())));
    out.push_back(*ip);
  }
  return {};
}
json texts_of(const std::vector<IpAddress>& addresses) {
  auto out = json::array();
  for (const auto& a : addresses) out.push_back(a.str());
  return out;
}

// The subnet fields, of the record or of a "more_subnets" entry.
Status read_subnet(const record::Fields& f, NetworkSubnetRecord& s) {
  TRY(f.req("subnet", s.subnet));
  TRY(f.req("gateway", s.gateway));
  TRY(f.opt("range_start", s.range_start));
  TRY(f.opt("range_end", s.range_end));
  if (s.range_start && !s.range_end)
    return fail(Error::failed(fmt::format("field {} is missing", f.name("range_end"))));
  if (s.range_end && !s.range_start)
    return fail(Error::failed(fmt::format("field {} is missing", f.name("range_start"))));
  return {};
}
void write_subnet(json& j, const NetworkSubnetRecord& s) {
  j["subnet"] = s.subnet.str();
  j["gateway"] = s.gateway.str();
  if (s.range_start && s.range_end) {
    j["range_start"] = s.range_start->str();
    j["range_end"] = s.range_end->str();
  }
}

}  // namespace

Result<NetworkSubnetRecord> NetworkSubnetRecord::from_json(const json& j, std::string_view where) {
  record::Fields f(j, where);
  TRY(f.object());
  NetworkSubnetRecord s;
  TRY(read_subnet(f, s));
  s.unknown = f.unknown();
  return s;
}

json NetworkSubnetRecord::to_json() const {
  json j = json::object();
  write_subnet(j, *this);
  unknown.put(j);
  return j;
}

Result<NetworkAttachmentRecord> NetworkAttachmentRecord::from_json(const json& j,
                                                                   std::string_view where) {
  record::Fields f(j, where);
  TRY(f.object());
  NetworkAttachmentRecord a;
  TRY(f.req("owner", a.owner));
  TRY(f.opt("netns", a.netns));
  TRY(f.opt("netns_id", a.netns_id));
  TRY(f.opt("ref", a.ref));
  TRY(f.opt("ifname", a.ifname));
  TRY(f.req("host", a.host));
  TRY(f.req("address", a.address));
  TRY(parse_addresses(f, "more_addresses", a.more_addresses));
  TRY(f.opt("phase", a.phase));
  a.unknown = f.unknown();
  return a;
}

json NetworkAttachmentRecord::to_json() const {
  json j{{"owner", owner},
         {"netns", netns ? json(*netns) : json(nullptr)},
         {"ifname", ifname},
         {"host", host},
         {"address", address.str()}};
  if (netns_id) j["netns_id"] = *netns_id;
  if (ref) j["ref"] = *ref;
  if (!more_addresses.empty()) j["more_addresses"] = texts_of(more_addresses);
  record::put_phase(j, phase);
  unknown.put(j);
  return j;
}

Result<ReleasingRecord> ReleasingRecord::from_json(const json& j, std::string_view where) {
  record::Fields f(j, where);
  TRY(f.object());
  ReleasingRecord r;
  TRY(f.req("address", r.address));
  TRY(f.opt("host", r.host));
  TRY(f.opt("ifindex", r.ifindex));
  TRY(parse_addresses(f, "more_addresses", r.more_addresses));
  r.unknown = f.unknown();
  return r;
}

json ReleasingRecord::to_json() const {
  json j{{"address", address.str()}, {"host", host}, {"ifindex", ifindex}};
  if (!more_addresses.empty()) j["more_addresses"] = texts_of(more_addresses);
  unknown.put(j);
  return j;
}

Result<NetworkRecord> NetworkRecord::from_json(const json& j) {
  record::Fields f(j);
  TRY(f.object());
  NetworkRecord r;
  TRY(f.req("name", r.name));
  TRY(read_subnet(f, r.first));
  TRY(f.opt("mtu", r.mtu));
  TRY(f.req("bridge", r.bridge));
  TRY(f.opt("nat", r.nat));
  TRY(f.opt("isolated", r.isolated));
  TRY(f.req("attachments", r.attachments));
  TRY(f.opt("releasing", r.releasing));
  TRY(f.opt("more_subnets", r.more_subnets));
  TRY(f.opt("phase", r.phase));
  r.unknown = f.unknown();
  return r;
}

json NetworkRecord::to_json() const {
  json j{{"name", name}};
  write_subnet(j, first);
  j["bridge"] = bridge;
  j["nat"] = nat;
  j["isolated"] = isolated;
  j["attachments"] = record::to_json_array(attachments);
  if (mtu > 0) j["mtu"] = mtu;
  if (!more_subnets.empty()) j["more_subnets"] = record::to_json_array(more_subnets);
  if (!releasing.empty()) j["releasing"] = record::to_json_array(releasing);
  record::put_phase(j, phase);
  unknown.put(j);
  return j;
}

NetworkAttachmentRecord* NetworkRecord::attachment_of(std::string_view owner) {
  for (auto& a : attachments)
    if (a.owner == owner) return &a;
  return nullptr;
}
const NetworkAttachmentRecord* NetworkRecord::attachment_of(std::string_view owner) const {
  for (const auto& a : attachments)
    if (a.owner == owner) return &a;
  return nullptr;
}

}  // namespace contain::engine
