// Test helper: builds small stores by hand (blobs named by their SHA-256, manifests in Ollama's
// exact form), independently of the store's own write path.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "base/sha256.h"
#include "gguf/writer.h"
#include "store/layout.h"
#include "store/manifest.h"
#include "store/name.h"

namespace corral::store::testing_util {

// A small valid GGUF; `seed` changes the tensor bytes (and so the digest).
inline std::string tiny_gguf(int seed = 1) {
  GgufWriter w;
  w.set("general.architecture", "llama");
  std::vector<std::byte> data(256 * 4, std::byte(static_cast<uint8_t>(seed)));
  EXPECT_TRUE(w.add_tensor("norm.weight", GgmlType::kF32, {256}, std::move(data)).ok());
  auto bytes = w.serialize();
  EXPECT_TRUE(bytes.ok());
  return std::string(reinterpret_cast<const char*>(bytes->data()), bytes->size());
}

// A llama-labelled GGUF holding one F32 token_embd.weight [ne0, ne1] whose bytes are all `fill`.
inline void write_f32_gguf(const std::filesystem::path& path, int64_t ne0, int64_t ne1, uint8_t fill) {
  GgufWriter w;
  w.set("general.architecture", "llama");
  std::vector<std::byte> data(static_cast<size_t>(ne0 * ne1 * 4), std::byte{fill});
  ASSERT_TRUE(w.add_tensor("token_embd.weight", GgmlType::kF32, {ne0, ne1}, std::move(data)).ok());
  ASSERT_TRUE(w.write_file(path).ok());
}

inline void write_bytes(const std::filesystem::path& path, const std::string& bytes) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

// Stores `bytes` as a blob and returns the layer describing it.
inline Layer put_blob(const Store& store, std::string_view media_type, const std::string& bytes) {
  std::string digest = "sha256:" + Sha256::hex_of(std::as_bytes(std::span(bytes.data(), bytes.size())));
  write_bytes(store.blob_path(digest), bytes);
  return Layer{std::string(media_type), digest, static_cast<int64_t>(bytes.size()), "", ""};
}

// A model with a config blob, a GGUF model layer and the given extra layers; returns the manifest
// path.
inline std::filesystem::path put_model(const Store& store, const std::string& name, const std::string& gguf,
                                       std::vector<Layer> extra = {}) {
  Manifest m;
  m.layers.push_back(put_blob(store, kMediaModel, gguf));
  for (auto& l : extra) m.layers.push_back(std::move(l));
  ModelConfig config;
  config.model_format = "gguf";
  config.model_family = "llama";
  for (const auto& l : m.layers) config.diff_ids.push_back(l.digest);
  Layer c = put_blob(store, kConfigMediaType, serialize_config(config));
  m.config = c;
  auto parsed = ModelName::parse(name);
  EXPECT_TRUE(parsed.ok()) << name;
  auto path = store.manifests_dir() / parsed->manifest_relative_path();
  write_bytes(path, serialize_manifest(m));
  return path;
}

}  // namespace corral::store::testing_util
