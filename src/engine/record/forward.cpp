#include "engine/record/forward.hpp"

namespace contain::engine {

using nlohmann::json;

Result<ForwardTargetRecord> ForwardTargetRecord::from_json(const json& j, std::string_view where) {
  record::Fields f(j, where);
  TRY(f.object());
  ForwardTargetRecord t;
  TRY(f.req("address", t.address));
  TRY(f.req("port", t.port));
  TRY(f.opt("subnet", t.subnet));
  TRY(f.opt("localnet", t.localnet));
  t.unknown = f.unknown();
  return t;
}

json ForwardTargetRecord::to_json() const {
  json j{{"address", address.str()},
         {"port", port.value()},
         {"subnet", subnet ? json(subnet->str()) : json(nullptr)},
         {"localnet", localnet ? json(*localnet) : json(nullptr)}};
  unknown.put(j);
  return j;
}

std::vector<Endpoint> ForwardRecord::endpoints() const {
  std::vector<Endpoint> out;
  for (const auto& t : targets) out.push_back(t.endpoint());
  return out;
}

Result<ForwardRecord> ForwardRecord::from_json(const json& j) {
  record::Fields f(j);
  TRY(f.object());
  ForwardRecord r;
  TRY(f.req("protocol", r.protocol));
  TRY(f.req("host_port", r.host_port));
  TRY(f.opt("host_address", r.host_address));
  TRY(f.opt("to", r.to));
  TRY(f.opt("owner", r.owner));
  TRY(f.opt("targets", r.targets));
  TRY(f.opt("phase", r.phase));
  r.unknown = f.unknown();
  return r;
}

json ForwardRecord::to_json() const {
  json j{{"protocol", protocol_name(protocol)},
         {"host_port", host_port.value()},
         {"host_address", host_address ? json(host_address->str()) : json(nullptr)},
         {"to", to},
         {"owner", owner},
         {"targets", record::to_json_array(targets)}};
  record::put_phase(j, phase);
  unknown.put(j);
  return j;
}

}  // namespace contain::engine
