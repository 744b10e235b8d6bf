// `corral show MODEL|FILE.gguf`: what a stored model or a model file holds, as `ollama show`
// prints it. A stored model goes through the server's POST /api/show (the running server, or an
// in-process one on the local store); a path that exists is read directly, into the same JSON
// shape, so one printer (cli/show_format.h) serves both.
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>

#include "base/env.h"
#include "cli/api_session.h"
#include "cli/command.h"
#include "cli/show_format.h"
#include "gguf/file.h"
#include "gguf/model_info.h"
#include "gguf/value_json.h"
#include "server/model_details.h"
#include "store/stored_model.h"
#include "tensor/ggml_type.h"

namespace corral::cli {
namespace {

using nlohmann::ordered_json;

constexpr size_t kMaxArrayShown = 8;  // the file JSON's "metadata" abbreviates longer arrays unless -v

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

// /api/show's shape for a GGUF file (details, model_info, capabilities, tensors), plus what only a
// file has: its layout (version, alignment, data offset, each tensor's offset and size) and the
// whole metadata with GGUF types ("metadata", arrays abbreviated unless verbose).
ordered_json file_json(const GgufFile& file, bool verbose) {
  ModelInfo info = summarize_model(file);
  ordered_json j;
  j["details"] = {
      {"parent_model", ""},
      {"format", "gguf"},
      {"family", info.architecture},
      {"families", info.architecture.empty() ? ordered_json::array() : ordered_json::array({info.architecture})},
      {"parameter_size", info.parameter_size},
      {"quantization_level", info.quantization}};
  j["model_info"] = server::model_info_json(file, verbose);
  j["capabilities"] = store::model_capabilities(file, info, store::ModelfileParts{});
  j["file"] = file.display_name();
  j["size"] = file.file_size();
  j["gguf_version"] = file.version();
  j["alignment"] = file.alignment();
  j["data_offset"] = file.layout().data_offset;
  j["architecture"] = info.architecture;
  j["name"] = info.name;
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

std::string dump(const ordered_json& j) {
  return j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
}

int selected_flags(const ShowOptions& o) {
  return o.license + o.modelfile + o.parameters + o.system + o.template_text;
}

// One field, printed as `ollama show --<flag>` prints it (system and template without a newline
// of their own).
void print_field(const ordered_json& resp, const ShowOptions& o) {
  auto text = [&resp](const char* key) { return resp.value(key, std::string()); };
  if (o.license) fmt::print("{}\n", text("license"));
  if (o.modelfile) fmt::print("{}\n", text("modelfile"));
  if (o.parameters) fmt::print("{}\n", text("parameters"));
  if (o.system) fmt::print("{}", text("system"));
  if (o.template_text) fmt::print("{}", text("template"));
}

int show_stored(const ShowOptions& opts) {
  auto session = ApiSession::open(Env());
  if (!session.ok()) {
    fmt::print(stderr, "Error: {}\n", session.error().to_string());
    return kExitError;
  }
  ordered_json request{{"model", opts.target}};
  if (opts.verbose) request["verbose"] = true;
  auto resp = (*session)->client().post_json("/api/show", request);
  if (!resp.ok()) {
    fmt::print(stderr, "Error: {}\n", resp.error().to_string());
    return kExitError;
  }
  ordered_json j = *resp;
  if (opts.json)
    fmt::print("{}\n", dump(j));
  else if (selected_flags(opts) == 1)
    print_field(j, opts);
  else
    fmt::print("{}", format_show(*resp, opts.verbose));
  return kExitOk;
}

int show_file(const ShowOptions& opts) {
  if (selected_flags(opts) > 0) {
    fmt::print(stderr, "Error: --license, --modelfile, --parameters, --system and --template need a stored model\n");
    return kExitUsage;
  }
  auto file = GgufFile::open(opts.target);
  if (!file.ok()) {
    fmt::print(stderr, "Error: {}\n", file.error().to_string());
    return kExitError;
  }
  ordered_json j = file_json(*file, opts.verbose);
  if (opts.json)
    fmt::print("{}\n", dump(j));
  else
    fmt::print("{}", format_show(j, opts.verbose));
  return kExitOk;
}

int show(const ShowOptions& opts) {
  if (selected_flags(opts) > 1) {
    // Ollama's message and exit status (a command error: 1).
    fmt::print(stderr,
               "Error: only one of '--license', '--modelfile', '--parameters', '--system', or '--template' can be "
               "specified\n");
    return kExitError;
  }
  std::error_code ec;
  return std::filesystem::is_regular_file(opts.target, ec) ? show_file(opts) : show_stored(opts);
}

}  // namespace

void register_show(CLI::App& app, Action& action) {
  auto opts = std::make_shared<ShowOptions>();
  auto* cmd = app.add_subcommand("show", "Show what a model holds: architecture, size, capabilities, parameters");
  cmd->add_option("model", opts->target, "The name of a model in the store, or a GGUF file")->required();
  cmd->add_flag("--license", opts->license, "Print the model's license");
  cmd->add_flag("--modelfile", opts->modelfile, "Print the model's Modelfile");
  cmd->add_flag("--parameters", opts->parameters, "Print the model's parameters");
  cmd->add_flag("--system", opts->system, "Print the model's system message");
  cmd->add_flag("--template", opts->template_text, "Print the model's template");
  cmd->add_flag("-v,--verbose", opts->verbose, "Also print the metadata and the tensors");
  cmd->add_flag("--json", opts->json,
                "Print the /api/show answer as JSON (for a file: the same shape plus its layout)");
  cmd->footer(
      "A stored model is asked of the running `corral serve` (CORRAL_HOST / OLLAMA_HOST), or read from the\n"
      "local store when no server answers. A path that exists is read as a GGUF file. --license,\n"
      "--modelfile, --parameters, --system and --template print one field; only one may be given.\n"
      "Examples:\n"
      "  corral show llama3.2\n"
      "  corral show llama3.2 -v                 also the metadata and every tensor\n"
      "  corral show llama3.2 --modelfile        its Modelfile\n"
      "  corral show llama3.2 --json | jq .capabilities\n"
      "  corral show ./llama-3.2-1b-q4_k_m.gguf  a GGUF file\n"
      "  corral show ./model.gguf --json | jq .tensors[0]");
  cmd->callback([opts, &action] { action = [opts] { return show(*opts); }; });
}

}  // namespace corral::cli
