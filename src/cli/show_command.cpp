// `corral show FILE.gguf|MODEL`: what a model file or a stored model holds, in the shape of
// `ollama show` (a path that exists is a file; anything else is a model name in the store).
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <string>
#include <vector>

#include "cli/command.h"
#include "cli/store_util.h"
#include "gguf/file.h"
#include "gguf/model_info.h"
#include "gguf/value_json.h"
#include "store/manifest.h"
#include "store/modelfile.h"
#include "store/ops.h"
#include "store/parameters.h"
#include "store/stored_model.h"

namespace corral::cli {
namespace {

constexpr size_t kMaxArrayShown = 8;

struct ShowOptions {
  std::string target;
  bool verbose = false;
  bool json = false;
  bool modelfile = false;
  bool parameters = false;
  bool template_text = false;
  bool system = false;
  bool license = false;
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

// Metadata and the tensor table (-v).
void print_details(const GgufFile& file) {
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

void print_text(const GgufFile& file, const ModelInfo& info, bool verbose) {
  print_section("Model", model_rows(info));
  if (verbose) print_details(file);
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

// At most a few lines of a long text, then "...", as Ollama's System and License sections.
std::vector<std::pair<std::string, std::string>> first_lines(const std::string& text, size_t n) {
  std::vector<std::pair<std::string, std::string>> rows;
  size_t start = 0;
  while (start < text.size() && rows.size() < n) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    rows.emplace_back(text.substr(start, end - start), "");
    start = end + 1;
  }
  if (start < text.size()) rows.emplace_back("...", "");
  return rows;
}

void print_lines(std::string_view title, const std::vector<std::pair<std::string, std::string>>& rows) {
  fmt::print("  {}\n", title);
  for (const auto& [line, unused] : rows) fmt::print("    {}\n", line);
  fmt::print("\n");
}

// Ollama's capabilities as one-column rows.
std::vector<std::pair<std::string, std::string>> capability_rows(const GgufFile& file, const ModelInfo& info,
                                                                 const store::ModelfileParts& parts) {
  std::vector<std::pair<std::string, std::string>> rows;
  for (auto& c : store::model_capabilities(file, info, parts)) rows.emplace_back(std::move(c), "");
  return rows;
}

int show_stored(const ShowOptions& opts) {
  auto st = open_store();
  auto name = parse_model_name(opts.target);
  if (!st || !name) return kExitError;
  auto m = store::load_stored_model(*st, *name);
  if (!m.ok()) {
    fmt::print(stderr, "Error: {}\n", m.error().to_string());
    return kExitError;
  }
  const auto& parts = m->parts;
  if (opts.modelfile) {
    fmt::print("{}", store::generate_modelfile(parts));
    return kExitOk;
  }
  if (opts.parameters) {
    std::string text = store::parameters_text(parts.params);
    if (!text.empty()) fmt::print("{}\n", text);
    return kExitOk;
  }
  if (opts.template_text || opts.system) {
    fmt::print("{}\n", opts.template_text ? parts.template_text : parts.system);
    return kExitOk;
  }
  if (opts.license) {
    for (const auto& l : parts.licenses) fmt::print("{}\n", l);
    return kExitOk;
  }
  if (m->model_path.empty()) {
    fmt::print(stderr, "Error: model '{}' has no model layer\n", parts.name);
    return kExitError;
  }
  auto file = GgufFile::open(m->model_path);
  if (!file.ok()) {
    fmt::print(stderr, "Error: {}\n", file.error().to_string());
    return kExitError;
  }
  ModelInfo info = store::stored_model_info(*file, m->config);
  auto rows = model_rows(info);
  if (!m->config.requires_version.empty()) rows.emplace_back("requires", m->config.requires_version);
  print_section("Model", rows);
  print_lines("Capabilities", capability_rows(*file, info, parts));
  if (!parts.params.empty()) {
    std::vector<std::pair<std::string, std::string>> prows;
    std::string text = store::parameters_text(parts.params);
    for (size_t start = 0; start < text.size();) {
      size_t end = std::min(text.find('\n', start), text.size());
      std::string line = text.substr(start, end - start);
      size_t sp = line.find(' ');
      size_t val = line.find_first_not_of(' ', sp);
      prows.emplace_back(line.substr(0, sp), val == std::string::npos ? "" : line.substr(val));
      start = end + 1;
    }
    print_section("Parameters", prows);
  }
  if (!parts.system.empty()) print_lines("System", first_lines(parts.system, 2));
  for (const auto& l : parts.licenses) print_lines("License", first_lines(l, 2));
  if (opts.verbose) print_details(*file);
  return kExitOk;
}

int show(const ShowOptions& opts) {
  int exclusive = opts.modelfile + opts.parameters + opts.template_text + opts.system + opts.license;
  if (exclusive > 1) {
    fmt::print(stderr, "Error: only one of --license, --modelfile, --parameters, --system, or --template can be set\n");
    return kExitUsage;
  }
  std::error_code ec;
  if (!std::filesystem::is_regular_file(opts.target, ec)) return show_stored(opts);
  if (exclusive > 0) {
    fmt::print(stderr, "Error: --license, --modelfile, --parameters, --system and --template need a stored model\n");
    return kExitUsage;
  }
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
  cmd->add_option("model", opts->target, "A GGUF file, or the name of a model in the store")->required();
  cmd->add_flag("--modelfile", opts->modelfile, "Print the model's Modelfile");
  cmd->add_flag("--parameters", opts->parameters, "Print the model's parameters");
  cmd->add_flag("--template", opts->template_text, "Print the model's template");
  cmd->add_flag("--system", opts->system, "Print the model's system message");
  cmd->add_flag("--license", opts->license, "Print the model's license");
  cmd->add_flag("-v,--verbose", opts->verbose, "Also print all metadata and the tensor table");
  cmd->add_flag("--json", opts->json, "Print JSON (tensors always; full arrays with -v)");
  cmd->footer(
      "Examples:\n"
      "  corral show ./llama-3.2-1b-q4_k_m.gguf\n"
      "  corral show ./model.gguf -v            all metadata and every tensor\n"
      "  corral show ./model.gguf --json | jq .architecture\n"
      "  corral show llama3.2                   a model in the store\n"
      "  corral show llama3.2 --modelfile       its Modelfile");
  cmd->callback([opts, &action] { action = [opts] { return show(*opts); }; });
}

}  // namespace corral::cli
