// Manifest and config JSON: the bytes Ollama writes (field names, order, media types, digest
// forms, Go's escaping), and strict parsing with errors that name the file.
#include "store/manifest.h"

#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <regex>

#include "base/sha256.h"
#include "store/go_json.h"
#include "store/layout.h"
#include "testing/testing.h"

namespace corral::store {
namespace {

const std::string kA = "sha256:" + std::string(64, 'a');
const std::string kB = "sha256:" + std::string(64, 'b');
const std::string kC = "sha256:" + std::string(64, 'c');

Manifest sample() {
  Manifest m;
  m.config = {std::string(kConfigMediaType), kA, 485, "", ""};
  m.layers.push_back({std::string(kMediaModel), kB, 1321082688, "/root/.ollama/models/blobs/sha256-bbb", ""});
  m.layers.push_back({std::string(kMediaParams), kC, 96, "", ""});
  return m;
}

TEST(Manifest, ExactOllamaBytes) {
  // json.NewEncoder(f).Encode(Manifest{...}) in Ollama: compact, struct order, newline at the end.
  std::string want = R"({"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json",)"
                     R"("config":{"mediaType":"application/vnd.docker.container.image.v1+json","digest":")" +
                     kA + R"(","size":485},"layers":[{"mediaType":"application/vnd.ollama.image.model","digest":")" +
                     kB + R"(","size":1321082688,"from":"/root/.ollama/models/blobs/sha256-bbb"},)" +
                     R"({"mediaType":"application/vnd.ollama.image.params","digest":")" + kC + R"(","size":96}]})" +
                     "\n";
  EXPECT_EQ(serialize_manifest(sample()), want);
}

// The field names and their order in the example of ../shared/spec/ollama-reference.md §4.2.
TEST(Manifest, FieldOrderMatchesReferenceExample) {
  auto spec = std::filesystem::path(CORRAL_SOURCE_DIR) / ".." / "shared" / "spec" / "ollama-reference.md";
  CORRAL_REQUIRE_FIXTURE(spec);
  std::string doc = testing::read_file(spec);
  size_t at = doc.find("### 4.2 Manifest JSON");
  ASSERT_NE(at, std::string::npos);
  size_t begin = doc.find("```json", at);
  size_t end = doc.find("```", begin + 7);
  ASSERT_NE(begin, std::string::npos);
  std::string example = doc.substr(begin, end - begin);
  std::regex key(R"re("([A-Za-z]+)":)re");
  auto keys = [&](const std::string& text) {
    std::vector<std::string> out;
    for (auto it = std::sregex_iterator(text.begin(), text.end(), key); it != std::sregex_iterator(); ++it)
      out.push_back((*it)[1]);
    return out;
  };
  Manifest m = sample();
  m.layers.resize(1);
  m.layers[0].name = "model.gguf";
  EXPECT_EQ(keys(serialize_manifest(m)), keys(example));
  // Media types and the digest form the example uses.
  EXPECT_NE(example.find(std::string(kManifestMediaType)), std::string::npos);
  EXPECT_NE(example.find(std::string(kConfigMediaType)), std::string::npos);
  EXPECT_NE(example.find(std::string(kMediaModel)), std::string::npos);
  EXPECT_NE(example.find("\"digest\":\"sha256:"), std::string::npos);
}

TEST(Manifest, RoundTrip) {
  std::string bytes = serialize_manifest(sample());
  auto m = parse_manifest(bytes, "x");
  ASSERT_TRUE(m.ok()) << m.error().to_string();
  EXPECT_EQ(serialize_manifest(*m), bytes);
  EXPECT_EQ(m->total_size(), 485 + 1321082688 + 96);
  EXPECT_EQ(m->blob_digests(), (std::vector<std::string>{kA, kB, kC}));
  ASSERT_NE(m->find_layer(kMediaParams), nullptr);
  EXPECT_EQ(m->find_layer(kMediaParams)->digest, kC);
}

TEST(Manifest, DashDigestFormAndUpperCaseAreNormalised) {
  std::string bytes = serialize_manifest(sample());
  std::string dashed = std::regex_replace(bytes, std::regex("sha256:a{64}"), "sha256-" + std::string(64, 'A'));
  auto m = parse_manifest(dashed, "x");
  ASSERT_TRUE(m.ok()) << m.error().to_string();
  EXPECT_EQ(m->config.digest, kA);
}

TEST(Manifest, MalformedIsAnErrorNamingTheFile) {
  const std::string good = serialize_manifest(sample());
  std::vector<std::string> bad = {
      "",
      "{",
      "[]",
      R"({"schemaVersion":1,"config":{},"layers":[]})",
      R"({"schemaVersion":2,"layers":[]})",
      R"({"schemaVersion":2,"config":{"mediaType":"x","digest":"sha256:1","size":1},"layers":[]})",
      R"({"schemaVersion":2,"config":{"mediaType":"x","digest":")" + kA + R"(","size":-1},"layers":[]})",
      R"({"schemaVersion":2,"config":{"mediaType":"x","digest":")" + kA + R"(","size":1},"layers":{}})",
      R"({"schemaVersion":2,"config":{"mediaType":"x","digest":")" + kA + R"(","size":1},"layers":[{"digest":")" + kB +
          R"(","size":1}]})",
      good.substr(0, good.size() / 2),
  };
  for (const auto& b : bad) {
    auto m = parse_manifest(b, "/store/manifests/h/n/m/t");
    ASSERT_FALSE(m.ok()) << b;
    EXPECT_NE(m.error().to_string().find("/store/manifests/h/n/m/t"), std::string::npos) << m.error().to_string();
  }
}

TEST(Manifest, IdIsSha256OfTheFileBytes) {
  testing::TempDir dir;
  std::string bytes = serialize_manifest(sample());
  std::filesystem::path p = dir / "latest";
  { std::ofstream(p, std::ios::binary) << bytes; }
  auto stored = read_manifest(p);
  ASSERT_TRUE(stored.ok()) << stored.error().to_string();
  EXPECT_EQ(stored->id, Sha256::hex_of(std::as_bytes(std::span(bytes.data(), bytes.size()))));
  EXPECT_EQ(stored->id.size(), 64u);
}

TEST(Config, OllamaFieldOrderAndOmitEmpty) {
  ModelConfig c;
  c.model_format = "gguf";
  c.model_family = "llama";
  c.model_families = {"llama"};
  c.model_type = "1.2B";
  c.file_type = "Q4_K_M";
  c.diff_ids = {kB, kC};
  std::string want = R"({"model_format":"gguf","model_family":"llama","model_families":["llama"],)"
                     R"("model_type":"1.2B","file_type":"Q4_K_M","architecture":"amd64","os":"linux",)"
                     R"("rootfs":{"type":"layers","diff_ids":[")" +
                     kB + "\",\"" + kC + "\"]}}\n";
  EXPECT_EQ(serialize_config(c), want);
  c.requires_version = "0.14.0";
  c.renderer = "harmony";
  std::string with = serialize_config(c);
  EXPECT_NE(with.find(R"("file_type":"Q4_K_M","renderer":"harmony","requires":"0.14.0","architecture")"),
            std::string::npos)
      << with;
  auto back = parse_config(with, "cfg");
  ASSERT_TRUE(back.ok()) << back.error().to_string();
  EXPECT_EQ(serialize_config(*back), with);
}

TEST(Config, EmptyListsAreNullLikeNilGoSlices) {
  ModelConfig c;
  std::string s = serialize_config(c);
  EXPECT_NE(s.find(R"("model_families":null)"), std::string::npos) << s;
  EXPECT_NE(s.find(R"("diff_ids":null)"), std::string::npos) << s;
}

TEST(GoJson, EscapesLikeGo) {
  nlohmann::ordered_json j = {{"stop", {"<|eot_id|>", "a&b"}}, {"temperature", 0.6}, {"k", "\x01\b\f\n\r\t\"\\"}};
  EXPECT_EQ(go_json(j, {.sort_keys = true, .trailing_newline = true}),
            R"({"k":"\u0001\b\f\n\r\t\"\\","stop":["\u003c|eot_id|\u003e","a\u0026b"],"temperature":0.6})"
            "\n");
  EXPECT_EQ(go_json(nlohmann::ordered_json("\xe2\x80\xa8\xe2\x80\xa9\xff"), {.trailing_newline = false}),
            R"("\u2028\u2029\ufffd")");
  EXPECT_EQ(go_json(nlohmann::ordered_json("h\xc3\xa9llo \xf0\x9f\x98\x80"), {.trailing_newline = false}),
            "\"h\xc3\xa9llo \xf0\x9f\x98\x80\"");
}

TEST(GoJson, FloatsLikeGo) {
  auto f = [](double v, bool f32 = false) {
    return go_json(nlohmann::ordered_json(v), {.trailing_newline = false, .float32 = f32});
  };
  EXPECT_EQ(f(0.6), "0.6");
  EXPECT_EQ(f(1.0), "1");
  EXPECT_EQ(f(1e-7), "1e-7");
  EXPECT_EQ(f(1e21), "1e+21");
  EXPECT_EQ(f(123456789.0), "123456789");
  EXPECT_EQ(f(-0.000001), "-0.000001");
  // A float32 option value (Ollama's api.Options fields are float32) prints in float32's shortest form.
  EXPECT_EQ(f(static_cast<double>(0.7f), true), "0.7");
  EXPECT_EQ(f(static_cast<double>(0.7f), false), "0.699999988079071");
}

TEST(Digest, Forms) {
  auto d = parse_digest("sha256-" + std::string(64, 'F'));
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(*d, "sha256:" + std::string(64, 'f'));
  EXPECT_EQ(blob_file_name(*d), "sha256-" + std::string(64, 'f'));
  EXPECT_FALSE(parse_digest("sha256:" + std::string(63, 'f')).ok());
  EXPECT_FALSE(parse_digest("sha512:" + std::string(64, 'f')).ok());
  EXPECT_FALSE(parse_digest("sha256:" + std::string(63, 'f') + "/").ok());
  EXPECT_TRUE(is_blob_file_name("sha256-" + std::string(64, '0')));
  EXPECT_FALSE(is_blob_file_name("sha256-" + std::string(64, 'A')));
  EXPECT_FALSE(is_blob_file_name("sha256-" + std::string(64, '0') + "-partial"));
  EXPECT_FALSE(is_blob_file_name(".tmp-sha256-123"));
}

TEST(StoreLayout, RootFromEnvironment) {
  auto env = [](std::map<std::string, std::string> vars) {
    return Env([vars](const std::string& k) -> std::optional<std::string> {
      auto it = vars.find(k);
      if (it == vars.end()) return std::nullopt;
      return it->second;
    });
  };
  EXPECT_EQ(Store::from_env(env({{"CORRAL_MODELS", "/a"}, {"OLLAMA_MODELS", "/b"}, {"HOME", "/h"}}))->root(), "/a");
  EXPECT_EQ(Store::from_env(env({{"OLLAMA_MODELS", "/b"}, {"HOME", "/h"}}))->root(), "/b");
  EXPECT_EQ(Store::from_env(env({{"HOME", "/h"}}))->root(), "/h/.corral/models");
  EXPECT_FALSE(Store::from_env(env({})).ok());
}

TEST(StoreLayout, CaseInsensitiveLookupFindsOnDiskCasing) {
  testing::TempDir dir;
  Store store(dir.path());
  auto dir_path = store.manifests_dir() / "registry.ollama.ai" / "library" / "MyModel";
  std::filesystem::create_directories(dir_path);
  std::ofstream(dir_path / "Q4") << "{}";
  std::ofstream(dir_path / ".tmp-latest") << "{}";
  auto found = store.find(*ModelName::parse("mymodel:q4"));
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->model, "MyModel");
  EXPECT_EQ(found->tag, "Q4");
  EXPECT_EQ(store.manifest_path(*ModelName::parse("MYMODEL:q4")), dir_path / "Q4");
  EXPECT_FALSE(store.find(*ModelName::parse("mymodel:q5")).has_value());
  auto all = store.list_manifests();
  ASSERT_EQ(all.size(), 1u);  // the temporary file is not a model
  EXPECT_EQ(all[0].name.display_shortest(), "MyModel:Q4");
}

}  // namespace
}  // namespace corral::store
