#include "engine/record_schema.hpp"

#include <fmt/format.h>

#include <cstdint>

#include "engine/record/bridge.hpp"
#include "engine/record/cni.hpp"
#include "engine/record/container.hpp"
#include "engine/record/firewall.hpp"
#include "engine/record/forward.hpp"
#include "engine/record/isolation.hpp"
#include "engine/record/localnet.hpp"
#include "engine/record/nat.hpp"
#include "engine/record/netns.hpp"
#include "engine/record/network.hpp"
#include "engine/record/shape.hpp"
#include "engine/records.hpp"

namespace contain::engine {

namespace {

using nlohmann::json;

// A kind typed in engine/record/: its from_json says what is wrong.
template <record::Record R>
Status checked(const json& record) {
  auto typed = R::from_json(record);
  if (!typed) return fail(std::move(typed).error());
  return {};
}

static_assert(NatRecord::kKind == kNatKind);
static_assert(IsolationRecord::kKind == kIsolationKind);
static_assert(ForwardRecord::kKind == kForwardKind);
static_assert(LocalnetRecord::kKind == kLocalnetKind);
static_assert(FirewallRecord::kKind == kFirewallKind);
static_assert(ShapeRecord::kKind == kShapeKind);
static_assert(ContainerRecord::kKind == kContainerKind);

}  // namespace

Status validate_record(std::string_view kind, const json& record) {
  if (!record.is_object()) return fail(Error::failed("it is not a JSON object"));
  if (auto it = record.find("schema"); it != record.end()) {
    if (!it->is_number_unsigned() && !(it->is_number_integer() && it->get<std::int64_t>() >= 0))
      return fail(Error::failed("field \"schema\" is not a non-negative integer"));
    if (it->get<std::uint64_t>() > static_cast<std::uint64_t>(kRecordSchemaVersion))
      return fail(Error::failed(fmt::format(
          "it has schema version {}, newer than this contain's {} (written by a newer contain)",
          it->get<std::uint64_t>(), kRecordSchemaVersion)));
  }
  // Every kind is typed in engine/record/ and checked by its own from_json, so
  // the store refuses exactly what the code reading it would refuse.
  if (kind == NatRecord::kKind) return checked<NatRecord>(record);
  if (kind == IsolationRecord::kKind) return checked<IsolationRecord>(record);
  if (kind == ForwardRecord::kKind) return checked<ForwardRecord>(record);
  if (kind == LocalnetRecord::kKind) return checked<LocalnetRecord>(record);
  if (kind == FirewallRecord::kKind) return checked<FirewallRecord>(record);
  if (kind == ShapeRecord::kKind) return checked<ShapeRecord>(record);
  if (kind == NetnsRecord::kKind) return checked<NetnsRecord>(record);
  if (kind == NetnsIdRecord::kKind) return checked<NetnsIdRecord>(record);
  if (kind == BridgeRecord::kKind) return checked<BridgeRecord>(record);
  if (kind == NetworkRecord::kKind) return checked<NetworkRecord>(record);
  if (kind == CniNetworkRecord::kKind) return checked<CniNetworkRecord>(record);
  if (kind == ContainerRecord::kKind) return checked<ContainerRecord>(record);
  // Other kinds (a lab's record, engine/topo) are read by their own code.
  return {};
}

}  // namespace contain::engine
