// create_model, the blob store and the store operations (list, cp, rm, prune) on temporary stores.
#include "store/create.h"

#include <sys/stat.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "base/sha256.h"
#include "gguf/writer.h"
#include "store/blob_store.h"
#include "store/modelfile.h"
#include "store/ops.h"
#include "testing/testing.h"

namespace corral::store {
namespace {
namespace fs = std::filesystem;

std::string gguf_bytes(int seed, uint32_t file_type = 7, const char* type = nullptr) {
  GgufWriter w;
  w.set("general.architecture", "llama");
  w.set("general.file_type", file_type);
  if (type) w.set("general.type", type);
  w.set("llama.context_length", uint32_t{2048});
  w.set("llama.embedding_length", uint32_t{64});
  w.set("llama.block_count", uint32_t{1});
  std::vector<std::byte> data(1024 * 1024, std::byte(static_cast<uint8_t>(seed)));
  EXPECT_TRUE(w.add_tensor("token_embd.weight", GgmlType::kF32, {1024, 256}, std::move(data)).ok());
  auto bytes = w.serialize();
  EXPECT_TRUE(bytes.ok());
  return std::string(reinterpret_cast<const char*>(bytes->data()), bytes->size());
}

void write(const fs::path& p, const std::string& bytes) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary | std::ios::trunc) << bytes;
}

std::string read(const fs::path& p) {
  return testing::read_file(p);
}

std::string sha(const std::string& s) {
  return "sha256:" + Sha256::hex_of(std::as_bytes(std::span(s.data(), s.size())));
}

class CreateTest : public ::testing::Test {
 protected:
  testing::TempDir dir_;
  Store store_{dir_.path() / "models"};
  fs::path src_ = dir_.path() / "src";

  Status create(const std::string& name, const std::string& modelfile, CreateOptions options = {}) {
    auto mf = parse_modelfile(modelfile);
    if (!mf.ok()) return std::move(mf).error();
    return create_model(store_, *ModelName::parse(name), *mf, src_, options);
  }
  Manifest manifest(const std::string& name) {
    auto m = open_model(store_, *ModelName::parse(name));
    EXPECT_TRUE(m.ok()) << m.error().to_string();
    return m.ok() ? m->stored.manifest : Manifest{};
  }
  ModelConfig config(const std::string& name) {
    Manifest m = manifest(name);
    auto c = parse_config(read(store_.blob_path(m.config.digest)), "config");
    EXPECT_TRUE(c.ok());
    return c.ok() ? *c : ModelConfig{};
  }
  size_t blob_count() {
    size_t n = 0;
    for (const auto& e : fs::directory_iterator(store_.blobs_dir()))
      n += is_blob_file_name(e.path().filename().string());
    return n;
  }
};

TEST_F(CreateTest, FromGgufFileFillsLayersAndConfigLikeOllama) {
  std::string g = gguf_bytes(1);
  write(src_ / "m.gguf", g);
  ASSERT_TRUE(create("mine",
                     "FROM ./m.gguf\nTEMPLATE \"{{ .Prompt }}\"\nSYSTEM be brief\nPARAMETER temperature 0.6\n"
                     "PARAMETER stop <|eot_id|>\nLICENSE MIT\nLICENSE Apache\nMESSAGE user hi\nREQUIRES 0.14.0\n")
                  .ok());
  Manifest m = manifest("mine");
  std::vector<std::string> types;
  for (const auto& l : m.layers) types.push_back(l.media_type);
  EXPECT_EQ(types,
            (std::vector<std::string>{std::string(kMediaModel), std::string(kMediaTemplate), std::string(kMediaSystem),
                                      std::string(kMediaLicense), std::string(kMediaLicense), std::string(kMediaParams),
                                      std::string(kMediaMessages)}));
  EXPECT_EQ(m.layers[0].digest, sha(g));
  EXPECT_EQ(m.layers[0].size, static_cast<int64_t>(g.size()));
  EXPECT_EQ(m.layers[0].from, store_.blob_path(sha(g)).string());  // Ollama records the blob path
  EXPECT_EQ(read(store_.blob_path(m.layers[1].digest)), "{{ .Prompt }}");
  EXPECT_EQ(read(store_.blob_path(m.layers[5].digest)),
            "{\"stop\":[\"\\u003c|eot_id|\\u003e\"],\"temperature\":0.6}\n");
  EXPECT_EQ(read(store_.blob_path(m.layers[6].digest)), "[{\"role\":\"user\",\"content\":\"hi\"}]\n");
  ModelConfig c = config("mine");
  EXPECT_EQ(c.model_format, "gguf");
  EXPECT_EQ(c.model_family, "llama");
  EXPECT_EQ(c.model_families, std::vector<std::string>{"llama"});
  EXPECT_EQ(c.model_type, "262K");  // 1024 x 256 parameters, Ollama's HumanNumber
  EXPECT_EQ(c.file_type, "Q8_0");
  EXPECT_EQ(c.requires_version, "0.14.0");
  ASSERT_EQ(c.diff_ids.size(), m.layers.size());
  for (size_t i = 0; i < m.layers.size(); ++i) EXPECT_EQ(c.diff_ids[i], m.layers[i].digest);
  // Every blob is named by the SHA-256 of its bytes.
  for (const auto& d : m.blob_digests()) EXPECT_EQ(sha(read(store_.blob_path(d))), d);
}

TEST_F(CreateTest, CopyAndHardLinkGiveTheSameBlob) {
  std::string g = gguf_bytes(2);
  write(src_ / "m.gguf", g);
  CreateOptions copy;
  copy.allow_hardlink = false;
  uint64_t last = 0;
  copy.progress = [&](uint64_t done, uint64_t total) {
    EXPECT_EQ(total, g.size());
    last = done;
  };
  ASSERT_TRUE(create("a", "FROM m.gguf", copy).ok());
  EXPECT_EQ(last, g.size());
  struct stat st {};
  ASSERT_EQ(::stat(store_.blob_path(sha(g)).c_str(), &st), 0);
  EXPECT_EQ(st.st_nlink, 1u);
  fs::remove(store_.blob_path(sha(g)));
  ASSERT_TRUE(create("b", "FROM m.gguf").ok());
  ASSERT_EQ(::stat(store_.blob_path(sha(g)).c_str(), &st), 0);
  EXPECT_EQ(st.st_nlink, 2u);  // linked, same filesystem
  EXPECT_EQ(sha(read(store_.blob_path(sha(g)))), sha(g));
}

TEST_F(CreateTest, GgufIsDetectedByMagicNotByName) {
  std::string g = gguf_bytes(3);
  write(src_ / ("sha256-" + std::string(64, '0')), g);
  write(src_ / "weights.bin", g);
  write(src_ / "dir" / "model-file", g);
  write(src_ / "dir" / "README.md", "# readme\n");
  ASSERT_TRUE(create("a", "FROM ./sha256-" + std::string(64, '0')).ok());
  ASSERT_TRUE(create("b", "FROM weights.bin").ok());
  ASSERT_TRUE(create("c", "FROM ./dir").ok());
  EXPECT_EQ(manifest("a").layers[0].digest, sha(g));
  EXPECT_EQ(manifest("c").layers[0].digest, sha(g));
  // A blob of the store itself, by absolute path (what `show --modelfile` prints).
  ASSERT_TRUE(create("d", "FROM " + store_.blob_path(sha(g)).string()).ok());
  EXPECT_EQ(manifest("d").layers[0].digest, sha(g));
  EXPECT_EQ(blob_count(), 2u);  // one GGUF and one config: the four models are identical
}

TEST_F(CreateTest, NonGgufFilesSayWhatTheyLookLike) {
  write(src_ / "model.gguf", "version https://git-lfs.github.com/spec/v1\noid sha256:abc\nsize 123\n");
  write(src_ / "page.gguf", "<!DOCTYPE html><html><body>Not found</body></html>");
  std::string g = gguf_bytes(4);
  write(src_ / "cut.gguf", g.substr(0, g.size() / 2));
  auto lfs = create("x", "FROM model.gguf");
  ASSERT_FALSE(lfs.ok());
  EXPECT_NE(lfs.error().to_string().find("LFS"), std::string::npos) << lfs.error().to_string();
  EXPECT_NE(lfs.error().to_string().find("line 1"), std::string::npos) << lfs.error().to_string();
  auto html = create("x", "FROM page.gguf");
  ASSERT_FALSE(html.ok());
  EXPECT_NE(html.error().to_string().find("HTML"), std::string::npos) << html.error().to_string();
  auto cut = create("x", "FROM cut.gguf");
  ASSERT_FALSE(cut.ok());
  EXPECT_NE(cut.error().to_string().find("truncated"), std::string::npos) << cut.error().to_string();
  fs::create_directories(src_ / "empty");
  write(src_ / "empty" / "notes.txt", "hello");
  auto none = create("x", "FROM ./empty");
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.error().to_string().find("no GGUF"), std::string::npos) << none.error().to_string();
  EXPECT_FALSE(fs::exists(store_.manifests_dir() / "registry.ollama.ai/library/x"));
}

TEST_F(CreateTest, FromExistingModelInheritsThenOverrides) {
  write(src_ / "m.gguf", gguf_bytes(5));
  ASSERT_TRUE(
      create("base", "FROM m.gguf\nSYSTEM old\nPARAMETER temperature 0.5\nPARAMETER top_k 20\nLICENSE L\n").ok());
  ASSERT_TRUE(create("child", "FROM Base\nSYSTEM new\nPARAMETER temperature 0.9\n").ok());
  Manifest base = manifest("base"), child = manifest("child");
  EXPECT_EQ(child.layers[0].digest, base.layers[0].digest);
  EXPECT_EQ(child.layers[0].from, "base:latest");
  const Layer* sys = child.find_layer(kMediaSystem);
  ASSERT_NE(sys, nullptr);
  EXPECT_EQ(read(store_.blob_path(sys->digest)), "new");
  EXPECT_NE(child.find_layer(kMediaLicense), nullptr);
  EXPECT_EQ(read(store_.blob_path(child.find_layer(kMediaParams)->digest)), "{\"temperature\":0.9,\"top_k\":20}\n");
  EXPECT_EQ(config("child").model_family, "llama");
  auto missing = create("x", "FROM nosuchmodel");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().to_string().find("not found"), std::string::npos);
}

TEST_F(CreateTest, ErrorsLeaveTheStoreAsItWas) {
  write(src_ / "m.gguf", gguf_bytes(6));
  ASSERT_TRUE(create("keep", "FROM m.gguf\nSYSTEM a").ok());
  std::string before = read(store_.manifest_path(*ModelName::parse("keep")));
  auto bad = create("keep", "FROM m.gguf\nTEMPLATE \"{{ .Prompt \"");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().to_string().find("template"), std::string::npos) << bad.error().to_string();
  EXPECT_EQ(read(store_.manifest_path(*ModelName::parse("keep"))), before);
  EXPECT_FALSE(create("keep", "FROM m.gguf\nPARAMETER nonsense 1").ok());
  EXPECT_EQ(read(store_.manifest_path(*ModelName::parse("keep"))), before);
  for (const auto& e : fs::directory_iterator(store_.blobs_dir()))
    EXPECT_TRUE(is_blob_file_name(e.path().filename().string())) << e.path();
}

TEST_F(CreateTest, RecreateDropsBlobsNothingUses) {
  write(src_ / "m1.gguf", gguf_bytes(7));
  write(src_ / "m2.gguf", gguf_bytes(8));
  ASSERT_TRUE(create("m", "FROM m1.gguf").ok());
  std::string old = manifest("m").layers[0].digest;
  ASSERT_TRUE(create("m", "FROM m2.gguf").ok());
  EXPECT_FALSE(fs::exists(store_.blob_path(old)));
  EXPECT_EQ(blob_count(), 2u);
}

TEST_F(CreateTest, ListCopyRemove) {
  write(src_ / "m.gguf", gguf_bytes(9));
  ASSERT_TRUE(create("one", "FROM m.gguf\nSYSTEM s1").ok());
  ASSERT_TRUE(create("me/two:q4", "FROM m.gguf\nSYSTEM s2").ok());
  ASSERT_TRUE(copy_model(store_, *ModelName::parse("ONE"), *ModelName::parse("three")).ok());
  auto rows = list_models(store_);
  ASSERT_EQ(rows.size(), 3u);
  std::map<std::string, ModelListing> by_name;
  for (auto& r : rows) by_name[r.name.display_shortest()] = r;
  ASSERT_TRUE(by_name.count("one:latest") && by_name.count("me/two:q4") && by_name.count("three:latest"));
  EXPECT_EQ(by_name["one:latest"].id, by_name["three:latest"].id);  // same manifest bytes
  EXPECT_NE(by_name["one:latest"].id, by_name["me/two:q4"].id);
  EXPECT_EQ(by_name["one:latest"].id, sha(read(by_name["one:latest"].manifest_path)).substr(7));
  for (auto& r : rows) EXPECT_TRUE(r.problem.empty()) << r.problem;
  EXPECT_GT(by_name["one:latest"].size, 1024 * 1024);

  size_t blobs = blob_count();  // gguf, s1, s2, 2 configs
  EXPECT_EQ(blobs, 5u);
  auto removed = remove_model(store_, *ModelName::parse("one"));
  ASSERT_TRUE(removed.ok());
  EXPECT_TRUE(removed->empty());  // three still uses everything
  removed = remove_model(store_, *ModelName::parse("three"));
  ASSERT_TRUE(removed.ok());
  EXPECT_EQ(removed->size(), 2u);  // its system and config; the GGUF is shared with me/two
  EXPECT_EQ(blob_count(), 3u);
  EXPECT_FALSE(remove_model(store_, *ModelName::parse("three")).ok());
  EXPECT_FALSE(fs::exists(store_.manifests_dir() / "registry.ollama.ai/library"));  // empty dirs removed
}

TEST_F(CreateTest, ListMarksBrokenModelsAndKeepsGoing) {
  write(src_ / "m.gguf", gguf_bytes(10));
  ASSERT_TRUE(create("good", "FROM m.gguf").ok());
  ASSERT_TRUE(create("nosys", "FROM m.gguf\nSYSTEM x").ok());
  ASSERT_TRUE(create("short", "FROM m.gguf\nSYSTEM yyyy").ok());
  write(store_.manifest_path(*ModelName::parse("bad")), "{not json");
  Manifest nosys = manifest("nosys"), shortm = manifest("short");
  fs::remove(store_.blob_path(nosys.find_layer(kMediaSystem)->digest));
  fs::resize_file(store_.blob_path(shortm.find_layer(kMediaSystem)->digest), 2);
  std::map<std::string, std::string> problems;
  for (const auto& r : list_models(store_)) problems[r.name.display_shortest()] = r.problem;
  ASSERT_EQ(problems.size(), 4u);
  EXPECT_EQ(problems["good:latest"], "");
  EXPECT_EQ(problems["nosys:latest"], "missing blob " + blob_file_name(nosys.find_layer(kMediaSystem)->digest));
  EXPECT_NE(problems["short:latest"].find("is 2 bytes, the manifest says 4"), std::string::npos)
      << problems["short:latest"];
  EXPECT_EQ(problems["bad:latest"], "manifest does not parse");
}

TEST_F(CreateTest, PruneRemovesUnreferencedAndStaleTemporaryFiles) {
  write(src_ / "m.gguf", gguf_bytes(11));
  ASSERT_TRUE(create("m", "FROM m.gguf").ok());
  auto orphan = write_blob(store_, "orphan");
  ASSERT_TRUE(orphan.ok());
  fs::path temp = store_.blobs_dir() / ".corral-tmp-abc";
  write(temp, "partial");
  fs::path young = store_.blobs_dir() / ".corral-tmp-young";
  write(young, "partial");
  auto old = fs::file_time_type::clock::now() - std::chrono::hours(2);
  fs::last_write_time(store_.blob_path(orphan->digest), old);
  fs::last_write_time(temp, old);
  auto result = prune(store_);
  ASSERT_TRUE(result.ok()) << result.error().to_string();
  EXPECT_EQ(result->removed.size(), 2u);
  EXPECT_FALSE(fs::exists(temp));
  EXPECT_FALSE(fs::exists(store_.blob_path(orphan->digest)));
  EXPECT_TRUE(fs::exists(young));  // within the grace period
  EXPECT_TRUE(list_models(store_)[0].problem.empty());
  // A manifest that does not parse stops prune: it might reference anything.
  write(store_.manifest_path(*ModelName::parse("bad")), "{");
  EXPECT_FALSE(prune(store_, std::chrono::seconds(0)).ok());
  EXPECT_TRUE(fs::exists(young));
}

TEST_F(CreateTest, WriteManifestRefusesMissingBlobs) {
  Manifest m;
  m.config = {std::string(kConfigMediaType), sha("x"), 1, "", ""};
  auto r = write_manifest(store_, *ModelName::parse("m"), m);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().to_string().find("missing"), std::string::npos);
  EXPECT_FALSE(store_.find(*ModelName::parse("m")).has_value());
}

TEST_F(CreateTest, ConcurrentCreatesAreSerialised) {
  write(src_ / "m.gguf", gguf_bytes(12));
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&, i] {
      CreateOptions copy;
      copy.allow_hardlink = false;
      if (create("m" + std::to_string(i % 2), "FROM m.gguf\nSYSTEM s" + std::to_string(i), copy).ok()) ++ok;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 4);
  for (const auto& r : list_models(store_)) EXPECT_TRUE(r.problem.empty()) << r.problem;
  for (const auto& e : fs::directory_iterator(store_.blobs_dir()))
    EXPECT_TRUE(is_blob_file_name(e.path().filename().string())) << e.path();
}

TEST(HumanTime, LikeOllama) {
  EXPECT_EQ(human_time_ago(0.5), "Less than a second ago");
  EXPECT_EQ(human_time_ago(1), "1 second ago");
  EXPECT_EQ(human_time_ago(59), "59 seconds ago");
  EXPECT_EQ(human_time_ago(61), "About a minute ago");
  EXPECT_EQ(human_time_ago(45 * 60), "45 minutes ago");
  EXPECT_EQ(human_time_ago(3600 + 60), "About an hour ago");
  EXPECT_EQ(human_time_ago(5 * 3600), "5 hours ago");
  EXPECT_EQ(human_time_ago(3 * 86400), "3 days ago");
  EXPECT_EQ(human_time_ago(21 * 86400), "3 weeks ago");
  EXPECT_EQ(human_time_ago(90 * 86400), "3 months ago");
  EXPECT_EQ(human_time_ago(3 * 365 * 86400.0), "3 years ago");
}

}  // namespace
}  // namespace corral::store
