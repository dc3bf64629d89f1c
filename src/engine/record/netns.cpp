#include "engine/record/netns.hpp"

namespace contain::engine {

using nlohmann::json;

Result<NetnsLink> NetnsLink::from_json(const json& j, std::string_view where) {
  record::Fields f(j, where);
  TRY(f.object());
  NetnsLink l;
  TRY(f.req("name", l.name));
  TRY(f.opt("ifindex", l.ifindex));
  TRY(f.opt("peer", l.peer));
  TRY(f.opt("kind", l.kind));
  TRY(f.opt("bridge", l.bridge));
  TRY(f.opt("network", l.network));
  TRY(f.opt("address", l.address));
  TRY(f.opt("phase", l.phase));
  l.unknown = f.unknown();
  return l;
}

json NetnsLink::to_json() const {
  json j{{"name", name}, {"ifindex", ifindex}, {"peer", peer}, {"kind", kind}};
  if (bridge) j["bridge"] = *bridge;
  if (network) j["network"] = *network;
  if (address) j["address"] = *address;
  record::put_phase(j, phase);
  unknown.put(j);
  return j;
}

Result<NetnsRecord> NetnsRecord::from_json(const json& j) {
  record::Fields f(j);
  TRY(f.object());
  NetnsRecord r;
  TRY(f.req("name", r.name));
  TRY(f.opt("created", r.created));
  TRY(f.opt("links", r.links));
  TRY(f.opt("phase", r.phase));
  r.unknown = f.unknown();
  return r;
}

json NetnsRecord::to_json() const {
  json j{{"name", name}, {"created", created}, {"links", record::to_json_array(links)}};
  record::put_phase(j, phase);
  unknown.put(j);
  return j;
}

Result<NetnsIdRecord> NetnsIdRecord::from_json(const json& j) {
  record::Fields f(j);
  TRY(f.object());
  NetnsIdRecord r;
  TRY(f.opt("id", r.id));
  TRY(f.opt("ref", r.ref));
  TRY(f.opt("owner", r.owner));
  TRY(f.opt("created", r.created));
  TRY(f.opt("links", r.links));
  TRY(f.opt("phase", r.phase));
  r.unknown = f.unknown();
  return r;
}

json NetnsIdRecord::to_json() const {
  json j{{"id", id},
         {"ref", ref},
         {"owner", owner},
         {"created", created},
         {"links", record::to_json_array(links)}};
  record::put_phase(j, phase);
  unknown.put(j);
  return j;
}

}  // namespace contain::engine
