#include "kernel/cgroup.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <linux/magic.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cstring>

#include "core/text.hpp"
#include "kernel/files.hpp"
#include "kernel/process.hpp"

namespace contain::kernel::cgroup {

namespace {

// Controllers a v1 mount can carry (its super options also hold rw, relatime,
// name=..., clone_children ...).
constexpr std::string_view kV1Controllers[] = {
    "cpu",   "cpuacct",    "cpuset",   "memory",  "devices", "freezer", "net_cls",
    "blkio", "perf_event", "net_prio", "hugetlb", "pids",    "rdma",    "misc"};

bool is_v1_controller(std::string_view option) {
  return std::find(std::begin(kV1Controllers), std::end(kV1Controllers), option) !=
         std::end(kV1Controllers);
}

// mountinfo escapes space, tab, newline and backslash as \ooo.
std::string unescape_mount_path(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\\' && i + 3 < text.size()) {
      auto digits = text.substr(i + 1, 3);
      if (digits.size() == 3 &&
          std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '7'; })) {
        out +=
            static_cast<char>((digits[0] - '0') * 64 + (digits[1] - '0') * 8 + (digits[2] - '0'));
        i += 3;
        continue;
      }
    }
    out += text[i];
  }
  return out;
}

}  // namespace

// --- What the kernel shows ---

std::vector<Mount> parse_mounts(std::string_view mountinfo) {
  std::vector<Mount> out;
  for (auto line : split(mountinfo, '\n')) {
    auto fields = split(line, ' ');
    auto dash = std::find(fields.begin(), fields.end(), std::string_view("-"));
    // ID PARENT MAJ:MIN ROOT MOUNT_POINT OPTIONS [OPTIONAL...] - TYPE SOURCE SUPER_OPTIONS
    if (fields.size() < 6 || dash == fields.end() || dash - fields.begin() < 6 ||
        fields.end() - dash < 4)
      continue;
    std::string_view type = dash[1];
    if (type != "cgroup" && type != "cgroup2") continue;
    Mount mount;
    mount.root = unescape_mount_path(fields[3]);
    mount.mount_point = unescape_mount_path(fields[4]);
    mount.v2 = type == "cgroup2";
    if (!mount.v2)
      for (auto option : split(dash[3], ','))
        if (is_v1_controller(option)) mount.controllers.emplace_back(option);
    if (!mount.v2 && mount.controllers.empty()) continue;  // name=systemd and the like
    // The same hierarchy mounted twice: the first mount of its whole tree serves.
    bool seen = std::any_of(out.begin(), out.end(), [&](const Mount& m) {
      return m.v2 == mount.v2 && m.controllers == mount.controllers;
    });
    if (seen) {
      for (auto& m : out)
        if (m.v2 == mount.v2 && m.controllers == mount.controllers && m.root != "/" &&
            mount.root == "/")
          m = mount;
      continue;
    }
    out.push_back(std::move(mount));
  }
  return out;
}

Result<std::vector<Membership>> parse_proc_cgroup(std::string_view text) {
  std::vector<Membership> out;
  for (auto line : split(text, '\n')) {
    if (line.empty()) continue;
    auto first = line.find(':');
    auto second = first == std::string_view::npos ? first : line.find(':', first + 1);
    if (second == std::string_view::npos)
      return fail(Error::failed(fmt::format("/proc/self/cgroup: malformed line '{}'", line)));
    auto id = parse_number<int>(line.substr(0, first));
    std::string_view path = line.substr(second + 1);
    if (!id || path.empty() || path.front() != '/')
      return fail(Error::failed(fmt::format("/proc/self/cgroup: malformed line '{}'", line)));
    Membership entry;
    entry.hierarchy_id = *id;
    std::string_view controllers = line.substr(first + 1, second - first - 1);
    if (!controllers.empty())
      for (auto c : split(controllers, ','))
        if (is_v1_controller(c)) entry.controllers.emplace_back(c);
    entry.path = std::string(path);
    out.push_back(std::move(entry));
  }
  return out;
}

std::optional<std::uint64_t> keyed_value(std::string_view text, std::string_view key) {
  for (auto line : split(text, '\n')) {
    if (line.size() <= key.size() || !line.starts_with(key) || line[key.size()] != ' ') continue;
    return parse_number<std::uint64_t>(line.substr(key.size() + 1));
  }
  return std::nullopt;
}

namespace {

std::string join_path(std::string_view base, std::string_view relative) {
  std::string out(base);
  while (!out.empty() && out.back() == '/') out.pop_back();
  if (relative.empty() || relative == "/") return out;
  if (relative.front() != '/') out += '/';
  out += relative;
  while (out.size() > 1 && out.back() == '/') out.pop_back();
  return out;
}

// A path inside the mount's root: /proc/self/cgroup gives the group from the
// hierarchy's root, the mount may show only a subtree of it (a bind mount, a
// cgroup namespace's mount).
std::optional<std::string> relative_to_root(std::string_view path, std::string_view root) {
  if (root == "/" || root.empty()) return std::string(path);
  if (path == root) return std::string("/");
  if (path.starts_with(root) && path.size() > root.size() && path[root.size()] == '/')
    return std::string(path.substr(root.size()));
  return std::nullopt;
}

std::vector<std::string> words(std::string_view text) {
  std::vector<std::string> out;
  for (auto line : split(text, '\n'))
    for (auto w : split(line, ' '))
      if (!w.empty()) out.emplace_back(w);
  return out;
}

}  // namespace

bool Hierarchy::has(std::string_view controller) const {
  return std::find(controllers.begin(), controllers.end(), controller) != controllers.end();
}

const Hierarchy* Layout::for_controller(std::string_view controller) const {
  // v1 first: on the hybrid layout a controller bound to a v1 hierarchy is
  // not usable in v2, even if v2 is mounted.
  for (const auto& h : hierarchies)
    if (!h.v2 && h.has(controller)) return &h;
  for (const auto& h : hierarchies)
    if (h.v2 && h.has(controller)) return &h;
  return nullptr;
}

Result<Layout> layout_from(std::string_view mountinfo, std::string_view proc_cgroup) {
  Layout layout;
  auto mounts = parse_mounts(mountinfo);
  auto memberships = TRY(parse_proc_cgroup(proc_cgroup));
  for (const auto& m : mounts) {
    const Membership* member = nullptr;
    for (const auto& entry : memberships) {
      bool match = m.v2 ? (entry.hierarchy_id == 0 && entry.controllers.empty())
                        : (!entry.controllers.empty() && entry.controllers == m.controllers);
      if (match) member = &entry;
    }
    if (!member) continue;
    auto inside = relative_to_root(member->path, m.root);
    // Our group is outside what this mount shows: we cannot reach it here.
    if (!inside) continue;
    Hierarchy h;
    h.mount_point = m.mount_point;
    h.v2 = m.v2;
    h.own = join_path(m.mount_point, *inside);
    if (m.v2) {
      // What our group may hand to its children; nothing if unreadable.
      auto text = read_file(h.own + "/cgroup.controllers");
      if (text) h.controllers = words(*text);
    } else {
      h.controllers = m.controllers;
    }
    layout.hierarchies.push_back(std::move(h));
  }
  return layout;
}

Result<Layout> detect_layout() {
  auto mountinfo = TRY(read_file("/proc/self/mountinfo"));
  auto proc_cgroup = TRY(read_file("/proc/self/cgroup"));
  return layout_from(mountinfo, proc_cgroup);
}

bool own_groups_unwritable(std::string_view proc_cgroup,
                           const std::vector<std::string>& controllers, const std::string& base) {
  auto memberships = parse_proc_cgroup(proc_cgroup);
  if (!memberships) return false;
  auto unwritable = [](const std::string& dir, decltype(statfs::f_type) magic) {
    struct statfs fs {};
    if (::statfs(dir.c_str(), &fs) != 0 || fs.f_type != magic) return false;
    return ::access(dir.c_str(), W_OK) != 0 &&
           (errno == EACCES || errno == EPERM || errno == EROFS);
  };
  for (const auto& controller : controllers) {
    auto v1 = std::find_if(memberships->begin(), memberships->end(), [&](const Membership& m) {
      return std::find(m.controllers.begin(), m.controllers.end(), controller) !=
             m.controllers.end();
    });
    if (v1 != memberships->end()) {
      std::string hierarchy;
      for (const auto& c : v1->controllers) hierarchy += (hierarchy.empty() ? "" : ",") + c;
      if (!unwritable(join_path(base + "/" + hierarchy, v1->path), CGROUP_SUPER_MAGIC))
        return false;
      continue;
    }
    // Not bound to v1: on v2, if anywhere.
    auto v2 = std::find_if(memberships->begin(), memberships->end(), [](const Membership& m) {
      return m.hierarchy_id == 0 && m.controllers.empty();
    });
    if (v2 == memberships->end()) continue;  // nowhere: the layout has no group for it either
    bool refused = false;
    for (const std::string& mount : {base, base + "/unified"}) {
      struct statfs fs {};
      if (::statfs(mount.c_str(), &fs) != 0 || fs.f_type != CGROUP2_SUPER_MAGIC) continue;
      refused = unwritable(join_path(mount, v2->path), CGROUP2_SUPER_MAGIC);
      break;
    }
    if (!refused) return false;
  }
  return true;
}

Status write_file(const std::string& path, std::string_view value) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd) return fail(Error::system(fmt::format("open {}", path)));
  ssize_t n;
  do n = ::write(fd.get(), value.data(), value.size());
  while (n < 0 && errno == EINTR);
  if (n < 0) return fail(Error::system(fmt::format("write '{}' to {}", value, path)));
  return {};
}

Result<std::string> read_file(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return fail(Error::system(fmt::format("open {}", path)));
  return read_all(fd.get(), path);
}

Result<bool> make_group(const std::string& path) {
  if (::mkdir(path.c_str(), 0755) == 0) return true;
  if (errno == EEXIST) return false;
  return fail(Error::system(fmt::format("create cgroup {}", path)));
}

Status add_process(const std::string& group, pid_t pid) {
  return write_file(group + "/cgroup.procs", std::to_string(pid));
}

Result<UniqueFd> open_tasks(const std::string& group) {
  std::string path = group + "/tasks";
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd) return fail(Error::system(fmt::format("open {}", path)));
  return fd;
}

bool join_self(int tasks_fd) {
  ssize_t n;
  do n = ::write(tasks_fd, "0", 1);
  while (n < 0 && errno == EINTR);
  return n == 1;
}

bool join_self(int tasks_fd, ChildError& e) {
  if (join_self(tasks_fd)) return true;
  int err = errno;
  int policy = ::sched_getscheduler(0);
  if (err == EINVAL && (policy == SCHED_FIFO || policy == SCHED_RR)) {
    errno = 0;  // the reason says it all; EINVAL's text would mislead
    return e.fail(
        "join the container's cgroups: contain runs with a real-time scheduling policy, and a "
        "real-time process can only join a cpu cgroup with a real-time budget "
        "(cpu.rt_runtime_us): run contain with a normal policy (not under chrt -f or -r)");
  }
  errno = err;
  return e.fail("join the container's cgroups");
}

Result<std::vector<pid_t>> processes(const std::string& group) {
  auto text = TRY(read_file(group + "/cgroup.procs"));
  std::vector<pid_t> out;
  for (auto line : split(text, '\n'))
    if (auto pid = parse_number<pid_t>(line); pid && *pid > 0) out.push_back(*pid);
  return out;
}

namespace {

using Clock = std::chrono::steady_clock;

int remaining_ms(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return static_cast<int>(std::max<std::int64_t>(0, left.count()));
}

// v1 (and v2 before cgroup.kill): SIGKILL every listed process through a
// pidfd (a pid reused meanwhile is never hit), wait for those to exit, and
// again while the list is not empty (a fork that raced the listing).
Status kill_loop(const std::string& group, Clock::time_point deadline) {
  for (;;) {
    auto listed = processes(group);
    if (!listed) {
      if (listed.error().code() == ENOENT) return {};
      return fail(std::move(listed).error());
    }
    if (listed->empty()) return {};
    std::vector<UniqueFd> pidfds;
    for (pid_t pid : *listed) {
      auto pidfd = open_pidfd(pid);
      if (!pidfd) continue;  // gone already
      (void)signal_pidfd(pidfd->get(), SIGKILL);
      pidfds.push_back(std::move(*pidfd));
    }
    std::vector<pollfd> fds;
    for (const auto& fd : pidfds) fds.push_back({fd.get(), POLLIN, 0});
    // Each pidfd becomes readable when its process has exited.
    while (!fds.empty()) {
      int ready = ::poll(fds.data(), fds.size(), remaining_ms(deadline));
      if (ready < 0 && errno == EINTR) continue;
      if (ready < 0) return fail(Error::system(fmt::format("wait for the processes of {}", group)));
      if (ready == 0)
        return fail(Error::failed(
            fmt::format("the processes of cgroup {} did not end after SIGKILL", group), EBUSY));
      std::erase_if(fds, [](const pollfd& p) { return p.revents != 0; });
    }
    if (Clock::now() >= deadline)
      return fail(Error::failed(
          fmt::format("cgroup {} still has processes after repeated SIGKILL", group), EBUSY));
  }
}

// v2: cgroup.kill ends the whole subtree at once (Linux 5.14), and
// cgroup.events says "populated 0" once it is empty (inotify tells us when
// it changes).
Status kill_v2(const std::string& group, Clock::time_point deadline) {
  UniqueFd watch(::inotify_init1(IN_CLOEXEC | IN_NONBLOCK));
  std::string events = group + "/cgroup.events";
  if (!watch || ::inotify_add_watch(watch.get(), events.c_str(), IN_MODIFY) < 0) {
    if (errno == ENOENT) return {};
    return fail(Error::system(fmt::format("watch {}", events)));
  }
  auto killed = write_file(group + "/cgroup.kill", "1");
  if (!killed) {
    if (killed.error().code() != ENOENT) return fail(std::move(killed).error());
    TRY(kill_loop(group, deadline));
  }
  for (;;) {
    auto text = read_file(events);
    if (!text) return text.error().code() == ENOENT ? Status{} : fail(std::move(text).error());
    if (keyed_value(*text, "populated") == 0u) return {};
    pollfd fd{watch.get(), POLLIN, 0};
    int ready = ::poll(&fd, 1, remaining_ms(deadline));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0)
      return fail(Error::failed(
          fmt::format("the processes of cgroup {} did not end after cgroup.kill", group), EBUSY));
    char buffer[4096];
    while (::read(watch.get(), buffer, sizeof buffer) > 0) {
    }
  }
}

}  // namespace

Status remove_group(const std::string& group, bool v2, std::chrono::milliseconds bound) {
  // Usually the group is empty already: the container's PID 1 has exited, and
  // the kernel ended every other process of its PID namespace with it.
  if (::rmdir(group.c_str()) == 0 || errno == ENOENT) return {};
  if (errno != EBUSY) return fail(Error::system(fmt::format("remove cgroup {}", group)));
  auto deadline = Clock::now() + bound;
  TRY(v2 ? kill_v2(group, deadline) : kill_loop(group, deadline));
  // Empty, but a v1 group can stay busy for a moment after its last process
  // exited (the kernel unlinks an exiting task from its group late in exit,
  // after the pidfd said it exited), and v1 has no event for that: retry,
  // 1 ms apart, until the bound.
  for (;;) {
    if (::rmdir(group.c_str()) == 0 || errno == ENOENT) return {};
    if (errno != EBUSY || Clock::now() >= deadline)
      return fail(Error::system(fmt::format("remove cgroup {}", group)));
    if (auto left = processes(group); left && !left->empty())
      TRY(v2 ? kill_v2(group, deadline) : kill_loop(group, deadline));
    timespec pause{0, 1000000};
    ::nanosleep(&pause, nullptr);
  }
}

// --- v2 device filter ---

namespace {

bpf_insn instruction(std::uint8_t code, std::uint8_t dst, std::uint8_t src, std::int16_t off,
                     std::int32_t imm) {
  bpf_insn insn{};
  insn.code = code;
  insn.dst_reg = dst & 0xf;
  insn.src_reg = src & 0xf;
  insn.off = off;
  insn.imm = imm;
  return insn;
}

constexpr std::uint8_t kLoadWord = BPF_LDX | BPF_MEM | BPF_W;
constexpr std::uint8_t kAndImmediate = BPF_ALU | BPF_AND | BPF_K;
constexpr std::uint8_t kShiftRightImmediate = BPF_ALU | BPF_RSH | BPF_K;
constexpr std::uint8_t kMoveRegister = BPF_ALU | BPF_MOV | BPF_X;
constexpr std::uint8_t kMoveImmediate = BPF_ALU64 | BPF_MOV | BPF_K;
constexpr std::uint8_t kJumpIfNotEqual = BPF_JMP | BPF_JNE | BPF_K;
constexpr std::uint8_t kExit = BPF_JMP | BPF_EXIT;

}  // namespace

std::vector<bpf_insn> device_program(const std::vector<DeviceRule>& rules) {
  // struct bpf_cgroup_dev_ctx { u32 access_type (access << 16 | type); u32 major; u32 minor; }
  std::vector<bpf_insn> program = {
      instruction(kLoadWord, 2, 1, 0, 0),              // r2 = access_type
      instruction(kAndImmediate, 2, 0, 0, 0xffff),     // r2 = type
      instruction(kLoadWord, 3, 1, 0, 0),              // r3 = access_type
      instruction(kShiftRightImmediate, 3, 0, 0, 16),  // r3 = access
      instruction(kLoadWord, 4, 1, 4, 0),              // r4 = major
      instruction(kLoadWord, 5, 1, 8, 0),              // r5 = minor
  };
  for (const auto& rule : rules) {
    // One block per rule: each test jumps past the block when it fails; the
    // block's end allows.
    std::vector<bpf_insn> block;
    std::vector<std::size_t> exits;  // jumps to the end of the block
    auto skip_unless = [&](std::uint8_t reg, std::int32_t value) {
      exits.push_back(block.size());
      block.push_back(instruction(kJumpIfNotEqual, reg, 0, 0, value));
    };
    if (rule.type != 'a')
      skip_unless(2, rule.type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR);
    std::int32_t allowed = (rule.mknod ? BPF_DEVCG_ACC_MKNOD : 0) |
                           (rule.read ? BPF_DEVCG_ACC_READ : 0) |
                           (rule.write ? BPF_DEVCG_ACC_WRITE : 0);
    constexpr std::int32_t kAll = BPF_DEVCG_ACC_MKNOD | BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE;
    if (allowed != kAll) {
      // Every access asked for must be allowed: access & ~allowed == 0.
      block.push_back(instruction(kMoveRegister, 1, 3, 0, 0));
      block.push_back(instruction(kAndImmediate, 1, 0, 0, ~allowed & kAll));
      skip_unless(1, 0);
    }
    if (rule.major >= 0) skip_unless(4, static_cast<std::int32_t>(rule.major));
    if (rule.minor >= 0) skip_unless(5, static_cast<std::int32_t>(rule.minor));
    block.push_back(instruction(kMoveImmediate, 0, 0, 0, 1));
    block.push_back(instruction(kExit, 0, 0, 0, 0));
    for (std::size_t at : exits) block[at].off = static_cast<std::int16_t>(block.size() - at - 1);
    program.insert(program.end(), block.begin(), block.end());
  }
  program.push_back(instruction(kMoveImmediate, 0, 0, 0, 0));
  program.push_back(instruction(kExit, 0, 0, 0, 0));
  return program;
}

Status attach_device_program(const std::string& group, const std::vector<bpf_insn>& program) {
  static const char kLicense[] = "Apache";
  bpf_attr load{};
  load.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
  load.insns = reinterpret_cast<std::uint64_t>(program.data());
  load.insn_cnt = static_cast<std::uint32_t>(program.size());
  load.license = reinterpret_cast<std::uint64_t>(kLicense);
  UniqueFd prog(static_cast<int>(::syscall(SYS_bpf, BPF_PROG_LOAD, &load, sizeof load)));
  if (!prog) return fail(Error::system(fmt::format("load the device filter for {}", group)));
  UniqueFd dir(::open(group.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dir) return fail(Error::system(fmt::format("open cgroup {}", group)));
  bpf_attr attach{};
  attach.target_fd = static_cast<std::uint32_t>(dir.get());
  attach.attach_bpf_fd = static_cast<std::uint32_t>(prog.get());
  attach.attach_type = BPF_CGROUP_DEVICE;
  attach.attach_flags = BPF_F_ALLOW_MULTI;
  if (::syscall(SYS_bpf, BPF_PROG_ATTACH, &attach, sizeof attach) < 0)
    return fail(Error::system(fmt::format("attach the device filter to {}", group)));
  return {};
}

}  // namespace contain::kernel::cgroup
