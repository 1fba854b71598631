// Config parsing (defaults, overrides, refusals naming the key) and the Prometheus rendering.
#include <gtest/gtest.h>

#include "node/server/node.hpp"

namespace efaas::node {
namespace {

TEST(NodeConfig, ParsesOverridesAndRefusesBadKeys) {
  auto c = parse_config(nlohmann::json::parse(R"({
    "listen_port": 0, "process_window": 12, "finality_depth": 3, "max_gas": "0x100",
    "sender_rate": {"rate": 2, "burst": 4}, "serve": ["0x01"], "reputation_half_life_s": 60, "ban_s": 5})"));
  ASSERT_TRUE(c.is_ok()) << c.status().to_string();
  EXPECT_EQ(c->listen_port, 0);
  EXPECT_EQ(c->chain.process_window, 12u);
  EXPECT_EQ(c->chain.finality_depth, 3u);
  EXPECT_EQ(c->admission.max_gas.low_u64(), 256u);
  EXPECT_EQ(c->admission.per_sender.rate, 2);
  EXPECT_EQ(c->admission.per_sender.burst, 4);
  EXPECT_EQ(c->reputation.half_life_ms, 60000);
  EXPECT_EQ(c->reputation.ban_ms, 5000);
  EXPECT_EQ(c->operation_pool.capacity, NodeConfig{}.operation_pool.capacity);  // default kept
  // Round trip through the printed form.
  auto again = parse_config(config_to_json(*c));
  ASSERT_TRUE(again.is_ok()) << again.status().to_string();
  EXPECT_EQ(config_to_json(*again), config_to_json(*c));

  auto message = [](const char* text) { return parse_config(nlohmann::json::parse(text)).status().message(); };
  EXPECT_NE(message(R"({"procss_window": 3})").find("unknown key 'procss_window'"), std::string::npos);
  EXPECT_NE(message(R"({"process_window": "x"})").find("config.process_window"), std::string::npos);
  EXPECT_NE(message(R"({"process_window": 0})").find("config.process_window"), std::string::npos);
  EXPECT_NE(message(R"({"peer_rate": {"rate": 0, "burst": 1}})").find("config.peer_rate"), std::string::npos);
  EXPECT_NE(message(R"({"max_gas": "12x"})").find("config.max_gas"), std::string::npos);
  EXPECT_NE(message(R"({"poll_ms": 1})").find("config.poll_ms"), std::string::npos);
  EXPECT_FALSE(parse_config(nlohmann::json::array()).is_ok());
}

TEST(NodeMetrics, RendersPrometheusText) {
  Metrics m;
  m.describe("efaas_x_total", "counter", "things");
  m.inc("efaas_x_total", "a");
  m.inc("efaas_x_total", "a", 2);
  m.inc("efaas_x_total", "b");
  m.set("efaas_g", 7);
  EXPECT_EQ(m.get("efaas_x_total", "a"), 3);
  std::string text = m.render();
  EXPECT_NE(text.find("# TYPE efaas_x_total counter\n"), std::string::npos);
  EXPECT_NE(text.find("efaas_x_total{reason=\"a\"} 3\n"), std::string::npos);
  EXPECT_NE(text.find("efaas_x_total{reason=\"b\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("efaas_g 7\n"), std::string::npos);
}

}  // namespace
}  // namespace efaas::node
