// `corral show FILE.gguf`: what a model file holds, in the shape of `ollama show`.
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <string>
#include <vector>

#include "cli/command.h"
#include "cli/gguf_json.h"
#include "gguf/file.h"
#include "gguf/model_info.h"

namespace corral::cli {
namespace {

constexpr size_t kMaxArrayShown = 8;

struct ShowOptions {
  std::string target;
  bool verbose = false;
  bool json = false;
};

std::string shape_text(const GgufTensor& t) {
  std::string out = "[";
  for (uint32_t d = 0; d < t.n_dims; ++d) out += fmt::format("{}{}", d ? ", " : "", t.ne[d]);
  return out + "]";
}

// Rows printed as an indented two-column table, like Ollama's.
void print_section(std::string_view title, const std::vector<std::pair<std::string, std::string>>& rows) {
  size_t width = 0;
  for (const auto& [k, v] : rows) width = std::max(width, k.size());
  fmt::print("  {}\n", title);
  for (const auto& [k, v] : rows) fmt::print("    {:<{}}    {}\n", k, width, v);
  fmt::print("\n");
}

std::vector<std::pair<std::string, std::string>> model_rows(const ModelInfo& info) {
  std::vector<std::pair<std::string, std::string>> rows;
  rows.emplace_back("architecture", info.architecture.empty() ? "unknown" : info.architecture);
  rows.emplace_back("parameters", info.parameter_size);
  if (info.context_length) rows.emplace_back("context length", std::to_string(*info.context_length));
  if (info.embedding_length) rows.emplace_back("embedding length", std::to_string(*info.embedding_length));
  rows.emplace_back("quantization", info.quantization);
  return rows;
}

void print_text(const GgufFile& file, const ModelInfo& info, bool verbose) {
  print_section("Model", model_rows(info));
  if (!verbose) return;
  std::vector<std::pair<std::string, std::string>> metadata;
  for (const auto& [key, value] : file.metadata().entries())
    metadata.emplace_back(key, value_to_text(value, kMaxArrayShown));
  print_section("Metadata", metadata);

  size_t name_w = 4, type_w = 4, shape_w = 5;
  for (const auto& t : file.tensors()) {
    name_w = std::max(name_w, t.name.size());
    type_w = std::max(type_w, ggml_type_name(t.type).size());
    shape_w = std::max(shape_w, shape_text(t).size());
  }
  fmt::print("  Tensors\n");
  fmt::print("    {:<{}}    {:<{}}    {:<{}}    {}\n", "NAME", name_w, "TYPE", type_w, "SHAPE", shape_w, "BYTES");
  for (const auto& t : file.tensors())
    fmt::print("    {:<{}}    {:<{}}    {:<{}}    {}\n", t.name, name_w, ggml_type_name(t.type), type_w, shape_text(t),
               shape_w, t.n_bytes);
  fmt::print("\n");
}

nlohmann::ordered_json to_json(const GgufFile& file, const ModelInfo& info, bool verbose) {
  using nlohmann::ordered_json;
  ordered_json j;
  j["file"] = file.display_name();
  j["size"] = file.file_size();
  j["gguf_version"] = file.version();
  j["alignment"] = file.alignment();
  j["data_offset"] = file.layout().data_offset;
  j["architecture"] = info.architecture;
  j["name"] = info.name;
  j["parameters"] = info.parameter_size;
  j["parameter_count"] = info.parameter_count;
  j["context_length"] = info.context_length ? ordered_json(*info.context_length) : ordered_json(nullptr);
  j["embedding_length"] = info.embedding_length ? ordered_json(*info.embedding_length) : ordered_json(nullptr);
  j["file_type"] = info.quantization;
  j["file_type_id"] = info.file_type_id ? ordered_json(*info.file_type_id) : ordered_json(nullptr);
  j["n_tensors"] = file.tensors().size();
  j["n_kv"] = file.metadata().size();
  ordered_json metadata = ordered_json::object();
  for (const auto& [key, value] : file.metadata().entries())
    metadata[key] = value_to_json(value, verbose ? 0 : kMaxArrayShown);
  j["metadata"] = std::move(metadata);
  ordered_json tensors = ordered_json::array();
  for (const auto& t : file.tensors()) {
    tensors.push_back({{"name", t.name},
                       {"type", ggml_type_name(t.type)},
                       {"shape", t.shape()},
                       {"offset", t.offset},
                       {"n_bytes", t.n_bytes}});
  }
  j["tensors"] = std::move(tensors);
  return j;
}

int show(const ShowOptions& opts) {
  auto file = GgufFile::open(opts.target);
  if (!file.ok()) {
    fmt::print(stderr, "Error: {}\n", file.error().to_string());
    return kExitError;
  }
  ModelInfo info = summarize_model(*file);
  if (opts.json) {
    fmt::print("{}\n",
               to_json(*file, info, opts.verbose).dump(2, ' ', false, nlohmann::json::error_handler_t::replace));
  } else {
    print_text(*file, info, opts.verbose);
  }
  return kExitOk;
}

}  // namespace

void register_show(CLI::App& app, Action& action) {
  auto opts = std::make_shared<ShowOptions>();
  auto* cmd = app.add_subcommand("show", "Show what a model holds: architecture, size, metadata, tensors");
  cmd->add_option("model", opts->target, "A GGUF file")->required();
  cmd->add_flag("-v,--verbose", opts->verbose, "Also print all metadata and the tensor table");
  cmd->add_flag("--json", opts->json, "Print JSON (tensors always; full arrays with -v)");
  cmd->footer(
      "Examples:\n"
      "  corral show ./llama-3.2-1b-q4_k_m.gguf\n"
      "  corral show ./model.gguf -v            all metadata and every tensor\n"
      "  corral show ./model.gguf --json | jq .architecture");
  cmd->callback([opts, &action] { action = [opts] { return show(*opts); }; });
}

}  // namespace corral::cli
