// `corral create NAME [-f Modelfile]`: a client of the server API, as Ollama's CLI. The Modelfile is
// parsed here; each local GGUF it names is hashed, uploaded (POST /api/blobs/:digest) unless the
// server already has it, and POST /api/create gets the file names → digests and the other
// instructions as JSON fields. The server may be `corral serve` or the in-process one.
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <vector>

#include "base/env.h"
#include "base/sha256.h"
#include "cli/api_session.h"
#include "cli/command.h"
#include "cli/progress.h"
#include "cli/store_util.h"
#include "store/create.h"
#include "store/modelfile.h"

namespace corral::cli {
namespace {

namespace fs = std::filesystem;
using nlohmann::ordered_json;

struct CreateArgs {
  std::string name;
  std::string file;  // "" = ./Modelfile, or `FROM .` when there is none
  std::string quantize;
};

// A local GGUF file the request refers to by digest.
struct LocalFile {
  fs::path path;
  std::string digest;
};

// What the Modelfile asks for: the JSON body without the digests, and the files to send.
struct Plan {
  ordered_json body = ordered_json::object();
  std::vector<LocalFile> files, adapters;
};

// An argument that can only be meant as a path (a missing file, not a model name).
bool looks_like_path(const std::string& arg) {
  return arg.starts_with("./") || arg.starts_with("../") || arg.starts_with("/") || arg.starts_with("~") ||
         arg == "." || arg == ".." || arg.ends_with(".gguf") || arg.ends_with(".GGUF");
}

Status add_local(std::vector<LocalFile>& out, const fs::path& resolved) {
  CORRAL_ASSIGN_OR_RETURN(fs::path file, store::find_gguf_file(resolved));
  out.push_back({file, ""});
  return {};
}

void add_parameter(ordered_json& params, const std::string& name, const std::string& value) {
  if (!params.contains(name)) {
    params[name] = value;
  } else {
    if (!params[name].is_array()) params[name] = ordered_json::array({params[name]});
    params[name].push_back(value);
  }
}

Status plan_command(Plan& plan, const store::ModelfileCommand& c, const fs::path& dir) {
  auto& body = plan.body;
  if (c.name == "from" || c.name == "adapter") {
    fs::path p = store::resolve_modelfile_path(c.args, dir).lexically_normal();
    if (!p.has_filename() && p.has_parent_path()) p = p.parent_path();  // "dir/." is "dir", not "dir/"
    std::error_code ec;
    bool exists = fs::exists(p, ec);
    if (c.name == "adapter") {
      if (!exists) return Error::format("{}: no such file", p.string());
      return add_local(plan.adapters, p);
    }
    if (exists) return add_local(plan.files, p);
    if (looks_like_path(c.args)) return Error::format("{}: no such file", p.string());
    if (!store::ModelName::parse(c.args).ok()) return Error::format("{}: no such file, and not a model name", c.args);
    body["from"] = c.args;
  } else if (c.name == "template" || c.name == "system" || c.name == "requires" || c.name == "renderer" ||
             c.name == "parser") {
    body[c.name] = c.args;
  } else if (c.name == "license") {
    if (!body.contains("license")) body["license"] = ordered_json::array();
    body["license"].push_back(c.args);
  } else if (c.name == "message") {
    auto [role, content] = store::split_message_args(c.args);
    if (!body.contains("messages")) body["messages"] = ordered_json::array();
    body["messages"].push_back({{"role", role}, {"content", content}});
  } else if (c.name == "draft") {
    return Error("DRAFT is not supported yet");
  } else {
    if (!body.contains("parameters")) body["parameters"] = ordered_json::object();
    add_parameter(body["parameters"], c.name, c.args);
  }
  return {};
}

Result<Plan> plan_request(const store::Modelfile& modelfile, const fs::path& dir) {
  Plan plan;
  for (const auto& c : modelfile.commands) {
    if (auto st = plan_command(plan, c, dir); !st.ok())
      return std::move(st).error().with_context(fmt::format("(line {})", c.line));
  }
  if (plan.body.contains("from") && !plan.files.empty())
    return Error::format("FROM names both a model ({}) and a file ({}); use one", plan.body["from"].get<std::string>(),
                         plan.files.front().path.string());
  return plan;
}

// "sha256:<hex>" of a file, read in chunks with a bar.
Result<std::string> hash_file(const fs::path& file, Progress& progress) {
  std::error_code ec;
  uint64_t total = fs::file_size(file, ec);
  if (ec) return Error::format("{}: {}", file.string(), ec.message());
  std::ifstream in(file, std::ios::binary);
  if (!in) return Error::format("{}: cannot open", file.string());
  Sha256 hash;
  std::vector<char> buffer(size_t{4} << 20);
  uint64_t done = 0;
  std::string label = "hashing " + file.filename().string();
  progress.bar(label, 0, total);
  while (in) {
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    auto n = static_cast<size_t>(in.gcount());
    hash.update(std::as_bytes(std::span(buffer.data(), n)));
    done += n;
    progress.bar(label, done, total);
  }
  if (in.bad() || done != total) return Error::format("{}: read failed (did the file change?)", file.string());
  return "sha256:" + Sha256::hex(hash.finish());
}

// Hashes each file and uploads the ones the server does not have.
Status send_files(ApiClient& client, std::vector<LocalFile>& files, Progress& progress) {
  for (auto& f : files) {
    CORRAL_ASSIGN_OR_RETURN(f.digest, hash_file(f.path, progress));
    CORRAL_ASSIGN_OR_RETURN(int status, client.head("/api/blobs/" + f.digest));
    if (status == 200) {
      progress.status("using existing layer " + f.digest);
      continue;
    }
    if (status != 404) return Error::format("server answered HTTP {} when asked for blob {}", status, f.digest);
    std::string label = "copying file " + f.digest;
    std::error_code ec;
    progress.bar(label, 0, fs::file_size(f.path, ec));
    CORRAL_TRY(client.post_file("/api/blobs/" + f.digest, f.path,
                                [&](uint64_t done, uint64_t total) { progress.bar(label, done, total); }));
  }
  return {};
}

// The request's files / adapters map: file name → digest. With several files the names get their
// Modelfile position in front ("01-model.gguf", "02-mmproj.gguf"): the JSON client sends keys
// sorted, and the server takes the files in the order it reads them (the model first), which
// also keeps two files of the same name apart.
ordered_json digest_map(const std::vector<LocalFile>& files) {
  ordered_json m = ordered_json::object();
  for (size_t i = 0; i < files.size(); ++i) {
    std::string name = files[i].path.filename().string();
    m[files.size() == 1 ? name : fmt::format("{:02}-{}", i + 1, name)] = files[i].digest;
  }
  return m;
}

// The server's progress lines: a status each, or a bar when a line carries a digest and sizes.
bool show_line(const nlohmann::json& j, Progress& progress) {
  std::string status = j.value("status", "");
  if (j.contains("digest") && j.contains("total")) {
    std::string digest = j.value("digest", "");
    std::string label = status.empty() ? fmt::format("pulling {}...", digest.substr(7, 12)) : status;
    progress.bar(label, j.value("completed", uint64_t{0}), j.value("total", uint64_t{0}));
  } else if (!status.empty()) {
    progress.status(status);
  }
  return true;
}

// The Modelfile's text and the path errors name; `FROM .` when there is no Modelfile to read.
Result<std::pair<std::string, fs::path>> read_modelfile(const std::string& file) {
  fs::path path = file.empty() ? "Modelfile" : file;
  std::error_code ec;
  if (file.empty() && !fs::exists(path, ec)) return std::pair<std::string, fs::path>{"FROM .\n", path};
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error::format("{}: cannot read the Modelfile", path.string());
  std::ostringstream text;
  text << in.rdbuf();
  return std::pair<std::string, fs::path>{text.str(), path};
}

Status run_create(const CreateArgs& args, Progress& progress) {
  CORRAL_ASSIGN_OR_RETURN(auto source, read_modelfile(args.file));
  auto& [text, path] = source;
  auto modelfile = store::parse_modelfile(text);
  if (!modelfile.ok()) return std::move(modelfile).error().with_context(path.string());
  auto plan = plan_request(*modelfile, fs::absolute(path).parent_path());
  if (!plan.ok()) return std::move(plan).error().with_context(path.string());

  Env env;
  CORRAL_ASSIGN_OR_RETURN(auto session, ApiSession::open(env));
  ApiClient& client = session->client();
  CORRAL_TRY(send_files(client, plan->files, progress));
  CORRAL_TRY(send_files(client, plan->adapters, progress));

  ordered_json body = {{"model", args.name}};
  body.update(plan->body);
  if (!plan->files.empty()) body["files"] = digest_map(plan->files);
  if (!plan->adapters.empty()) body["adapters"] = digest_map(plan->adapters);
  if (!args.quantize.empty()) body["quantize"] = args.quantize;
  body["stream"] = true;
  return client.post_stream("/api/create", nlohmann::json(body),
                            [&](const nlohmann::json& j) { return show_line(j, progress); });
}

int create(const CreateArgs& args) {
  if (!parse_model_name(args.name)) return kExitError;
  Progress progress;
  Status st = run_create(args, progress);
  progress.stop();
  if (!st.ok()) {
    fmt::print(stderr, "Error: {}\n", st.error().to_string());
    return kExitError;
  }
  return kExitOk;
}

}  // namespace

void register_create(CLI::App& app, Action& action) {
  auto args = std::make_shared<CreateArgs>();
  auto* cmd = app.add_subcommand("create", "Create a model from a Modelfile");
  cmd->add_option("model", args->name, "Name of the new model, e.g. mymodel or me/mymodel:q4")->required();
  cmd->add_option("-f,--file", args->file, "The Modelfile (default ./Modelfile; without one, the GGUF in .)");
  cmd->add_option("-q,--quantize", args->quantize, "Quantize the model to this type (not supported yet)");
  cmd->footer(
      "Runs through the server API: the running `corral serve` (CORRAL_HOST / OLLAMA_HOST), or an\n"
      "in-process server on the local store when none answers. Local GGUF files named by FROM and\n"
      "ADAPTER (relative to the Modelfile) are hashed and uploaded unless the server has them.\n"
      "\n"
      "Examples:\n"
      "  printf 'FROM ./model.gguf\\nPARAMETER temperature 0.2\\n' > Modelfile\n"
      "  corral create mymodel                the model, stored in $CORRAL_MODELS or ~/.corral/models\n"
      "  corral create mymodel -f other.Modelfile\n"
      "  printf 'FROM mymodel\\nSYSTEM You answer in French.\\n' | corral create french -f /dev/stdin");
  cmd->callback([args, &action] { action = [args] { return create(*args); }; });
}

}  // namespace corral::cli
