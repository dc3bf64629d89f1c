// contain shape ...: bandwidth limits and delay/loss emulation.
#include "engine/shape.hpp"

#include <fmt/format.h>

#include "cli/app.hpp"

namespace contain::cli {

namespace {

struct TargetOptions {
  std::string netns, ifname, dev;
};

void add_target_options(CLI::App* sub, TargetOptions& o) {
  auto* ns = sub->add_option("--ns", o.netns,
                             "Shape the namespace's contain-managed interface (a name, pid:PID, "
                             "a path or container:NAME)");
  auto* dev = sub->add_option("--dev", o.dev, "Shape a device on the host");
  sub->add_option("--ifname", o.ifname,
                  "With --ns: which managed interface (needed when there are several)")
      ->needs(ns);
  ns->excludes(dev);
}

Result<engine::ShapeTarget> parse_target(const TargetOptions& o) {
  engine::ShapeTarget t;
  if (o.netns.empty() == o.dev.empty())
    return fail(Error::usage("give exactly one of --ns NS or --dev IF"));
  std::optional<model::NetnsSpec> netns;
  if (!o.netns.empty()) netns = TRY(model::NetnsSpec::parse(o.netns));
  if (!o.ifname.empty()) t.ifname = TRY(IfName::parse(o.ifname));
  if (!o.dev.empty()) t.dev = TRY(IfName::parse(o.dev));
  if (netns) t.netns = TRY(engine::resolve_netns(*netns));
  return t;
}

// A rate as tc writes it: the largest unit that divides it.
std::string rate_text(std::uint64_t bits) {
  if (bits != 0 && bits % 1000000000 == 0) return fmt::format("{}gbit", bits / 1000000000);
  if (bits != 0 && bits % 1000000 == 0) return fmt::format("{}mbit", bits / 1000000);
  if (bits != 0 && bits % 1000 == 0) return fmt::format("{}kbit", bits / 1000);
  return fmt::format("{}bit", bits);
}

void print_shaping(const engine::ShapingShown& shown) {
  if (!shown.record) {
    fmt::print("not shaped\n");
    return;
  }
  const auto& r = *shown.record;
  fmt::print("direction {}  rate {}  burst {}  latency {}", engine::direction_name(r.direction),
             r.rate.text(), r.burst ? r.burst->text() : "-", r.latency ? r.latency->text() : "-");
  if (r.delay) fmt::print("  delay {}", r.delay->text());
  if (r.jitter) fmt::print("  jitter {}", r.jitter->text());
  if (r.loss) fmt::print("  loss {}", r.loss->text());
  fmt::print("\n");
  auto print_device = [](const engine::ShapedDevice& d) {
    std::string kinds;
    for (const auto& k : d.kernel_qdiscs) kinds += (kinds.empty() ? "" : ",") + k;
    fmt::print("  {:<8} {}{}  kernel: {}{}\n",
               d.device.direction ? engine::direction_name(*d.device.direction) : "-",
               d.device.ifname, d.device.netns ? " (in " + *d.device.netns + ")" : " (host)",
               kinds.empty() ? "-" : kinds,
               d.kernel_rate_bps ? " rate " + rate_text(*d.kernel_rate_bps) : "");
  };
  for (const auto& d : shown.devices) print_device(d);
  if (shown.ifb_device) {
    fmt::print("  ingress redirected to {}\n", r.ifb.value_or("-"));
    print_device(*shown.ifb_device);
  }
  if (!shown.in_sync)
    fmt::print(
        "  warning: the kernel does not hold the rate set with contain (changed outside contain?); "
        "set it again or clear it\n");
}

void add_shape_commands(Commands& commands) {
  CLI::App* shape = commands.app().add_subcommand(
      "shape", "Bandwidth limits in both directions (tbf), delay and loss (netem)");
  shape->require_subcommand(1);
  {
    auto* sub = shape->add_subcommand("set", "Limit the bandwidth of a namespace or device");
    struct Options {
      TargetOptions target;
      std::string rate, burst, latency, direction = "egress", delay, jitter, loss;
    };
    auto o = std::make_shared<Options>();
    add_target_options(sub, o->target);
    sub->add_option("--rate", o->rate, "Rate in tc units: 10mbit, 1gbit, 500kbps")->required();
    sub->add_option("--burst", o->burst, "Bucket size (default: 4 ms of the rate, >= 2 frames)");
    sub->add_option("--latency", o->latency, "Longest queueing delay (default 50ms)");
    sub->add_option("--direction", o->direction, "egress (leaving), ingress (entering) or both")
        ->check(CLI::IsMember({"egress", "ingress", "both"}))
        ->capture_default_str();
    sub->add_option("--delay", o->delay, "Added delay (netem), e.g. 20ms");
    sub->add_option("--jitter", o->jitter, "Delay variation (netem), e.g. 5ms");
    sub->add_option("--loss", o->loss, "Random loss (netem), e.g. 1%");
    commands.on(sub, "shape set", [o]() -> Result<int> {
      engine::ShapeSpec spec;
      spec.target = TRY(parse_target(o->target));
      spec.rate = TRY(Rate::parse(o->rate));
      if (!o->burst.empty()) spec.burst = TRY(Size::parse(o->burst));
      if (!o->latency.empty()) spec.latency = TRY(Duration::parse(o->latency));
      if (!o->delay.empty()) spec.delay = TRY(Duration::parse(o->delay));
      if (!o->jitter.empty()) spec.jitter = TRY(Duration::parse(o->jitter));
      if (!o->loss.empty()) spec.loss = TRY(Percent::parse(o->loss));
      if (spec.jitter && !spec.delay)
        return fail(Error::usage("--jitter needs --delay (jitter varies the added delay)"));
      spec.direction = o->direction == "both"      ? engine::Direction::both
                       : o->direction == "ingress" ? engine::Direction::ingress
                                                   : engine::Direction::egress;
      TRY(engine::set_shaping(spec));
      return 0;
    });
  }
  {
    auto* sub = shape->add_subcommand("show", "Show the shaping of a namespace or device");
    auto o = std::make_shared<TargetOptions>();
    auto as_json = std::make_shared<bool>(false);
    add_target_options(sub, *o);
    sub->add_flag("--json", *as_json,
                  "Print JSON: {\"shaped\", \"target\", \"direction\", \"rate\", \"burst\", "
                  "\"latency\", \"rate_bps\", \"burst_bytes\", \"limit_bytes\", \"devices\": "
                  "[{..., \"kernel_qdiscs\", \"kernel_rate_bps\"}], \"in_sync\"}");
    commands.on(sub, "shape show", [o, as_json]() -> Result<int> {
      auto target = TRY(parse_target(*o));
      auto shown = TRY(engine::show_shaping(target));
      if (*as_json)
        print_json(shown.to_json());
      else
        print_shaping(shown);
      return 0;
    });
  }
  {
    auto* sub = shape->add_subcommand("clear", "Remove the shaping (back to the default qdisc)");
    auto o = std::make_shared<TargetOptions>();
    add_target_options(sub, *o);
    commands.on(sub, "shape clear", [o]() -> Result<int> {
      TRY(engine::clear_shaping(TRY(parse_target(*o))));
      return 0;
    });
  }
}

CommandGroup shape_group{"shape", 40, add_shape_commands};

}  // namespace

}  // namespace contain::cli
