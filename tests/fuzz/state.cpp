// State records as contain reads them back from /run/contain: the store
// (engine/state), the namespace records (engine/records) and every command that
// lists or inspects records. The input is the text of a record file; each
// iteration writes it as the record "fuzz" of every kind, then runs the readers.
//
// The readers are the table below: when records become typed structs with a
// validating from_json, add those functions there (or replace entries).
//
// Readers marked `throws` still read records with nlohmann's throwing accessors
// and abort on a record of the wrong shape (issue 11, item 5, being replaced by
// typed records): their exceptions are tolerated and counted, so the target
// hunts everything else (memory errors, undefined behaviour, other readers).
// CONTAIN_FUZZ_STRICT=1 makes them findings too. Once a reader validates its
// records, drop its mark.
//
// The target runs in a mount and network namespace of its own (private /run,
// only a loopback device), so what readers touch is not the host's.
#include "engine/state.hpp"

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <exception>
#include <string>
#include <utility>

#include "engine/bridge.hpp"
#include "engine/container/container.hpp"
#include "engine/firewall.hpp"
#include "engine/net.hpp"
#include "engine/network.hpp"
#include "engine/record/cni.hpp"
#include "engine/record/container.hpp"
#include "engine/record/firewall.hpp"
#include "engine/record/forward.hpp"
#include "engine/record/isolation.hpp"
#include "engine/record/localnet.hpp"
#include "engine/record/nat.hpp"
#include "engine/record/shape.hpp"
#include "engine/records.hpp"
#include "engine/shape.hpp"
#include "fuzz.hpp"

using namespace contain;
using namespace contain::engine;

namespace {

constexpr std::string_view kRecordName = "fuzz";

// A failed read is one line that says what is wrong.
template <class T>
void check(const Result<T>& result) {
  if (result) return;
  const std::string& message = result.error().message();
  FUZZ_CHECK(!message.empty());
  FUZZ_CHECK(message.find('\n') == std::string::npos);
}

struct Reader {
  const char* name;
  void (*run)();
  bool throws = false;  // known to throw on a corrupt record (see above)
};

const NetnsName& netns_name() {
  static const NetnsName name = *NetnsName::parse(kRecordName);
  return name;
}

// The text of this iteration's input (the typed readers parse it themselves).
std::string_view input;

// A typed kind (engine/record/): from_json never throws, says what is wrong in
// one line, and what it accepts is written back as a record it reads the same
// (to_json then from_json gives the same JSON). The store's typed reads agree.
template <class R>
void typed_kind() {
  auto j = nlohmann::json::parse(input, nullptr, /*allow_exceptions=*/false);
  if (!j.is_discarded()) {
    auto r = R::from_json(j);
    check(r);
    if (r) {
      auto written = r->to_json();
      auto again = R::from_json(written);
      FUZZ_CHECK(again.has_value());
      FUZZ_CHECK(again->to_json() == written);
    }
  }
  auto store = StateStore::reader();
  check(store.get<R>(kRecordName));
  check(store.get_all<R>());
}

const Reader kReaders[] = {
    {"StateStore::read_all",
     [] {
       auto store = StateStore::reader();
       for (auto kind : kAllKinds) check(store.read_all(kind));
       for (auto kind : {kNetnsIdKind, CniNetworkRecord::kKind}) check(store.read_all(kind));
     }},
    {"load_netns_record", [] { check(load_netns_record(StateStore::reader(), netns_name())); }},
    {"forget_netns_links",
     [] {
       auto store = StateStore::lock();
       FUZZ_CHECK(store.has_value());
       check(forget_netns_links(*store, netns_name(), [](const NetnsLink&) { return true; }));
     }},
    {"list_netns", [] { check(list_netns()); }},
    {"list_bridges", [] { check(list_bridges()); }},
    {"list_networks", [] { check(list_networks()); }},
    {"inspect_network", [] { check(inspect_network(*NetworkName::parse(kRecordName))); }},
    {"list_containers",
     [] {
       check(list_containers(true));
       check(list_containers(false));
     }},
    {"list_nat", [] { check(list_nat()); }},
    {"list_forwards", [] { check(list_forwards()); }},
    {"NetnsRecord", typed_kind<NetnsRecord>},
    {"NetnsIdRecord", typed_kind<NetnsIdRecord>},
    {"BridgeRecord", typed_kind<BridgeRecord>},
    {"NetworkRecord", typed_kind<NetworkRecord>},
    {"CniNetworkRecord", typed_kind<CniNetworkRecord>},
    {"NatRecord", typed_kind<NatRecord>},
    {"ForwardRecord", typed_kind<ForwardRecord>},
    {"IsolationRecord", typed_kind<IsolationRecord>},
    {"LocalnetRecord", typed_kind<LocalnetRecord>},
    {"FirewallRecord", typed_kind<FirewallRecord>},
    {"ShapeRecord", typed_kind<ShapeRecord>},
    {"ContainerRecord", typed_kind<ContainerRecord>},
    // The firewall table's elements as every record of nat, forward and
    // isolation describes them (what gc and every firewall change read first).
    {"firewall load_all", [] { check(firewall_detail::load_all(StateStore::reader())); }},
    // `shape show --dev lo`: the record (also written as shape/dev:lo) and
    // the kernel's view of the devices it names.
    {"show_shaping",
     [] {
       ShapeTarget target;
       target.dev = *IfName::parse("lo");
       auto shown = show_shaping(target);
       check(shown);
       if (shown) (void)shown->to_json();
     }},
};

void write_file(const std::string& path, std::string_view text) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  FUZZ_CHECK(fd >= 0);
  FUZZ_CHECK(::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()));
  ::close(fd);
}

[[noreturn]] void setup_failed(const char* what) {
  std::fprintf(stderr, "fuzz_state: %s: %s\n", what, std::strerror(errno));
  std::exit(1);
}

// Private /run and network: root unshares directly, anyone else through a user namespace.
void enter_sandbox() {
  uid_t uid = ::geteuid();
  gid_t gid = ::getegid();
  int flags = CLONE_NEWNS | CLONE_NEWNET;
  if (uid != 0) flags |= CLONE_NEWUSER;
  if (::unshare(flags) < 0) setup_failed("unshare");
  if (uid != 0) {
    write_file("/proc/self/setgroups", "deny");
    write_file("/proc/self/uid_map", "0 " + std::to_string(uid) + " 1");
    write_file("/proc/self/gid_map", "0 " + std::to_string(gid) + " 1");
  }
  if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) < 0)
    setup_failed("make / private");
  if (::mount("fuzz-run", "/run", "tmpfs", 0, "mode=755") < 0) setup_failed("mount /run");
  for (const char* dir : {"/run/netns", StateStore::kRoot})
    if (::mkdir(dir, 0755) < 0) setup_failed(dir);
  // A namespace file, so list_netns reads its record (it is no namespace: opening fails).
  write_file("/run/netns/fuzz", "");
}

bool strict = false;
bool known_throw_seen[std::size(kReaders)] = {};

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  enter_sandbox();
  const char* s = std::getenv("CONTAIN_FUZZ_STRICT");
  strict = s && *s && std::string_view(s) != "0";
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text = fuzz::text_of(data, size);
  input = text;
  for (auto kind : kAllKinds) {
    std::string dir = std::string(StateStore::kRoot) + "/" + std::string(kind);
    ::mkdir(dir.c_str(), 0755);
    write_file(dir + "/" + std::string(kRecordName), text);
  }
  // Kinds outside kAllKinds: namespaces known by identity, the CNI mark.
  for (auto kind : {kNetnsIdKind, CniNetworkRecord::kKind}) {
    std::string dir = std::string(StateStore::kRoot) + "/" + std::string(kind);
    ::mkdir(dir.c_str(), 0755);
    write_file(dir + "/" + std::string(kRecordName), text);
  }
  write_file(std::string(StateStore::kRoot) + "/shape/dev:lo", text);
  for (std::size_t i = 0; i < std::size(kReaders); ++i) {
    if (strict || !kReaders[i].throws) {
      kReaders[i].run();
      continue;
    }
    try {
      kReaders[i].run();
    } catch (const std::exception& e) {
      // Said once per reader: the run goes on.
      if (!std::exchange(known_throw_seen[i], true))
        std::fprintf(stderr, "fuzz_state: known defect: %s throws on a corrupt record: %s\n",
                     kReaders[i].name, e.what());
    }
  }
  return 0;
}
