// POST /api/create (JSON form): model, from | files {name: "sha256:…"}, adapters, template,
// system, parameters, messages, license (string or list); quantize is refused for now. The
// request becomes a Modelfile for store::create_model, so the CLI and the API build identical
// models. Input errors are found before the stream starts (400); progress objects {status} stream
// as NDJSON and end with "success", or one object answers when stream is false.
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "base/log.h"
#include "server/http_util.h"
#include "server/routes.h"
#include "store/create.h"
#include "store/layout.h"
#include "store/modelfile.h"
#include "store/parameters.h"
#include "template/go_template.h"

namespace corral::server {
namespace {

using nlohmann::ordered_json;

// A 400 with its message, or the Modelfile the request describes.
struct Built {
  store::Modelfile modelfile;
  std::string error;
};

bool valid_relative_path(std::string_view p) {
  if (p.empty() || p.front() == '/') return false;
  size_t start = 0;
  while (start <= p.size()) {
    size_t end = std::min(p.find('/', start), p.size());
    std::string_view part = p.substr(start, end - start);
    if (part.empty() || part == "." || part == "..") return false;
    start = end + 1;
  }
  return true;
}

// The blob paths of a {name: digest} map, each checked to exist and to be a GGUF file.
std::string blob_paths(const ServerContext& ctx, const ordered_json& files, std::string_view field,
                       std::vector<std::string>& out) {
  if (!files.is_object()) return fmt::format("{} must be an object of file names to digests", field);
  for (const auto& [file, value] : files.items()) {
    if (!valid_relative_path(file)) return fmt::format("invalid file path \"{}\"", file);
    if (!value.is_string()) return fmt::format("{}: the digest of \"{}\" must be a string", field, file);
    auto digest = store::parse_digest(value.get<std::string>());
    if (!digest.ok()) return fmt::format("{}: {}", file, digest.error().to_string());
    auto path = ctx.store.blob_path(*digest);
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec))
      return fmt::format("blob \"{}\" not found; upload it with POST /api/blobs/{} first", *digest, *digest);
    if (!store::has_gguf_magic(path)) return "supplied file was not in GGUF format";
    out.push_back(path.string());
  }
  return {};
}

// A parameter value as Modelfile text ("0.7", "true", "42", a stop string).
std::string parameter_text(const ordered_json& v) {
  if (v.is_string()) return v.get<std::string>();
  return v.dump();
}

void add(store::Modelfile& mf, std::string name, std::string args) {
  mf.commands.push_back({std::move(name), std::move(args), 0});
}

Built build_modelfile(const ServerContext& ctx, const ordered_json& body) {
  Built b;
  auto& mf = b.modelfile;
  auto str = [&](std::string_view key) -> std::optional<std::string> {
    auto v = string_field(body, key);
    if (!v.ok()) {
      b.error = v.error().to_string();
      return std::nullopt;
    }
    return *v;
  };
  auto quantize = str("quantize");
  auto quantization = str("quantization");
  if (!b.error.empty()) return b;
  if (!quantize->empty() || !quantization->empty()) return {{}, "quantize is not supported yet"};
  auto from = str("from");
  if (!from) return b;
  if (!from->empty()) {
    auto name = store::ModelName::parse(*from);
    if (!name.ok()) return {{}, "invalid model name"};
    if (!ctx.store.find(*name)) return {{}, fmt::format("model \"{}\" not found", *from)};
    add(mf, "from", *from);
  } else if (body.contains("files") && !body["files"].is_null()) {
    std::vector<std::string> paths;
    if (auto e = blob_paths(ctx, body["files"], "files", paths); !e.empty()) return {{}, e};
    if (paths.empty()) return {{}, "no files provided"};
    for (auto& p : paths) add(mf, "from", p);
  } else {
    return {{}, "neither 'from' or 'files' was specified"};
  }
  if (body.contains("adapters") && !body["adapters"].is_null()) {
    std::vector<std::string> paths;
    if (auto e = blob_paths(ctx, body["adapters"], "adapters", paths); !e.empty()) return {{}, e};
    if (paths.size() > 1) return {{}, "only one adapter is currently supported"};
    for (auto& p : paths) add(mf, "adapter", p);
  }
  auto template_text = str("template");
  if (!template_text) return b;
  if (!template_text->empty()) {
    if (auto t = tmpl::GoTemplate::parse(*template_text); !t.ok())
      return {{}, "template error: " + t.error().to_string()};
    add(mf, "template", *template_text);
  }
  auto system = str("system");
  if (!system) return b;
  if (body.contains("system") && body["system"].is_string()) add(mf, "system", *system);
  if (auto it = body.find("license"); it != body.end() && !it->is_null()) {
    if (it->is_string()) {
      add(mf, "license", it->get<std::string>());
    } else if (it->is_array()) {
      for (const auto& l : *it) {
        if (!l.is_string()) return {{}, "license must be a string or a list of strings"};
        add(mf, "license", l.get<std::string>());
      }
    } else {
      return {{}, "license must be a string or a list of strings"};
    }
  }
  if (auto it = body.find("parameters"); it != body.end() && !it->is_null()) {
    if (!it->is_object()) return {{}, "parameters must be an object"};
    for (const auto& [key, value] : it->items()) {
      std::vector<ordered_json> values =
          value.is_array() ? std::vector<ordered_json>(value.begin(), value.end()) : std::vector<ordered_json>{value};
      for (const auto& v : values) {
        std::string text = parameter_text(v);
        if (auto s = store::validate_parameter(key, text); !s.ok()) return {{}, s.error().to_string()};
        add(mf, key, text);
      }
    }
  }
  if (auto it = body.find("messages"); it != body.end() && !it->is_null()) {
    if (!it->is_array()) return {{}, "messages must be a list"};
    for (const auto& m : *it) {
      if (!m.is_object() || !m.value("role", ordered_json()).is_string())
        return {{}, "each message needs a role and content"};
      std::string content = m.value("content", ordered_json("")).is_string() ? m.value("content", "") : "";
      add(mf, "message", m["role"].get<std::string>() + ": " + content);
    }
  }
  for (const char* key : {"renderer", "parser", "requires"}) {
    auto v = str(key);
    if (!v) return b;
    if (!v->empty()) add(mf, key, *v);
  }
  return b;
}

void create(ServerContext& ctx, const httplib::Request& req, httplib::Response& res) {
  auto body = parse_json_body(req);
  if (!body.ok()) return send_error(res, 400, body.error().to_string());
  auto name_text = model_field(*body);
  if (!name_text.ok()) return send_error(res, 400, name_text.error().to_string());
  auto name = store::ModelName::parse(*name_text);
  if (!name.ok()) return send_error(res, 400, "invalid model name");
  auto stream = stream_field(*body);
  if (!stream.ok()) return send_error(res, 400, stream.error().to_string());
  Built built = build_modelfile(ctx, *body);
  if (!built.error.empty()) return send_error(res, 400, built.error);
  LOG_INFO("creating {}:\n{}", name->display_shortest(), built.modelfile.to_string());

  auto run = [&ctx, name = *name,
              modelfile = std::move(built.modelfile)](const std::function<void(const std::string&)>& on_status) {
    store::CreateOptions options;
    options.status = on_status;
    return store::create_model(ctx.store, name, modelfile, ctx.store.blobs_dir(), options);
  };
  if (!*stream) {
    std::string last = "success";
    Status s = run([&](const std::string& status) { last = status; });
    if (!s.ok()) return send_error(res, 500, s.error().to_string());
    return send_json(res, ordered_json{{"status", last}});
  }
  start_ndjson_stream(res, [run = std::move(run)](StreamWriter& out) {
    Status s = run([&](const std::string& status) { out.write_line(ordered_json{{"status", status}}); });
    if (!s.ok()) out.write_line(ordered_json{{"error", s.error().to_string()}});
  });
}

}  // namespace

void register_create_routes(httplib::Server& http, ServerContext& ctx) {
  http.Post("/api/create", [&ctx](const httplib::Request& req, httplib::Response& res) { create(ctx, req, res); });
}

}  // namespace corral::server
