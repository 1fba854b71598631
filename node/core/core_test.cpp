// node/core against contracts/vectors.json (produced by ethers, an independent implementation),
// plus tampering, malformed input and canonical-encoding round trips.
#include <gtest/gtest.h>

#include <fstream>

#include "node/core/eip712.hpp"
#include "node/core/encoding.hpp"
#include "prover/common/rng.hpp"

namespace efaas::node {
namespace {

nlohmann::json vectors() {
  std::ifstream in(std::string(EFAAS_SOURCE_DIR) + "/contracts/vectors.json");
  EXPECT_TRUE(in.good());
  return nlohmann::json::parse(in);
}

template <typename T>
T ok(Result<T> r) {
  EXPECT_TRUE(r.is_ok()) << r.status().to_string();
  return std::move(r).value();
}

Eip712Domain domain_of(const nlohmann::json& v) {
  return {v["chainId"].get<uint64_t>(), ok(parse_address(v["verifyingContract"].get<std::string>(), "vc"))};
}

Operation vector_operation(const nlohmann::json& v) {
  nlohmann::json j = v["operation"];
  j["sig"] = v["operationSignature"];
  return ok(operation_from_json(j));
}

TEST(NodeEip712, DomainAndTypeHashesMatchVectors) {
  auto v = vectors();
  EXPECT_EQ(hex0x(domain_separator(domain_of(v))), v["domainSeparator"]);
  EXPECT_EQ(hex0x(operation_type_hash()), v["typeHashes"]["Operation"]);
  EXPECT_EQ(hex0x(post_op_type_hash()), v["typeHashes"]["PostOp"]);
  EXPECT_EQ(hex0x(response_type_hash()), v["typeHashes"]["ProofVerificationResponse"]);
}

TEST(NodeEip712, OperationHashSignatureAndSenderMatchVectors) {
  auto v = vectors();
  Eip712Domain d = domain_of(v);
  Operation op = vector_operation(v);
  EXPECT_EQ(hex0x(operation_hash(d, op)), v["operationHash"]);
  EXPECT_EQ(address_to_string(ok(operation_sender(d, op))), v["user"]);

  // Our RFC 6979 signature is byte-identical to ethers'.
  PrivateKey user = ok(PrivateKey::from_hex(v["keys"]["user"].get<std::string>()));
  EXPECT_EQ(address_to_string(user.address()), v["user"]);
  Operation mine = op;
  sign_operation(d, user, mine);
  EXPECT_EQ(hex0x(mine.sig), v["operationSignature"]);
  EXPECT_EQ(max_fee_of(op).to_decimal(), "10000000000000000");
}

TEST(NodeEip712, TamperedOperationRecoversSomeoneElse) {
  auto v = vectors();
  Eip712Domain d = domain_of(v);
  const Operation op = vector_operation(v);
  const Address user = ok(operation_sender(d, op));
  auto changed = [&](auto mutate) {
    Operation t = op;
    mutate(t);
    auto s = operation_sender(d, t);
    return !s.is_ok() || *s != user;
  };
  EXPECT_TRUE(changed([](Operation& t) { t.extension_id[0] ^= 1; }));
  EXPECT_TRUE(changed([](Operation& t) { t.to[19] ^= 1; }));
  EXPECT_TRUE(changed([](Operation& t) { t.gas.be[31] ^= 1; }));
  EXPECT_TRUE(changed([](Operation& t) { t.gas_management_data.push_back(0); }));
  EXPECT_TRUE(changed([](Operation& t) { t.data[0] ^= 1; }));
  EXPECT_TRUE(changed([](Operation& t) { t.block_hash[31] ^= 1; }));
  EXPECT_TRUE(changed([](Operation& t) { t.sig[3] ^= 1; }));
  // Another chain or contract: a different domain, a different signer.
  Eip712Domain other = d;
  other.chain_id = 1;
  auto s = operation_sender(other, op);
  EXPECT_TRUE(!s.is_ok() || *s != user);
}

TEST(NodeSecp256k1, RefusesMalformedAndHighSSignatures) {
  auto v = vectors();
  Eip712Domain d = domain_of(v);
  Operation op = vector_operation(v);
  Hash32 h = operation_hash(d, op);
  // High s: s' = n - s with v flipped is mathematically valid but refused (EIP-2).
  static const U256 n = ok(U256::parse("0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141", "n"));
  Bytes high = op.sig;
  int borrow = 0;
  for (int i = 31; i >= 0; --i) {
    int diff = int(n.be[i]) - int(op.sig[32 + i]) - borrow;
    borrow = diff < 0;
    high[32 + i] = uint8_t(diff + (borrow ? 256 : 0));
  }
  high[64] = op.sig[64] == 27 ? 28 : 27;
  auto r = recover_signer(h, high);
  ASSERT_FALSE(r.is_ok());
  EXPECT_NE(r.status().message().find("high s"), std::string::npos);

  Bytes bad_v = op.sig;
  bad_v[64] = 29;
  EXPECT_FALSE(recover_signer(h, bad_v).is_ok());
  Bytes low_v = op.sig;
  low_v[64] -= 27;  // 0/1 accepted
  EXPECT_EQ(ok(recover_signer(h, low_v)), ok(recover_signer(h, op.sig)));
  EXPECT_FALSE(recover_signer(h, Bytes(64, 1)).is_ok());
  Bytes zero_r = op.sig;
  std::fill(zero_r.begin(), zero_r.begin() + 32, 0);
  EXPECT_FALSE(recover_signer(h, zero_r).is_ok());
  EXPECT_FALSE(PrivateKey::from_bytes(Hash32{}).is_ok());
  EXPECT_FALSE(PrivateKey::from_bytes(n.be).is_ok());
}

TEST(NodeEip712, PostOpAndResponseMatchVectors) {
  auto v = vectors();
  Eip712Domain d = domain_of(v);
  PostOp p = ok(post_op_from_json(v["postOp"]));
  EXPECT_EQ(hex0x(post_op_hash(d, p)), v["postOpHash"]);

  ProofVerificationResponse r;
  r.request_id = ok(parse_hash32(v["response"]["requestId"].get<std::string>(), "requestId"));
  r.verdict = Verdict(v["response"]["verdict"].get<int>());
  r.diagnostics = v["response"]["diagnostics"];
  r.timestamp = std::stoull(v["response"]["timestamp"].get<std::string>());
  PrivateKey node0 = ok(PrivateKey::from_hex(v["keys"]["nodes"][0].get<std::string>()));
  sign_response(d, node0, r);
  EXPECT_EQ(address_to_string(r.responder_node_id), v["response"]["responderNodeId"]);
  EXPECT_EQ(hex0x(response_hash(d, r)), v["responseHash"]);
  EXPECT_EQ(hex0x(r.signature), v["responseSignature"]);
  EXPECT_TRUE(verify_response(d, r).is_ok());

  ProofVerificationResponse t = r;
  t.verdict = Verdict::kInvalid;
  EXPECT_FALSE(verify_response(d, t).is_ok());
  t = r;
  t.diagnostics += "!";
  EXPECT_FALSE(verify_response(d, t).is_ok());
  t = r;
  t.timestamp++;
  EXPECT_FALSE(verify_response(d, t).is_ok());

  for (size_t i = 0; i < v["election"]["nodes"].size(); ++i) {
    PrivateKey k = ok(PrivateKey::from_hex(v["keys"]["nodes"][i].get<std::string>()));
    EXPECT_EQ(address_to_string(k.address()), v["election"]["nodes"][i]["address"]);
  }
}

TEST(NodeBytes, HexAddressAndU256Parsing) {
  EXPECT_EQ(ok(U256::parse("1000000", "g")).to_quantity(), "0xf4240");
  EXPECT_EQ(ok(U256::parse("0xf4240", "g")).to_decimal(), "1000000");
  EXPECT_EQ(ok(U256::parse("0x0", "g")).to_quantity(), "0x0");
  std::string max = "115792089237316195423570985008687907853269984665640564039457584007913129639935";
  EXPECT_EQ(ok(U256::parse(max, "g")).to_decimal(), max);
  EXPECT_FALSE(U256::parse("115792089237316195423570985008687907853269984665640564039457584007913129639936", "g").is_ok());
  EXPECT_FALSE(U256::parse("0x1" + std::string(64, '0'), "g").is_ok());
  EXPECT_FALSE(U256::parse("12a", "g").is_ok());
  EXPECT_FALSE(U256::parse("", "g").is_ok());
  auto bad = parse_hex("0x12g4", "field.x");
  ASSERT_FALSE(bad.is_ok());
  EXPECT_NE(bad.status().message().find("field.x"), std::string::npos);
  EXPECT_NE(bad.status().message().find("position 4"), std::string::npos);
  EXPECT_FALSE(parse_hex("0x123", "x").is_ok());
  // EIP-55: the vectors' checksummed address parses; a wrong-case variant does not.
  EXPECT_TRUE(parse_address("0xA0Ee7Bda333840b54c7930b9E21f30eDc1e39097", "a").is_ok());
  EXPECT_TRUE(parse_address("0xa0ee7bda333840b54c7930b9e21f30edc1e39097", "a").is_ok());
  EXPECT_FALSE(parse_address("0xa0Ee7Bda333840b54c7930b9E21f30eDc1e39097", "a").is_ok());
  EXPECT_FALSE(parse_address("0xa0ee7bda333840b54c7930b9e21f30edc1e390", "a").is_ok());
}

Bytes random_bytes(Rng& rng, size_t max) {
  Bytes b(rng.uniform(max + 1));
  for (auto& x : b) x = uint8_t(rng.next_u32());
  return b;
}
template <size_t N>
void fill(Rng& rng, std::array<uint8_t, N>& a) {
  for (auto& x : a) x = uint8_t(rng.next_u32());
}

template <typename T, typename Decode>
void check_canonical(const T& value, Decode decode) {
  Bytes enc = encode(value);
  auto back = decode(enc);
  ASSERT_TRUE(back.is_ok()) << back.status().to_string();
  EXPECT_TRUE(*back == value);
  EXPECT_EQ(encode(*back), enc);
  // Every strict prefix and any trailing byte is refused.
  for (size_t cut = 0; cut < enc.size(); cut += 1 + enc.size() / 64) {
    EXPECT_FALSE(decode(std::span<const uint8_t>(enc.data(), cut)).is_ok()) << "prefix " << cut;
  }
  Bytes longer = enc;
  longer.push_back(0);
  EXPECT_FALSE(decode(longer).is_ok());
  Bytes bad_tag = enc;
  bad_tag[0] ^= 1;
  EXPECT_FALSE(decode(bad_tag).is_ok());
}

TEST(NodeEncoding, CanonicalRoundTripsAndRefusals) {
  Rng rng(test_seed("NodeEncoding"));
  for (int iter = 0; iter < 20; ++iter) {
    Operation op;
    fill(rng, op.extension_id);
    fill(rng, op.to);
    fill(rng, op.gas.be);
    op.gas_management_data = random_bytes(rng, 70);
    op.data = random_bytes(rng, 300);
    op.sig = random_bytes(rng, 65);
    fill(rng, op.block_hash);
    check_canonical(op, decode_operation);
    auto j = operation_from_json(to_json(op));
    if (op.sig.size() == 65) {
      ASSERT_TRUE(j.is_ok()) << j.status().to_string();
      EXPECT_TRUE(*j == op);
    } else {
      EXPECT_FALSE(j.is_ok());
    }

    PostOp p;
    fill(rng, p.operation_hash);
    fill(rng, p.extension_id);
    p.proof = random_bytes(rng, 500);
    p.data = random_bytes(rng, 100);
    fill(rng, p.processed_block_hash);
    check_canonical(p, decode_post_op);
    EXPECT_TRUE(*post_op_from_json(to_json(p)) == p);

    Proof pf;
    fill(rng, pf.extension_id);
    pf.inputs = random_bytes(rng, 40);
    pf.output = random_bytes(rng, 40);
    pf.proof_data = random_bytes(rng, 400);
    pf.metadata = "{\"system\":\"zkwasm-stark\"}";
    check_canonical(pf, decode_proof);

    ProofVerificationRequest rq;
    fill(rng, rq.request_id);
    fill(rng, rq.sender_node_id);
    fill(rng, rq.operation_id);
    rq.post_op = p;
    rq.timestamp = rng.next_u64();
    rq.metadata = "m";
    rq.request_hash = compute_request_hash(rq);
    check_canonical(rq, decode_request);
    ProofVerificationRequest tampered = rq;
    tampered.timestamp ^= 1;
    EXPECT_FALSE(decode_request(encode(tampered)).is_ok());

    ProofVerificationResponse rs;
    fill(rng, rs.request_id);
    fill(rng, rs.responder_node_id);
    rs.verdict = Verdict(1 + rng.uniform(3));
    rs.signature = random_bytes(rng, 65);
    rs.diagnostics = "diag";
    rs.timestamp = rng.next_u64();
    check_canonical(rs, decode_response);
    Bytes enc = encode(rs);
    enc[4 + 32 + 20] = 0;  // verdict byte: 0 is never valid
    EXPECT_FALSE(decode_response(enc).is_ok());
  }
}

TEST(NodeEncoding, JsonErrorsNameTheField) {
  auto v = vectors();
  nlohmann::json j = v["operation"];
  j["sig"] = v["operationSignature"];
  ASSERT_TRUE(operation_from_json(j).is_ok());
  auto message = [&](nlohmann::json bad) { return operation_from_json(bad).status().message(); };
  nlohmann::json bad = j;
  bad["extra"] = 1;
  EXPECT_NE(message(bad).find("unknown field 'extra'"), std::string::npos);
  bad = j;
  bad.erase("gas");
  EXPECT_NE(message(bad).find("missing field 'gas'"), std::string::npos);
  bad = j;
  bad["blockHash"] = "0x1234";
  EXPECT_NE(message(bad).find("operation.blockHash"), std::string::npos);
  bad = j;
  bad["gas"] = 5;
  EXPECT_NE(message(bad).find("operation.gas: expected a string"), std::string::npos);
  EXPECT_FALSE(operation_from_json(nlohmann::json::array()).is_ok());
}

}  // namespace
}  // namespace efaas::node
