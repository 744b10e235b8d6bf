// create_model: resolve FROM, store blobs, build layers and the config, write the manifest last.
#include "store/create.h"

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

#include "base/log.h"
#include "base/units.h"
#include "gguf/file.h"
#include "gguf/model_info.h"
#include "store/go_json.h"
#include "store/manifest.h"
#include "store/parameters.h"
#include "store/sniff.h"
#include "template/go_template.h"

namespace corral::store {
namespace fs = std::filesystem;
namespace {

using nlohmann::ordered_json;

Result<std::string> read_blob_text(const Store& store, const Layer& layer) {
  std::ifstream in(store.blob_path(layer.digest), std::ios::binary);
  if (!in) return Error::format("{}: missing blob", store.blob_path(layer.digest).string());
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

fs::path resolve_path(std::string_view arg, const fs::path& dir) {
  std::string s(arg);
  if (s == "~" || s.starts_with("~/")) {
    if (const char* home = std::getenv("HOME")) s = std::string(home) + s.substr(1);
  }
  fs::path p(s);
  return p.is_absolute() ? p : dir / p;
}

// The single GGUF file a FROM/ADAPTER path names: the file itself, or the one GGUF in a directory.
Result<fs::path> find_gguf(const fs::path& path) {
  std::error_code ec;
  if (!fs::is_directory(path, ec)) {
    if (!has_gguf_magic(path)) return Error(describe_non_gguf(path));
    return path;
  }
  std::vector<fs::path> ggufs, others;
  for (fs::directory_iterator it(path, ec), end; !ec && it != end; it.increment(ec)) {
    if (!it->is_regular_file(ec)) continue;
    (has_gguf_magic(it->path()) ? ggufs : others).push_back(it->path());
  }
  std::sort(ggufs.begin(), ggufs.end());
  if (ggufs.size() == 1) return ggufs[0];
  if (ggufs.size() > 1)
    return Error::format("{} holds {} GGUF files ({}, {}, ...); name one in FROM", path.string(), ggufs.size(),
                         ggufs[0].filename().string(), ggufs[1].filename().string());
  std::string found;
  std::sort(others.begin(), others.end());
  for (size_t i = 0; i < others.size() && i < 3; ++i) found += "; " + describe_non_gguf(others[i]);
  return Error::format("{} holds no GGUF file{}", path.string(), found);
}

// What a GGUF layer is: model, adapter or projector (Ollama's rules on general.type).
std::string gguf_media_type(const GgufFile& f) {
  std::string type(f.metadata().get_string("general.type").value_or(""));
  if (type == "adapter") return std::string(kMediaAdapter);
  std::string arch(f.metadata().get_string("general.architecture").value_or(""));
  bool no_blocks = !f.metadata().get_uint(arch + ".block_count").has_value();
  bool vision = f.metadata().get_uint(arch + ".vision.block_count").has_value() ||
                f.metadata().get_uint("clip.vision.block_count").has_value();
  if (type == "projector" || type == "mmproj" || (no_blocks && vision)) return std::string(kMediaProjector);
  return std::string(kMediaModel);
}

struct Builder {
  const Store& store;
  const CreateOptions& options;
  std::vector<Layer> layers;
  ModelConfig config;

  void status(const std::string& s) const {
    if (options.status) options.status(s);
  }

  // Fills the config from a GGUF layer as Ollama does: the first one sets the fields, every one
  // adds its architecture to model_families.
  void describe(const GgufFile& f, const std::string& media_type) {
    ModelInfo info = summarize_model(f);
    uint64_t params = 0;
    for (const auto& t : f.tensors()) params += t.n_elements();
    if (config.model_format.empty()) config.model_format = "gguf";
    if (config.model_family.empty()) config.model_family = info.architecture;
    if (config.model_type.empty() && media_type == kMediaModel) config.model_type = human_number(params);
    if (config.file_type.empty() && media_type == kMediaModel) config.file_type = info.quantization;
    config.model_families.push_back(info.architecture);
  }

  // A file that already is one of this store's blobs (what /api/create's `files` name) is used as
  // it is: its name is its digest, checked when it was written, and hashing it again would cost a
  // pass over the whole model.
  Result<BlobInfo> store_gguf(const fs::path& file, const std::string& media) {
    std::string name = file.filename().string();
    std::error_code ec;
    if (file.parent_path() == store.blobs_dir() && is_blob_file_name(name)) {
      auto size = fs::file_size(file, ec);
      auto digest = parse_digest(name);
      if (!ec && digest.ok()) {
        status("using existing layer " + *digest);
        return BlobInfo{*digest, static_cast<int64_t>(size), true};
      }
    }
    status(fmt::format("copying {} data", media.substr(media.rfind('.') + 1)));
    AddFileOptions add{options.allow_hardlink, options.progress};
    return add_blob_from_file(store, file, add);
  }

  Result<Layer> add_gguf(const fs::path& path, bool adapter) {
    CORRAL_ASSIGN_OR_RETURN(fs::path file, find_gguf(path));
    auto gguf = GgufFile::open(file);
    if (!gguf.ok()) return Error::format("{} ({})", describe_non_gguf(file), gguf.error().to_string());
    std::string media = adapter ? std::string(kMediaAdapter) : gguf_media_type(*gguf);
    CORRAL_ASSIGN_OR_RETURN(BlobInfo blob, store_gguf(file, media));
    describe(*gguf, media);
    return Layer{media, blob.digest, blob.size, store.blob_path(blob.digest).string(), ""};
  }

  Status inherit(const ModelName& from) {
    auto found = store.find(from);
    if (!found) return Error::format("model '{}' not found", from.display_shortest());
    CORRAL_ASSIGN_OR_RETURN(StoredManifest m, read_manifest(store.manifests_dir() / found->manifest_relative_path()));
    for (Layer l : m.manifest.layers) {
      if (!blob_present(store, l.digest, l.size))
        return Error::format("model '{}' is broken: blob {} is missing", found->display_shortest(), l.digest);
      l.from = found->display_shortest();
      if (l.media_type == kMediaModel || l.media_type == kMediaProjector || l.media_type == kMediaAdapter) {
        CORRAL_ASSIGN_OR_RETURN(GgufFile f, GgufFile::open(store.blob_path(l.digest)));
        describe(f, l.media_type);
      }
      layers.push_back(std::move(l));
    }
    auto cfg = read_blob_text(store, m.manifest.config);
    if (cfg.ok()) {
      if (auto c = parse_config(*cfg, "config"); c.ok()) {
        config.renderer = c->renderer;
        config.parser = c->parser;
        config.requires_version = c->requires_version;
      }
    }
    return {};
  }

  void remove(std::string_view media_type) {
    std::erase_if(layers, [&](const Layer& l) { return l.media_type == media_type; });
  }

  Status add_text(std::string_view media_type, const std::string& text) {
    CORRAL_ASSIGN_OR_RETURN(BlobInfo blob, write_blob(store, text));
    layers.push_back({std::string(media_type), blob.digest, blob.size, "", ""});
    return {};
  }

  Result<ordered_json> inherited_params() {
    const Layer* l = nullptr;
    for (const auto& layer : layers)
      if (layer.media_type == kMediaParams) l = &layer;
    if (!l) return ordered_json::object();
    CORRAL_ASSIGN_OR_RETURN(std::string text, read_blob_text(store, *l));
    ordered_json j = ordered_json::parse(text, nullptr, false);
    if (j.is_discarded() || !j.is_object()) return Error::format("params blob {} is not a JSON object", l->digest);
    return j;
  }
};

bool is_instruction(const std::string& name) {
  static const std::set<std::string> kNames = {"from",    "template", "system",   "adapter", "license",
                                               "message", "requires", "renderer", "parser",  "draft"};
  return kNames.count(name) > 0;
}

}  // namespace

fs::path resolve_modelfile_path(std::string_view arg, const fs::path& modelfile_dir) {
  return resolve_path(arg, modelfile_dir);
}

Result<fs::path> find_gguf_file(const fs::path& path) {
  return find_gguf(path);
}

bool has_gguf_magic(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  char magic[4] = {};
  return in.read(magic, 4) && std::string_view(magic, 4) == "GGUF";
}

Status create_model(const Store& store, const ModelName& name, const Modelfile& modelfile, const fs::path& dir,
                    const CreateOptions& options) {
  if (!name.is_valid()) return Error::format("invalid model name '{}'", name.display_shortest());
  CORRAL_ASSIGN_OR_RETURN(StoreLock lock, StoreLock::acquire(store));
  Builder b{store, options, {}, {}};

  std::vector<std::pair<std::string, std::string>> params;
  ordered_json messages = ordered_json::array();
  std::vector<const ModelfileCommand*> adapters, licenses;
  const ModelfileCommand *template_cmd = nullptr, *system = nullptr;
  bool have_from = false;
  for (const auto& c : modelfile.commands) {
    auto at_line = [&](Error e) { return std::move(e).with_context(fmt::format("(line {})", c.line)); };
    if (c.name == "from") {
      have_from = true;
      fs::path p = resolve_path(c.args, dir);
      std::error_code ec;
      if (fs::exists(p, ec)) {
        auto layer = b.add_gguf(p, false);
        if (!layer.ok()) return at_line(std::move(layer).error());
        b.layers.push_back(std::move(*layer));
      } else {
        auto from = ModelName::parse(c.args);
        if (!from.ok()) return at_line(Error::format("{}: no such file, and not a model name", c.args));
        if (auto st = b.inherit(*from); !st.ok()) return at_line(std::move(st).error());
      }
    } else if (c.name == "adapter") {
      adapters.push_back(&c);
    } else if (c.name == "template") {
      template_cmd = &c;
    } else if (c.name == "system") {
      system = &c;
    } else if (c.name == "license") {
      licenses.push_back(&c);
    } else if (c.name == "message") {
      auto [role, content] = split_message_args(c.args);
      messages.push_back({{"role", role}, {"content", content}});
    } else if (c.name == "requires") {
      b.config.requires_version = c.args;
    } else if (c.name == "renderer") {
      b.config.renderer = c.args;
    } else if (c.name == "parser") {
      b.config.parser = c.args;
    } else if (c.name == "draft") {
      return Error::format("(line {}): DRAFT is not supported yet", c.line);
    } else if (!is_instruction(c.name)) {
      params.emplace_back(c.name, c.args);
    }
  }
  if (!have_from) return Error("no FROM line");

  if (!adapters.empty()) b.remove(kMediaAdapter);
  for (const auto* c : adapters) {
    auto layer = b.add_gguf(resolve_path(c->args, dir), true);
    if (!layer.ok()) return std::move(layer).error().with_context(fmt::format("(line {})", c->line));
    b.layers.push_back(std::move(*layer));
  }
  if (template_cmd) {
    if (auto t = tmpl::GoTemplate::parse(template_cmd->args); !t.ok())
      return std::move(t).error().with_context(fmt::format("(line {}): invalid template", template_cmd->line));
    b.remove(kMediaTemplate);
    CORRAL_TRY(b.add_text(kMediaTemplate, template_cmd->args));
  }
  if (system) {
    b.remove(kMediaSystem);
    if (!system->args.empty()) CORRAL_TRY(b.add_text(kMediaSystem, system->args));
  }
  for (const auto* c : licenses) CORRAL_TRY(b.add_text(kMediaLicense, c->args));
  CORRAL_ASSIGN_OR_RETURN(ordered_json new_params, parameters_to_json(params));
  CORRAL_ASSIGN_OR_RETURN(ordered_json old_params, b.inherited_params());
  ordered_json merged = merge_parameters(old_params, new_params);
  if (!merged.empty()) {
    b.remove(kMediaParams);
    CORRAL_TRY(b.add_text(kMediaParams, go_json(merged, {.sort_keys = true, .float32 = true})));
  }
  if (!messages.empty()) {
    b.remove(kMediaMessages);
    CORRAL_TRY(b.add_text(kMediaMessages, go_json(messages)));
  }

  for (const auto& l : b.layers) b.config.diff_ids.push_back(l.digest);
  CORRAL_ASSIGN_OR_RETURN(BlobInfo config_blob, write_blob(store, serialize_config(b.config)));
  Manifest manifest;
  manifest.config = {std::string(kConfigMediaType), config_blob.digest, config_blob.size, "", ""};
  manifest.layers = std::move(b.layers);

  // Blobs the old manifest of this name used, to drop if nothing references them any more.
  std::vector<std::string> old_blobs;
  if (auto existing = store.find(name)) {
    if (auto old = read_manifest(store.manifests_dir() / existing->manifest_relative_path()); old.ok())
      old_blobs = old->manifest.blob_digests();
  }
  b.status("writing manifest");
  CORRAL_TRY(write_manifest(store, name, manifest));
  if (!old_blobs.empty()) CORRAL_TRY(remove_unreferenced(store, old_blobs));
  b.status("success");
  return {};
}

}  // namespace corral::store
