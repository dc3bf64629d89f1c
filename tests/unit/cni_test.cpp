#include "model/cni.hpp"

#include <gtest/gtest.h>

#include <map>
#include <string>

#include "model/json_text.hpp"

namespace mc = contain::model::cni;
using nlohmann::json;

namespace {

struct FakeEnv {
  std::map<std::string, std::string> vars;
  mc::Getenv getenv() const {
    return [this](const char* name) -> const char* {
      auto it = vars.find(name);
      return it == vars.end() ? nullptr : it->second.c_str();
    };
  }
};

FakeEnv add_env() {
  return {{{"CNI_COMMAND", "ADD"},
           {"CNI_CONTAINERID", "abc123"},
           {"CNI_NETNS", "/run/netns/x"},
           {"CNI_IFNAME", "eth0"},
           {"CNI_PATH", "/opt/cni/bin"}}};
}

mc::Environment env_of(const FakeEnv& f) { return mc::parse_environment(f.getenv()).value(); }

const char* kPodmanConfig = R"({
  "cniVersion": "1.0.0", "name": "web", "type": "contain", "bridge": "cni-podman1",
  "isGateway": true, "ipMasq": true, "hairpinMode": true,
  "ipam": {"type": "host-local", "routes": [{"dst": "0.0.0.0/0"}],
           "ranges": [[{"subnet": "10.89.0.0/24", "gateway": "10.89.0.1"}]]},
  "dns": {"nameservers": ["10.89.0.1"], "search": ["dns.podman"]},
  "runtimeConfig": {"portMappings": [{"hostPort": 8080, "containerPort": 80, "protocol": "tcp",
                                      "hostIP": ""}]}
})";

}  // namespace

TEST(CniEnvironment, CommandIsRequiredAndExact) {
  FakeEnv none;
  auto missing = mc::parse_command(none.getenv());
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, mc::Code::invalid_environment);
  EXPECT_NE(missing.error().msg.find("CNI_COMMAND"), std::string::npos);
  FakeEnv lower{{{"CNI_COMMAND", "add"}}};
  EXPECT_FALSE(mc::parse_command(lower.getenv()));
  FakeEnv version{{{"CNI_COMMAND", "VERSION"}}};
  EXPECT_EQ(mc::parse_command(version.getenv()).value(), mc::Command::version);
}

TEST(CniEnvironment, AddNeedsContainerNetnsAndIfname) {
  for (const char* var : {"CNI_CONTAINERID", "CNI_NETNS", "CNI_IFNAME"}) {
    auto f = add_env();
    f.vars.erase(var);
    auto env = mc::parse_environment(f.getenv());
    ASSERT_FALSE(env) << var;
    EXPECT_EQ(env.error().code, mc::Code::invalid_environment);
    EXPECT_NE(env.error().msg.find(var), std::string::npos) << env.error().msg;
  }
}

TEST(CniEnvironment, DelWithoutNetnsIsFine) {
  auto f = add_env();
  f.vars["CNI_COMMAND"] = "DEL";
  f.vars.erase("CNI_NETNS");
  auto env = mc::parse_environment(f.getenv());
  ASSERT_TRUE(env) << env.error().msg;
  EXPECT_TRUE(env->netns.empty());
}

TEST(CniEnvironment, GcAndStatusNeedNoContainer) {
  for (const char* command : {"GC", "STATUS"}) {
    FakeEnv f{{{"CNI_COMMAND", command}}};
    EXPECT_TRUE(mc::parse_environment(f.getenv())) << command;
  }
}

TEST(CniEnvironment, BadValuesNameTheVariable) {
  auto f = add_env();
  f.vars["CNI_IFNAME"] = "a/b";
  EXPECT_NE(mc::parse_environment(f.getenv()).error().msg.find("CNI_IFNAME"), std::string::npos);
  f = add_env();
  f.vars["CNI_IFNAME"] = "sixteen-bytes-xx";
  EXPECT_FALSE(mc::parse_environment(f.getenv()));
  f = add_env();
  f.vars["CNI_CONTAINERID"] = "-x";
  EXPECT_NE(mc::parse_environment(f.getenv()).error().msg.find("CNI_CONTAINERID"),
            std::string::npos);
  f = add_env();
  f.vars["CNI_NETNS"] = "relative/path";
  EXPECT_NE(mc::parse_environment(f.getenv()).error().msg.find("CNI_NETNS"), std::string::npos);
  f = add_env();
  f.vars["CNI_ARGS"] = "IP=1.2.3.4;novalue";
  auto env = mc::parse_environment(f.getenv());
  ASSERT_FALSE(env);
  EXPECT_EQ(env.error().code, mc::Code::invalid_environment);
}

TEST(CniEnvironment, ArgsAreSplit) {
  auto f = add_env();
  f.vars["CNI_ARGS"] = "IgnoreUnknown=1;K8S_POD_NAME=web;;IP=10.0.0.5";
  auto env = env_of(f);
  EXPECT_EQ(env.args.at("K8S_POD_NAME"), "web");
  EXPECT_EQ(env.args.at("IP"), "10.0.0.5");
  EXPECT_EQ(env.args.size(), 3u);
}

TEST(CniConfig, PodmanStyleConfig) {
  auto config = mc::parse_config(kPodmanConfig, env_of(add_env()));
  ASSERT_TRUE(config) << config.error().msg;
  EXPECT_EQ(config->name, "web");
  EXPECT_EQ(config->cni_version, "1.0.0");
  ASSERT_EQ(config->ranges.size(), 1u);
  EXPECT_EQ(config->ranges[0].subnet.str(), "10.89.0.0/24");
  EXPECT_EQ(config->ranges[0].gateway->str(), "10.89.0.1");
  EXPECT_TRUE(config->ip_masq);
  ASSERT_EQ(config->routes.size(), 1u);
  EXPECT_EQ(config->dns.nameservers, std::vector<std::string>{"10.89.0.1"});
  ASSERT_EQ(config->port_mappings.size(), 1u);
  EXPECT_EQ(config->port_mappings[0].host_port.value(), 8080);
  EXPECT_EQ(config->port_mappings[0].container_port.value(), 80);
  EXPECT_FALSE(config->port_mappings[0].host_ip);  // "" = every address
}

TEST(CniConfig, SubnetShorthandAndOldIpamSubnet) {
  auto env = env_of(add_env());
  auto a = mc::parse_config(R"({"cniVersion":"0.4.0","name":"n","subnet":"10.1.0.7/16"})", env);
  ASSERT_TRUE(a) << a.error().msg;
  EXPECT_EQ(a->ranges.at(0).subnet.str(), "10.1.0.0/16");
  auto b = mc::parse_config(
      R"({"cniVersion":"0.3.1","name":"n","ipam":{"type":"host-local","subnet":"10.2.0.0/24"}})",
      env);
  ASSERT_TRUE(b) << b.error().msg;
  EXPECT_EQ(b->ranges.at(0).subnet.str(), "10.2.0.0/24");
}

TEST(CniConfig, VersionErrors) {
  auto env = env_of(add_env());
  for (const char* text : {R"({"name":"n"})", R"({"cniVersion":"0.2.0","name":"n"})",
                           R"({"cniVersion":"2.0.0","name":"n"})"}) {
    auto c = mc::parse_config(text, env);
    ASSERT_FALSE(c) << text;
    EXPECT_EQ(c.error().code, mc::Code::incompatible_version) << text;
  }
  auto check = env;
  check.command = mc::Command::check;
  EXPECT_EQ(mc::parse_config(R"({"cniVersion":"0.3.1","name":"n"})", check).error().code,
            mc::Code::incompatible_version);
  EXPECT_TRUE(mc::parse_config(R"({"cniVersion":"0.4.0","name":"n"})", check));
  auto gc = env;
  gc.command = mc::Command::gc;
  EXPECT_EQ(mc::parse_config(R"({"cniVersion":"1.0.0","name":"n"})", gc).error().code,
            mc::Code::incompatible_version);
  EXPECT_TRUE(mc::parse_config(R"({"cniVersion":"1.1.0","name":"n"})", gc));
}

TEST(CniConfig, DecodeAndInvalidErrors) {
  auto env = env_of(add_env());
  EXPECT_EQ(mc::parse_config("{not json", env).error().code, mc::Code::decode);
  EXPECT_EQ(mc::parse_config("[1]", env).error().code, mc::Code::decode);
  EXPECT_EQ(mc::parse_config(R"({"cniVersion":"1.0.0"})", env).error().code,
            mc::Code::invalid_config);
  EXPECT_EQ(mc::parse_config(R"({"cniVersion":"1.0.0","name":"a b"})", env).error().code,
            mc::Code::invalid_config);
  EXPECT_EQ(mc::parse_config(R"({"cniVersion":"1.0.0","name":"n","subnet":"10.0.0.0/33"})", env)
                .error()
                .code,
            mc::Code::invalid_config);
  EXPECT_EQ(
      mc::parse_config(R"({"cniVersion":"1.0.0","name":"n","ipMasq":"yes"})", env).error().code,
      mc::Code::invalid_config);
}

TEST(CniConfig, UnsupportedFieldsNameKeyAndValue) {
  auto env = env_of(add_env());
  auto dhcp = mc::parse_config(R"({"cniVersion":"1.0.0","name":"n","ipam":{"type":"dhcp"}})", env);
  ASSERT_FALSE(dhcp);
  EXPECT_EQ(dhcp.error().code, mc::Code::unsupported_field);
  EXPECT_NE(dhcp.error().msg.find("ipam.type=\"dhcp\""), std::string::npos) << dhcp.error().msg;
  // Dual stack is one range per family: two of one family, or several ranges
  // in one set (host-local's alternatives), are not.
  auto two_v4 = mc::parse_config(R"({"cniVersion":"1.0.0","name":"n","ipam":{"ranges":[
      [{"subnet":"192.0.2.0/25"}],[{"subnet":"192.0.2.128/25"}]]}})",
                                 env);
  ASSERT_FALSE(two_v4);
  EXPECT_EQ(two_v4.error().code, mc::Code::unsupported_field);
  EXPECT_NE(two_v4.error().msg.find("one subnet per address family"), std::string::npos)
      << two_v4.error().msg;
  auto one_set = mc::parse_config(R"({"cniVersion":"1.0.0","name":"n","ipam":{"ranges":[
      [{"subnet":"192.0.2.0/24"},{"subnet":"2001:db8::/64"}]]}})",
                                  env);
  ASSERT_FALSE(one_set);
  EXPECT_EQ(one_set.error().code, mc::Code::unsupported_field);
  auto three = mc::parse_config(R"({"cniVersion":"1.0.0","name":"n","ipam":{"ranges":[
      [{"subnet":"192.0.2.0/24"}],[{"subnet":"2001:db8::/64"}],[{"subnet":"2001:db8:1::/64"}]]}})",
                                env);
  ASSERT_FALSE(three);
  EXPECT_EQ(three.error().code, mc::Code::unsupported_field);
  auto longname = mc::parse_config(R"({"cniVersion":"1.0.0","name":"thirteen-byte"})", env);
  EXPECT_EQ(longname.error().code, mc::Code::unsupported_field);
  EXPECT_NE(longname.error().msg.find("thirteen-byte"), std::string::npos);
  auto sctp = mc::parse_config(R"({"cniVersion":"1.0.0","name":"n","runtimeConfig":
      {"portMappings":[{"hostPort":1,"containerPort":2,"protocol":"sctp"}]}})",
                               env);
  EXPECT_EQ(sctp.error().code, mc::Code::unsupported_field);
  auto vlan = mc::parse_config(R"({"cniVersion":"1.0.0","name":"n","vlan":12})", env);
  EXPECT_EQ(vlan.error().code, mc::Code::unsupported_field);
  // mtu is supported: a valid one is kept, a bad one is an invalid configuration.
  auto mtu = mc::parse_config(R"({"cniVersion":"1.0.0","name":"n","mtu":9000})", env);
  ASSERT_TRUE(mtu);
  EXPECT_EQ(mtu->mtu, 9000u);
  auto bad = mc::parse_config(R"({"cniVersion":"1.0.0","name":"n","mtu":10})", env);
  EXPECT_EQ(bad.error().code, mc::Code::invalid_config);
}

TEST(CniConfig, DualStackRanges) {
  auto env = env_of(add_env());
  auto c = mc::parse_config(R"({"cniVersion":"0.4.0","name":"n","ipam":{"type":"host-local",
      "ranges":[[{"subnet":"192.0.2.0/24","gateway":"192.0.2.1"}],
                [{"subnet":"2001:db8:1::/64","rangeStart":"2001:db8:1::10",
                  "rangeEnd":"2001:db8:1::20"}]],
      "routes":[{"dst":"0.0.0.0/0"},{"dst":"::/0"}]},
      "runtimeConfig":{"ips":["192.0.2.9/24","2001:db8:1::15/64"]}})",
                            env);
  ASSERT_TRUE(c) << c.error().msg;
  ASSERT_EQ(c->ranges.size(), 2u);
  EXPECT_EQ(c->ranges[0].subnet.str(), "192.0.2.0/24");
  EXPECT_EQ(c->ranges[1].subnet.str(), "2001:db8:1::/64");
  EXPECT_EQ(c->ranges[1].range_start->str(), "2001:db8:1::10");
  EXPECT_FALSE(c->ranges[1].gateway);
  ASSERT_EQ(c->ips.size(), 2u);
  EXPECT_EQ(c->ips[1].str(), "2001:db8:1::15");
  // Two addresses of one family cannot both be the attachment's.
  auto two = mc::parse_config(R"({"cniVersion":"1.0.0","name":"n",
      "runtimeConfig":{"ips":["192.0.2.9","192.0.2.10"]}})",
                              env);
  ASSERT_FALSE(two);
  EXPECT_EQ(two.error().code, mc::Code::unsupported_field);
  EXPECT_NE(two.error().msg.find("192.0.2.10"), std::string::npos) << two.error().msg;
}

TEST(CniConfig, RoutesBeyondTheDefault) {
  auto env = env_of(add_env());
  auto c = mc::parse_config(R"({"cniVersion":"1.0.0","name":"n","ipam":{
      "ranges":[[{"subnet":"192.0.2.0/24"}],[{"subnet":"2001:db8::/64"}]],
      "routes":[{"dst":"0.0.0.0/0"},{"dst":"198.51.100.0/24","gw":"192.0.2.254"},
                {"dst":"203.0.113.0/24"},{"dst":"2001:db8:5::/48"}]}})",
                            env);
  ASSERT_TRUE(c) << c.error().msg;
  ASSERT_EQ(c->routes.size(), 4u);
  EXPECT_EQ(c->routes[1].dst.str(), "198.51.100.0/24");
  EXPECT_EQ(c->routes[1].gw->str(), "192.0.2.254");
  EXPECT_FALSE(c->routes[2].gw);
  auto mixed = mc::parse_config(R"({"cniVersion":"1.0.0","name":"n","ipam":{
      "routes":[{"dst":"198.51.100.0/24","gw":"2001:db8::1"}]}})",
                                env);
  ASSERT_FALSE(mixed);
  EXPECT_EQ(mixed.error().code, mc::Code::invalid_config);
  EXPECT_NE(mixed.error().msg.find("different address families"), std::string::npos);
  auto host_bits = mc::parse_config(R"({"cniVersion":"1.0.0","name":"n","ipam":{
      "routes":[{"dst":"198.51.100.7/24"}]}})",
                                    env);
  ASSERT_FALSE(host_bits);
  EXPECT_EQ(host_bits.error().code, mc::Code::invalid_config);
  EXPECT_NE(host_bits.error().msg.find("198.51.100.0/24"), std::string::npos);
  // A route of a family no range has could lead nowhere.
  auto v6_only_route = mc::parse_config(R"({"cniVersion":"1.0.0","name":"n","ipam":{
      "ranges":[[{"subnet":"192.0.2.0/24"}]],"routes":[{"dst":"2001:db8:5::/48"}]}})",
                                        env);
  ASSERT_FALSE(v6_only_route);
  EXPECT_EQ(v6_only_route.error().code, mc::Code::invalid_config);
  // A default route of a family no range has asks for nothing an attachment lacks.
  auto v6_default = mc::parse_config(R"({"cniVersion":"1.0.0","name":"n","ipam":{
      "ranges":[[{"subnet":"192.0.2.0/24"}]],"routes":[{"dst":"0.0.0.0/0"},{"dst":"::/0"}]}})",
                                     env);
  EXPECT_TRUE(v6_default) << v6_default.error().msg;
}

TEST(CniConfig, BandwidthDirectionsAreIndependent) {
  auto env = env_of(add_env());
  auto c = mc::parse_config(R"({"cniVersion":"1.0.0","name":"n","runtimeConfig":{
      "bandwidth":{"ingressRate":2000000,"egressRate":8000000,"egressBurst":800000}}})",
                            env);
  ASSERT_TRUE(c) << c.error().msg;
  EXPECT_EQ(c->bandwidth.ingress_rate, 2000000u);
  EXPECT_EQ(c->bandwidth.ingress_burst, 0u);
  EXPECT_EQ(c->bandwidth.egress_rate, 8000000u);
  EXPECT_EQ(c->bandwidth.egress_burst, 800000u);
  auto egress_only = mc::parse_config(
      R"({"cniVersion":"1.0.0","name":"n","runtimeConfig":{"bandwidth":{"egressRate":1000}}})",
      env);
  ASSERT_TRUE(egress_only);
  EXPECT_FALSE(egress_only->bandwidth.empty());
  EXPECT_EQ(egress_only->bandwidth.ingress_rate, 0u);
}

TEST(CniConfig, CapabilityKeysAreCaseInsensitive) {
  auto env = env_of(add_env());
  auto c = mc::parse_config(R"({"cniVersion":"1.0.0","name":"n","runtimeConfig":{
      "PortMappings":[{"HostPort":53,"ContainerPort":5353,"Protocol":"UDP","HostIP":"127.0.0.1"}],
      "Bandwidth":{"IngressRate":1000000,"IngressBurst":4294967295},
      "IPs":["10.0.0.5/24","10.0.0.5"],"MAC":"02:42:AC:11:00:02"}})",
                            env);
  ASSERT_TRUE(c) << c.error().msg;
  ASSERT_EQ(c->port_mappings.size(), 1u);
  EXPECT_EQ(c->port_mappings[0].protocol, contain::Protocol::udp);
  EXPECT_EQ(c->port_mappings[0].host_ip->str(), "127.0.0.1");
  EXPECT_EQ(c->bandwidth.ingress_rate, 1000000u);
  EXPECT_EQ(c->bandwidth.ingress_burst, 4294967295u);
  ASSERT_EQ(c->ips.size(), 1u);  // podman's reload repeats the address
  EXPECT_EQ(c->ips[0].str(), "10.0.0.5");
  EXPECT_EQ(c->mac, "02:42:ac:11:00:02");
}

TEST(CniConfig, DuplicatePortMappingsCountOnce) {
  auto c = mc::parse_config(R"({"cniVersion":"1.0.0","name":"n","runtimeConfig":{"portMappings":[
      {"hostPort":8080,"containerPort":80},{"hostPort":8080,"containerPort":80,"protocol":"tcp"}]}})",
                            env_of(add_env()));
  ASSERT_TRUE(c) << c.error().msg;
  EXPECT_EQ(c->port_mappings.size(), 1u);
}

TEST(CniConfig, AddressesFromArgs) {
  auto f = add_env();
  f.vars["CNI_ARGS"] = "IP=10.0.0.9;MAC=02:00:00:00:00:09";
  auto c = mc::parse_config(R"({"cniVersion":"1.0.0","name":"n"})", env_of(f));
  ASSERT_TRUE(c) << c.error().msg;
  EXPECT_EQ(c->ips.at(0).str(), "10.0.0.9");
  EXPECT_EQ(c->mac, "02:00:00:00:00:09");
  auto cni_ips =
      mc::parse_config(R"({"cniVersion":"1.0.0","name":"n","args":{"cni":{"ips":["10.0.0.8"]}}})",
                       env_of(add_env()));
  EXPECT_EQ(cni_ips->ips.at(0).str(), "10.0.0.8");
  auto two = mc::parse_config(R"({"cniVersion":"1.0.0","name":"n","runtimeConfig":{"ips":
      ["10.0.0.8","10.0.0.9"]}})",
                              env_of(add_env()));
  EXPECT_EQ(two.error().code, mc::Code::unsupported_field);
}

TEST(CniConfig, UnknownArgsNeedIgnoreUnknown) {
  auto f = add_env();
  f.vars["CNI_ARGS"] = "FOO=bar";
  auto c = mc::parse_config(R"({"cniVersion":"1.0.0","name":"n"})", env_of(f));
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().code, mc::Code::unsupported_field);
  EXPECT_NE(c.error().msg.find("FOO"), std::string::npos);
  f.vars["CNI_ARGS"] = "IgnoreUnknown=true;FOO=bar";
  EXPECT_TRUE(mc::parse_config(R"({"cniVersion":"1.0.0","name":"n"})", env_of(f)));
}

TEST(CniConfig, PrevResultOnAddIsRefusedElsewhereKept) {
  const char* text = R"({"cniVersion":"1.0.0","name":"n","prevResult":{"ips":[]}})";
  auto add = mc::parse_config(text, env_of(add_env()));
  ASSERT_FALSE(add);
  EXPECT_EQ(add.error().code, mc::Code::invalid_config);
  auto del = env_of(add_env());
  del.command = mc::Command::del;
  auto c = mc::parse_config(text, del);
  ASSERT_TRUE(c);
  EXPECT_TRUE(c->has_prev_result);
}

TEST(CniConfig, GcAttachmentsBothKeys) {
  FakeEnv f{{{"CNI_COMMAND", "GC"}}};
  auto env = env_of(f);
  auto c = mc::parse_config(R"({"cniVersion":"1.1.0","name":"n",
      "cni.dev/valid-attachments":[{"containerID":"a","ifname":"eth0"}],
      "cni.dev/attachments":[{"containerID":"b","ifname":"eth1"}]})",
                            env);
  ASSERT_TRUE(c) << c.error().msg;
  ASSERT_EQ(c->valid_attachments.size(), 2u);
  EXPECT_EQ(c->valid_attachments[1], (std::pair<std::string, std::string>{"b", "eth1"}));
}

TEST(CniResult, VersionFields) {
  mc::AddResult r;
  r.interfaces = {{"cn-web", "aa:aa:aa:aa:aa:aa", "", 0},
                  {"vc0123", "bb:bb:bb:bb:bb:bb", "", 0},
                  {"eth0", "cc:cc:cc:cc:cc:cc", "/run/netns/x", 1500}};
  r.ips = {{contain::Cidr::parse("10.89.0.2/24").value(),
            contain::IpAddress::parse("10.89.0.1").value(), 2}};
  r.routes = {
      {contain::Cidr::parse("0.0.0.0/0").value(), contain::IpAddress::parse("10.89.0.1").value()}};
  r.dns.nameservers = {"10.89.0.1"};
  json old = mc::encode_result(r, "0.4.0");
  EXPECT_EQ(old["cniVersion"], "0.4.0");
  EXPECT_EQ(old["ips"][0]["version"], "4");
  EXPECT_FALSE(old["interfaces"][2].contains("mtu"));
  json v1 = mc::encode_result(r, "1.0.0");
  EXPECT_FALSE(v1["ips"][0].contains("version"));
  EXPECT_EQ(v1["ips"][0]["address"], "10.89.0.2/24");
  EXPECT_EQ(v1["ips"][0]["gateway"], "10.89.0.1");
  EXPECT_EQ(v1["ips"][0]["interface"], 2);
  EXPECT_EQ(v1["interfaces"][2]["sandbox"], "/run/netns/x");
  EXPECT_FALSE(v1["interfaces"][0].contains("sandbox"));
  EXPECT_EQ(v1["routes"][0]["dst"], "0.0.0.0/0");
  EXPECT_EQ(v1["dns"]["nameservers"][0], "10.89.0.1");
  json v11 = mc::encode_result(r, "1.1.0");
  EXPECT_EQ(v11["interfaces"][2]["mtu"], 1500);
}

TEST(CniResult, DualStackIpsAndRoutes) {
  mc::AddResult r;
  r.interfaces = {{"eth0", "cc:cc:cc:cc:cc:cc", "/run/netns/x", 0}};
  r.ips = {{contain::Cidr::parse("192.0.2.2/24").value(),
            contain::IpAddress::parse("192.0.2.1").value(), 0},
           {contain::Cidr::parse("2001:db8::2/64").value(),
            contain::IpAddress::parse("2001:db8::1").value(), 0}};
  r.routes = {
      {contain::Cidr::parse("::/0").value(), contain::IpAddress::parse("2001:db8::1").value()},
      {contain::Cidr::parse("198.51.100.0/24").value(),
       contain::IpAddress::parse("192.0.2.1").value()}};
  json old = mc::encode_result(r, "0.3.1");
  EXPECT_EQ(old["ips"][0]["version"], "4");
  EXPECT_EQ(old["ips"][1]["version"], "6");
  EXPECT_EQ(old["ips"][1]["address"], "2001:db8::2/64");
  EXPECT_EQ(old["ips"][1]["gateway"], "2001:db8::1");
  json v1 = mc::encode_result(r, "1.0.0");
  EXPECT_FALSE(v1["ips"][1].contains("version"));
  EXPECT_EQ(v1["routes"][0]["dst"], "::/0");
  EXPECT_EQ(v1["routes"][1]["dst"], "198.51.100.0/24");
  EXPECT_EQ(v1["routes"][1]["gw"], "192.0.2.1");
}

TEST(CniResult, ErrorAndVersionInfo) {
  json e = mc::encode_error({mc::Code::unsupported_field, "msg", "details"}, "0.4.0");
  EXPECT_EQ(e["cniVersion"], "0.4.0");
  EXPECT_EQ(e["code"], 2);
  EXPECT_EQ(e["msg"], "msg");
  EXPECT_EQ(e["details"], "details");
  json bad = mc::encode_error({mc::Code::decode, "m", ""}, "9.9.9");
  EXPECT_EQ(bad["cniVersion"], "1.1.0");
  EXPECT_FALSE(bad.contains("details"));
  json v = mc::encode_version_info();
  EXPECT_EQ(v["supportedVersions"], json::array({"0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"}));
  // The early answer (before any library is initialised) is the same text.
  EXPECT_EQ(contain::model::json_text(v) + "\n", mc::kVersionInfoText);
  EXPECT_EQ(mc::request_version(R"({"cniVersion":"0.3.1"})"), "0.3.1");
  EXPECT_EQ(mc::request_version("garbage"), "1.1.0");
}

TEST(CniModel, BurstClamp) {
  // Kubernetes' "unlimited" burst is clamped to a tenth of a second at the rate.
  EXPECT_EQ(mc::burst_bytes(100'000'000, 4294967295u), 1'250'000u);
  EXPECT_EQ(mc::burst_bytes(1'000'000, 0), 32u * 1024);
  EXPECT_EQ(mc::burst_bytes(100'000'000, 80'000), 10'000u);
  EXPECT_EQ(mc::burst_bytes(100'000'000, 8), 1500u);
}

TEST(CniModel, OwnerAndMac) {
  EXPECT_EQ(mc::attachment_owner("abc", "eth0"), "cni/abc/eth0");
  EXPECT_EQ(mc::parse_mac("02-AA-bb-cc-dd-ee", "x").value(), "02:aa:bb:cc:dd:ee");
  EXPECT_FALSE(mc::parse_mac("01:00:5e:00:00:01", "x"));  // multicast
  EXPECT_FALSE(mc::parse_mac("02:aa:bb:cc:dd", "x"));
  EXPECT_EQ(mc::compare_versions("0.4.0", "1.0.0"), -1);
  EXPECT_EQ(mc::compare_versions("1.1.0", "1.0.0"), 1);
}

TEST(CniModel, ConflistParsesBack) {
  json list = mc::network_conflist("web", contain::Cidr::parse("10.9.0.0/24").value(),
                                   contain::IpAddress::parse("10.9.0.1").value(), true);
  EXPECT_EQ(list["name"], "web");
  json plugin = list["plugins"][0];
  plugin["cniVersion"] = list["cniVersion"];
  plugin["name"] = list["name"];
  auto c = mc::parse_config(plugin.dump(), env_of(add_env()));
  ASSERT_TRUE(c) << c.error().msg;
  EXPECT_EQ(c->ranges.at(0).subnet.str(), "10.9.0.0/24");
  EXPECT_EQ(c->ranges.at(0).gateway->str(), "10.9.0.1");
  EXPECT_TRUE(c->ip_masq);
  EXPECT_EQ(c->routes.at(0).dst.str(), "0.0.0.0/0");
  // With an address range: rangeStart and rangeEnd, read back.
  list = mc::network_conflist("web", contain::Cidr::parse("10.9.0.0/24").value(),
                              contain::IpAddress::parse("10.9.0.1").value(), true,
                              std::pair{contain::IpAddress::parse("10.9.0.100").value(),
                                        contain::IpAddress::parse("10.9.0.199").value()});
  plugin = list["plugins"][0];
  plugin["cniVersion"] = list["cniVersion"];
  plugin["name"] = list["name"];
  c = mc::parse_config(plugin.dump(), env_of(add_env()));
  ASSERT_TRUE(c) << c.error().msg;
  EXPECT_EQ(c->ranges.at(0).range_start->str(), "10.9.0.100");
  EXPECT_EQ(c->ranges.at(0).range_end->str(), "10.9.0.199");
  // Dual stack: the second subnet as a second range, a default route of each family.
  list = mc::network_conflist("web", contain::Cidr::parse("10.9.0.0/24").value(),
                              contain::IpAddress::parse("10.9.0.1").value(), true, std::nullopt, 0,
                              {{contain::Cidr::parse("2001:db8:9::/64").value(),
                                contain::IpAddress::parse("2001:db8:9::fe").value(),
                                std::pair{contain::IpAddress::parse("2001:db8:9::100").value(),
                                          contain::IpAddress::parse("2001:db8:9::1ff").value()}}});
  plugin = list["plugins"][0];
  plugin["cniVersion"] = list["cniVersion"];
  plugin["name"] = list["name"];
  c = mc::parse_config(plugin.dump(), env_of(add_env()));
  ASSERT_TRUE(c) << c.error().msg;
  ASSERT_EQ(c->ranges.size(), 2u);
  EXPECT_EQ(c->ranges.at(1).subnet.str(), "2001:db8:9::/64");
  EXPECT_EQ(c->ranges.at(1).gateway->str(), "2001:db8:9::fe");
  EXPECT_EQ(c->ranges.at(1).range_start->str(), "2001:db8:9::100");
  ASSERT_EQ(c->routes.size(), 2u);
  EXPECT_EQ(c->routes.at(1).dst.str(), "::/0");
}

// A long value shown in an error is cut before a character, never inside one,
// and every JSON contain writes survives bytes that are not UTF-8 (a CI fuzz
// run aborted in nlohmann's dump() on such a message).
TEST(CniErrors, LongValuesAreCutBetweenCharacters) {
  std::string value = "a";
  for (int i = 0; i < 60; ++i) value += "\xc3\xa9";  // é
  json config = {{"cniVersion", "1.0.0"}, {"name", "n"}, {"type", "contain"}, {"mtu", value}};
  auto parsed = mc::parse_config(config.dump(), env_of(add_env()));
  ASSERT_FALSE(parsed.has_value());
  EXPECT_NE(parsed.error().msg.find("..."), std::string::npos) << parsed.error().msg;
  std::string text = mc::encode_error(parsed.error(), "1.0.0").dump();  // throws if not UTF-8
  EXPECT_EQ(text.find("\xef\xbf\xbd"), std::string::npos) << text;
}

TEST(JsonText, InvalidBytesBecomeReplacementCharacters) {
  json record = {{"command", std::vector<std::string>{"sleep", "\xff"}}};
  EXPECT_THROW((void)record.dump(), json::type_error);
  EXPECT_EQ(contain::model::json_text(record), "{\"command\":[\"sleep\",\"\xef\xbf\xbd\"]}");
}
