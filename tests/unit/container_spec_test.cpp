#include <gtest/gtest.h>

#include "model/container.hpp"
#include "model/container_options.hpp"

namespace contain::model {
namespace {

TEST(ContainerName, FollowsHostnameRules) {
  for (const char* ok : {"web", "web-1", "a.b_c", "7up", "X"})
    EXPECT_TRUE(ContainerName::parse(ok)) << ok;
  EXPECT_TRUE(ContainerName::parse(std::string(63, 'n')));
  for (std::string bad : {std::string(), std::string("-x"), std::string(".x"), std::string("a b"),
                          std::string("a/b"), std::string("a:b"), std::string(64, 'n')}) {
    auto r = ContainerName::parse(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().exit_code(), 2);
    EXPECT_NE(r.error().message().find("container name"), std::string::npos);
  }
  EXPECT_EQ(ContainerName::generated("0123456789abcdef").str(), "c-0123456789");
}

TEST(NetworkChoice, NoneNetnsOrManaged) {
  EXPECT_EQ(NetworkChoice::parse("none")->kind, NetworkChoice::Kind::none);
  EXPECT_EQ(NetworkChoice::parse("")->kind, NetworkChoice::Kind::none);
  auto ns = NetworkChoice::parse("netns:blue");
  ASSERT_TRUE(ns);
  EXPECT_EQ(ns->kind, NetworkChoice::Kind::netns);
  EXPECT_EQ(ns->name, "blue");
  EXPECT_EQ(ns->str(), "netns:blue");
  auto managed = NetworkChoice::parse("backend");
  ASSERT_TRUE(managed);
  EXPECT_EQ(managed->kind, NetworkChoice::Kind::managed);
  EXPECT_EQ(managed->str(), "backend");
  EXPECT_FALSE(NetworkChoice::parse("netns:"));
  EXPECT_FALSE(NetworkChoice::parse("netns:pid:x"));
  EXPECT_FALSE(NetworkChoice::parse("netns:container:-x"));
  EXPECT_FALSE(NetworkChoice::parse("a/b"));
  // Every namespace reference joins: pid:PID, a path, container:NAME.
  for (const char* ref : {"pid:42", "/proc/42/ns/net", "container:db"}) {
    auto joined = NetworkChoice::parse(std::string("netns:") + ref);
    ASSERT_TRUE(joined) << ref;
    EXPECT_EQ(joined->kind, NetworkChoice::Kind::netns);
    EXPECT_EQ(joined->name, ref);
  }
}

TEST(PortMapping, ParsesDockerSyntax) {
  auto simple = PortMapping::parse("8080:80");
  ASSERT_TRUE(simple);
  EXPECT_EQ(simple->host_port.value(), 8080);
  EXPECT_EQ(simple->container_port.value(), 80);
  EXPECT_EQ(simple->protocol, Protocol::tcp);
  EXPECT_FALSE(simple->host_address);
  EXPECT_EQ(simple->str(), "8080:80");

  auto udp = PortMapping::parse("127.0.0.1:5353:53/udp");
  ASSERT_TRUE(udp);
  EXPECT_EQ(udp->protocol, Protocol::udp);
  EXPECT_EQ(udp->host_address->str(), "127.0.0.1");
  EXPECT_EQ(udp->str(), "127.0.0.1:5353:53/udp");

  auto v6 = PortMapping::parse("[::1]:8443:443/tcp");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->host_address->str(), "::1");
  EXPECT_EQ(v6->str(), "[::1]:8443:443");
}

TEST(PortMapping, RefusesWithAReason) {
  struct Case {
    const char* text;
    const char* reason;
  } cases[] = {{"80", "use [ADDR:]HOSTPORT:PORT"},
               {"0:80", "the host port \"0\""},
               {"65536:80", "the host port \"65536\""},
               {"80:x", "the container port \"x\""},
               {"80:", "the container port \"\""},
               {"8080:80/sctp", "the protocol must be tcp or udp"},
               {"host:8080:80", "\"host\" is not an IP address"}};
  for (const auto& c : cases) {
    auto r = PortMapping::parse(c.text);
    ASSERT_FALSE(r) << c.text;
    EXPECT_EQ(r.error().exit_code(), 2);
    EXPECT_NE(r.error().message().find(c.reason), std::string::npos) << r.error().message();
  }
}

TEST(Environment, EntriesAndDefaults) {
  EXPECT_TRUE(parse_environment_entry("A=1"));
  EXPECT_TRUE(parse_environment_entry("EMPTY="));
  EXPECT_FALSE(parse_environment_entry("NOVALUE"));
  EXPECT_FALSE(parse_environment_entry("=x"));
  auto env = container_environment("box", {"HOME=/srv", "A=1", "A=2"});
  std::vector<std::string> expected = {
      "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOSTNAME=box",
      "HOME=/srv", "A=2"};
  EXPECT_EQ(env, expected);
  EXPECT_EQ(container_environment("box", {}).size(), 3u);
}

// Docker's rule: TERM=xterm for a process on a terminal (-t) unless the
// configured environment sets TERM; never without one.
TEST(Environment, TermOnlyOnATerminal) {
  auto env = container_environment("box", {"A=1"});
  EXPECT_EQ(process_environment(env, false), env);
  auto on_terminal = process_environment(env, true);
  ASSERT_EQ(on_terminal.size(), env.size() + 1);
  EXPECT_EQ(on_terminal.back(), "TERM=xterm");
  auto chosen = container_environment("box", {"TERM=vt100"});
  EXPECT_EQ(process_environment(chosen, true), chosen);
  EXPECT_EQ(process_environment(chosen, false), chosen);
  // An empty TERM is still the user's choice.
  auto empty = container_environment("box", {"TERM="});
  EXPECT_EQ(process_environment(empty, true), empty);
  // A key that only starts like it is another variable.
  auto other = container_environment("box", {"TERMINAL=x"});
  EXPECT_EQ(process_environment(other, true).back(), "TERM=xterm");
}

TEST(ContainerSpec, ValidateCrossOptionRules) {
  ContainerSpec spec{
      .name = *ContainerName::parse("c"), .id = "0", .hostname = "c", .command = {"/bin/sh"}};
  EXPECT_TRUE(validate(spec));
  auto with_port = spec;
  with_port.ports.push_back(*PortMapping::parse("8080:80"));
  EXPECT_FALSE(validate(with_port));
  with_port.network = *NetworkChoice::parse("backend");
  EXPECT_TRUE(validate(with_port));
  auto relative = spec;
  relative.workdir = "tmp";
  EXPECT_FALSE(validate(relative));
  auto long_host = spec;
  long_host.hostname = std::string(65, 'h');
  EXPECT_FALSE(validate(long_host));
  // -d -t: the monitor logs the terminal (-dit is refused by the builder).
  auto terminal = spec;
  terminal.tty = true;
  EXPECT_TRUE(validate(terminal));
  terminal.detach = true;
  EXPECT_TRUE(validate(terminal));
}

TEST(ContainerSpec, DetachedTerminalWithInteractiveIsRefused) {
  ContainerOptions o;
  o.detach = o.tty = true;
  EXPECT_TRUE(build_container_spec(o, {.id = std::string(64, 'a')}));
  o.interactive = true;
  auto refused = build_container_spec(o, {.id = std::string(64, 'a')});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().exit_code(), 2);
  EXPECT_NE(refused.error().message().find("no attach"), std::string::npos);
  o.detach = false;
  EXPECT_TRUE(build_container_spec(o, {.id = std::string(64, 'a')}));
}

}  // namespace
}  // namespace contain::model
