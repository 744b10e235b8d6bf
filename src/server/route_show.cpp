// POST /api/show: everything `ollama show` prints, as JSON (license, modelfile, parameters,
// template, system, details, messages, model_info, capabilities, modified_at; tensors when
// verbose). Shares the layer reading and capabilities with `corral show` (store/stored_model.h).
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "gguf/file.h"
#include "gguf/model_info.h"
#include "server/http_util.h"
#include "server/model_details.h"
#include "server/model_ref.h"
#include "server/routes.h"
#include "store/modelfile.h"
#include "store/parameters.h"

namespace corral::server {
namespace {

using nlohmann::ordered_json;

// The template a request will be rendered with: the TEMPLATE layer, else the GGUF's Jinja
// template, else Ollama's default.
std::string effective_template(const ModelRef& ref, const GgufFile& file) {
  if (ref.template_text) return *ref.template_text;
  if (auto jinja = file.metadata().get_string("tokenizer.chat_template")) return std::string(*jinja);
  return "{{ .Prompt }}";
}

std::string join_lines(const std::vector<std::string>& parts) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) out += (i ? "\n" : "") + parts[i];
  return out;
}

void show(ServerContext& ctx, const httplib::Request& req, httplib::Response& res) {
  auto body = parse_json_body(req);
  if (!body.ok()) return send_error(res, 400, body.error().to_string());
  auto name = model_field(*body);
  if (!name.ok()) return send_error(res, 400, name.error().to_string());
  if (name->empty()) return send_error(res, 400, "model is required");
  auto system = string_field(*body, "system");
  if (!system.ok()) return send_error(res, 400, system.error().to_string());
  bool verbose = body->value("verbose", false) == true;

  ModelLookup lookup = resolve_model(ctx.store, *name);
  if (lookup.not_found()) return send_error(res, 404, fmt::format("model '{}' not found", *name));
  if (!lookup.ok()) return send_error(res, lookup.status, lookup.error);
  ModelRef& ref = *lookup.ref;
  if (!system->empty()) ref.parts.system = ref.system = *system;
  // A session's own parameters (`ollama run`'s /set parameter), shown as the Modelfile would hold them.
  if (auto it = body->find("options"); it != body->end() && it->is_object() && !it->empty())
    ref.parts.params = ref.params = store::merge_parameters(ref.params, ordered_json(*it));

  auto file = GgufFile::open(ref.model_path);
  if (!file.ok()) return send_error(res, 500, file.error().to_string());
  ModelInfo info = store::stored_model_info(*file, ref.config);

  ordered_json out;
  if (!ref.licenses.empty()) out["license"] = join_lines(ref.licenses);
  out["modelfile"] = store::generate_modelfile(ref.parts);
  if (std::string params = store::parameters_text(ref.params); !params.empty()) out["parameters"] = params;
  out["template"] = effective_template(ref, *file);
  if (!ref.system.empty()) out["system"] = ref.system;
  if (!ref.config.renderer.empty()) out["renderer"] = ref.config.renderer;
  if (!ref.config.parser.empty()) out["parser"] = ref.config.parser;
  out["details"] = details_json(ref.config);
  if (!ref.messages.empty()) out["messages"] = ref.messages;
  out["model_info"] = model_info_json(*file, verbose);
  if (verbose) out["tensors"] = tensors_json(*file);
  out["capabilities"] = store::model_capabilities(*file, info, ref.parts);
  out["modified_at"] = format_rfc3339(ref.modified);
  if (!ref.config.requires_version.empty()) out["requires"] = ref.config.requires_version;
  send_json(res, out);
}

}  // namespace

void register_show_routes(httplib::Server& http, ServerContext& ctx) {
  http.Post("/api/show", [&ctx](const httplib::Request& req, httplib::Response& res) { show(ctx, req, res); });
}

}  // namespace corral::server
