// Config parsing (defaults, overrides, refusals naming the key) and the Prometheus rendering.
#include <gtest/gtest.h>

#include "node/core/encoding.hpp"
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
  // Proving through the farm and the zkWASM verifier's bar.
  auto f = parse_config(nlohmann::json::parse(R"({"farm": "127.0.0.1:7300", "farm_api_key": "secret",
    "zkwasm_preset": "test", "prove_timeout_s": 30, "prove_retry_s": 2, "min_security_bits": 20})"));
  ASSERT_TRUE(f.is_ok()) << f.status().to_string();
  EXPECT_EQ(f->farm.target, "127.0.0.1:7300");
  EXPECT_EQ(f->farm.api_key, "secret");
  EXPECT_EQ(f->farm.preset, "test");
  EXPECT_EQ(f->farm.timeout_s, 30);
  EXPECT_EQ(f->prove_retry_s, 2);
  EXPECT_EQ(f->min_security_bits, 20);
  EXPECT_EQ(NodeConfig{}.min_security_bits, 100);  // production: zkWASM proofs need 100 bits by default
  EXPECT_EQ(config_to_json(*f).dump().find("secret"), std::string::npos);  // the key is never printed
  EXPECT_NE(message(R"({"zkwasm_preset": "fast"})").find("config.zkwasm_preset"), std::string::npos);
  EXPECT_NE(message(R"({"min_security_bits": -1})").find("config.min_security_bits"), std::string::npos);
  EXPECT_NE(message(R"({"prove_timeout_s": 0})").find("config.prove_timeout_s"), std::string::npos);
  EXPECT_NE(message(R"({"farm": 7300})").find("config.farm"), std::string::npos);
  // The Merkle hash zkWASM PostOps must be committed with: any by default, or one, which the
  // farm's preset must then prove with.
  EXPECT_FALSE(NodeConfig{}.merkle_hash.has_value());
  auto pinned = parse_config(nlohmann::json::parse(R"({"merkle_hash": "poseidon2"})"));
  ASSERT_TRUE(pinned.is_ok()) << pinned.status().to_string();
  EXPECT_EQ(pinned->merkle_hash, MerkleHash::kPoseidon2);
  EXPECT_EQ(config_to_json(*pinned)["merkle_hash"], "poseidon2");
  EXPECT_EQ(config_to_json(NodeConfig{})["merkle_hash"], "any");
  EXPECT_FALSE(parse_config(nlohmann::json::parse(R"({"merkle_hash": "any"})"), *pinned)->merkle_hash);
  auto with_farm = parse_config(nlohmann::json::parse(
      R"({"merkle_hash": "blake3", "farm": "127.0.0.1:7300", "zkwasm_preset": "production"})"));
  ASSERT_TRUE(with_farm.is_ok()) << with_farm.status().to_string();
  EXPECT_EQ(with_farm->merkle_hash, MerkleHash::kBlake3);
  EXPECT_NE(message(R"({"merkle_hash": "sha256"})").find("config.merkle_hash: 'sha256' is not any, poseidon2 or blake3"),
            std::string::npos);
  EXPECT_NE(message(R"({"merkle_hash": 1})").find("config.merkle_hash"), std::string::npos);
  const std::string clash = message(R"({"merkle_hash": "poseidon2", "farm": "127.0.0.1:7300"})");
  EXPECT_NE(clash.find("config.merkle_hash: poseidon2, but zkwasm_preset \"production\" proves with blake3"),
            std::string::npos) << clash;
  // validate_config() again after flags override the file (efaas-node's main).
  NodeConfig flags = *with_farm;
  flags.farm.preset = "production-poseidon2";
  EXPECT_NE(validate_config(flags).message().find("config.merkle_hash"), std::string::npos);
  flags.merkle_hash = MerkleHash::kPoseidon2;
  EXPECT_TRUE(validate_config(flags).is_ok());
  flags.poll_ms = 1;
  EXPECT_NE(validate_config(flags).message().find("config.poll_ms"), std::string::npos);
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

namespace efaas::node {
namespace {

TEST(NodePeer, PeerAuthRefusesForgedStaleAndReplayedMessages) {
  auto key = PrivateKey::from_hex("0x697c0e71d7c1ea9ebddee1cac0b562e8b5b254c94b54bd3b6f435bbca01054ba");
  ASSERT_TRUE(key.is_ok());
  const Bytes payload = {1, 2, 3};
  const int64_t now = 1'700'000'000'000;
  PeerAuthenticator auth(30000);
  PeerAuth a = sign_peer_message(*key, "operation", 1, payload, uint64_t(now));
  auto who = auth.check(a, "operation", 1, payload, now);
  ASSERT_TRUE(who.is_ok()) << who.status().to_string();
  EXPECT_EQ(*who, key->address());
  // The very same message again: a replay, refused while fresh.
  auto replay = auth.check(a, "operation", 1, payload, now + 10);
  ASSERT_FALSE(replay.is_ok());
  EXPECT_NE(replay.status().message().find("replayed"), std::string::npos);
  // A second message with the same content is fine (another nonce).
  EXPECT_TRUE(auth.check(sign_peer_message(*key, "operation", 1, payload, uint64_t(now)), "operation", 1, payload, now)
                  .is_ok());
  // Each signed field is bound: payload, kind, hops, timestamp; the sender is the signer.
  PeerAuth b = sign_peer_message(*key, "verdict", 1, payload, uint64_t(now));
  EXPECT_FALSE(auth.check(b, "verdict", 1, Bytes{1, 2, 4}, now).is_ok());
  EXPECT_FALSE(auth.check(b, "operation", 1, payload, now).is_ok());
  EXPECT_FALSE(auth.check(b, "verdict", 2, payload, now).is_ok());
  PeerAuth c = b;
  c.sender[5] ^= 1;  // claims another node
  auto forged = auth.check(c, "verdict", 1, payload, now);
  ASSERT_FALSE(forged.is_ok());
  EXPECT_NE(forged.status().message().find("signed by " + address_to_string(key->address())), std::string::npos);
  c = b;
  c.timestamp_ms += 1;
  EXPECT_FALSE(auth.check(c, "verdict", 1, payload, now).is_ok());
  // Outside the window: stale (and so a replay after the window is refused too).
  auto stale = auth.check(b, "verdict", 1, payload, now + 30001);
  ASSERT_FALSE(stale.is_ok());
  EXPECT_NE(stale.status().message().find("timestamp"), std::string::npos);
  EXPECT_TRUE(auth.check(b, "verdict", 1, payload, now + 30000).is_ok());
  c = b;
  c.signature.pop_back();
  EXPECT_FALSE(auth.check(c, "verdict", 1, payload, now).is_ok());
}

TEST(NodePeer, CapabilitySignatureAndLoopbackVerify) {
  auto key = PrivateKey::from_hex("0x697c0e71d7c1ea9ebddee1cac0b562e8b5b254c94b54bd3b6f435bbca01054ba");
  ASSERT_TRUE(key.is_ok());
  Capability c;
  c.chain_id = 1337;
  c.extensions = {Hash32{1}, Hash32{2}};
  c.proof_types = {"groth16"};
  c.max_proof_bytes = 1000;
  c.fee_schedule_json = "{}";
  c.timestamp = 5;
  sign_capability(*key, c);
  EXPECT_TRUE(verify_capability(c).is_ok());
  Capability t = c;
  t.extensions.pop_back();
  EXPECT_FALSE(verify_capability(t).is_ok());
  t = c;
  t.node[0] ^= 1;  // claims another identity
  EXPECT_FALSE(verify_capability(t).is_ok());

  // A real gRPC server on loopback: the handler's verdict travels back canonically; a refusal
  // travels as a status with its reason.
  PeerHandlers h;
  h.hello = [&] { return c; };
  std::vector<std::string> gossip_from;
  h.gossip_verdict = [&](const ProofVerificationResponse& v, const std::string& from, uint32_t) -> Result<Hash32> {
    gossip_from.push_back(from);
    return v.request_id;
  };
  h.verify = [&](const ProofVerificationRequest& rq, const std::string&) -> Result<ProofVerificationResponse> {
    if (rq.metadata == "refuse") return invalid_argument("stale_block: too old");
    ProofVerificationResponse r;
    r.request_id = rq.request_id;
    r.verdict = Verdict::kValid;
    r.diagnostics = "ok";
    sign_response(Eip712Domain{1337, {}}, *key, r);
    return r;
  };
  auto server = PeerServer::start("127.0.0.1", 0, h);
  ASSERT_TRUE(server.is_ok()) << server.status().to_string();
  const std::string target = "127.0.0.1:" + std::to_string((*server)->port());
  PeerClient client(target, *key);
  auto theirs = client.hello(c);
  ASSERT_TRUE(theirs.is_ok()) << theirs.status().to_string();
  EXPECT_EQ(theirs->node, key->address());
  EXPECT_FALSE(client.hello(t).is_ok());  // our forged advertisement is refused

  ProofVerificationRequest rq;
  rq.request_id[0] = 7;
  rq.sender_node_id = key->address();
  rq.request_hash = compute_request_hash(rq);
  auto v = client.verify(rq);
  ASSERT_TRUE(v.is_ok()) << v.status().to_string();
  EXPECT_EQ(v->verdict, Verdict::kValid);
  EXPECT_TRUE(verify_response(Eip712Domain{1337, {}}, *v).is_ok());
  rq.metadata = "refuse";
  rq.request_hash = compute_request_hash(rq);
  auto refused = client.verify(rq);
  ASSERT_FALSE(refused.is_ok());
  EXPECT_NE(refused.status().message().find("stale_block"), std::string::npos);
  rq.timestamp = 9;  // request hash no longer matches
  auto bad = client.verify(rq);
  ASSERT_FALSE(bad.is_ok());
  EXPECT_NE(bad.status().message().find("requestHash"), std::string::npos);
  // The request names another sender than the key that signs it: refused.
  rq.sender_node_id[0] ^= 1;
  rq.request_hash = compute_request_hash(rq);
  bad = client.verify(rq);
  ASSERT_FALSE(bad.is_ok());
  EXPECT_NE(bad.status().message().find("peer_auth"), std::string::npos) << bad.status().message();

  // Gossiped verdicts reach the handler with the authenticated sender; a client claiming another
  // node's identity is refused before any handler runs.
  ProofVerificationResponse gv;
  gv.request_id[0] = 9;
  gv.verdict = Verdict::kValid;
  sign_response(Eip712Domain{1337, {}}, *key, gv);
  ASSERT_TRUE(client.gossip_verdicts({gv, gv}, 1).is_ok());
  EXPECT_EQ(gossip_from, (std::vector<std::string>{address_to_string(key->address()), address_to_string(key->address())}));
  auto other = PrivateKey::from_hex("0x" + std::string(63, '0') + "5");
  ASSERT_TRUE(other.is_ok());
  PeerClient forger(target, *other, key->address());
  Status forged = forger.gossip_verdicts({gv}, 1);
  ASSERT_FALSE(forged.is_ok());
  EXPECT_NE(forged.message().find("peer_auth"), std::string::npos) << forged.message();
  EXPECT_NE(forged.message().find("signed by " + address_to_string(other->address())), std::string::npos);
  EXPECT_EQ(gossip_from.size(), 2u);
  PeerClient nobody("127.0.0.1:" + std::to_string(1), *key);
  EXPECT_FALSE(nobody.hello(c, 500).is_ok());
}

}  // namespace
}  // namespace efaas::node
