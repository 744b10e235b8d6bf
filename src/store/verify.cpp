// Store verification: every blob a manifest names is re-hashed and, for GGUF layers, opened with
// the GGUF reader; problems are collected per model, each naming the exact file.
#include "store/verify.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <mutex>
#include <system_error>

#include "base/sha256.h"
#include "base/thread_pool.h"
#include "base/units.h"
#include "gguf/file.h"
#include "store/sniff.h"

namespace corral::store {
namespace fs = std::filesystem;
namespace {

constexpr size_t kMaxVerifyThreads = 4;

bool is_gguf_media(std::string_view media) {
  return media == kMediaModel || media == kMediaProjector || media == kMediaAdapter || media == kMediaDraft;
}

// "model", "template", … or "config": what a blob is to the manifest that names it.
std::string role_of(std::string_view media) {
  constexpr std::string_view kPrefix = "application/vnd.ollama.image.";
  if (media.starts_with(kPrefix)) return std::string(media.substr(kPrefix.size()));
  if (media == kConfigMediaType) return "config";
  return std::string(media);
}

// The message without the "<path>: " the reader put in front, since the report already names
// the file at the start of the line.
std::string without_path(std::string message, const fs::path& path) {
  const std::string prefix = path.string() + ": ";
  for (size_t at = message.find(prefix); at != std::string::npos; at = message.find(prefix, at))
    message.erase(at, prefix.size());
  return message;
}

// One blob to check: what the manifests say about it and who uses it.
struct BlobUse {
  std::string digest;  // "sha256:<hex>"
  int64_t size = 0;
  std::string role;
  bool gguf = false;
  bool referenced = true;
  std::vector<size_t> models;  // indices into the report's models
};

// What was found on disk.
struct BlobState {
  bool exists = false;
  uint64_t size = 0;
  std::string digest;  // "sha256:<hex>" of the bytes; empty when unreadable
  std::string read_error;
  std::string gguf_problem;
};

BlobState check_blob(const fs::path& path, bool gguf) {
  BlobState st;
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) return st;
  st.exists = true;
  st.size = fs::file_size(path, ec);
  auto hex = sha256_file_hex(path);
  if (!hex.ok()) {
    st.read_error = hex.error().to_string();
    return st;
  }
  st.digest = "sha256:" + *hex;
  if (gguf && !GgufFile::open(path).ok()) st.gguf_problem = without_path(describe_non_gguf(path), path);
  return st;
}

class Verifier {
 public:
  Verifier(const Store& store, const VerifyOptions& options) : store_(store), options_(options) {}

  Result<VerifyReport> run() {
    std::error_code ec;
    if (!fs::is_directory(store_.root(), ec))
      return Error::format("no model store at {} (set CORRAL_MODELS or OLLAMA_MODELS)", store_.root().string());
    std::vector<ManifestEntry> entries;
    if (options_.only) {
      auto found = store_.find(*options_.only);
      if (!found) return Error::format("model '{}' not found", options_.only->display_shortest());
      entries.push_back({*found, store_.manifests_dir() / found->manifest_relative_path()});
    } else {
      entries = store_.list_manifests();
    }
    for (size_t i = 0; i < entries.size(); ++i) add_model(i, entries[i]);
    if (!options_.only) add_unreferenced_blobs();
    check_all();
    std::stable_sort(report_.models.begin(), report_.models.end(),
                     [](const ModelReport& a, const ModelReport& b) { return a.name < b.name; });
    return std::move(report_);
  }

 private:
  void add_model(size_t index, const ManifestEntry& entry) {
    ModelReport& m = report_.models.emplace_back();
    m.name = entry.name.display_shortest();
    m.manifest_path = entry.path;
    auto stored = read_manifest(entry.path);
    if (!stored.ok()) {
      m.problems.push_back(
          {ProblemKind::kManifestUnparsable,
           entry.path,
           fmt::format("manifest does not parse: {}", without_path(stored.error().to_string(), entry.path)),
           {m.name}});
      return;
    }
    std::vector<const Layer*> layers{&stored->manifest.config};
    for (const auto& l : stored->manifest.layers) layers.push_back(&l);
    for (const Layer* l : layers) {
      auto digest = parse_digest(l->digest);
      if (!digest.ok()) {
        m.problems.push_back({ProblemKind::kManifestUnparsable, entry.path, digest.error().to_string(), {m.name}});
        continue;
      }
      auto [it, inserted] = index_.try_emplace(*digest, blobs_.size());
      if (inserted) blobs_.push_back({*digest, l->size, role_of(l->media_type), false, true, {}});
      BlobUse& use = blobs_[it->second];
      use.gguf = use.gguf || is_gguf_media(l->media_type);
      if (use.models.empty() || use.models.back() != index) use.models.push_back(index);
    }
  }

  // Complete-looking blobs no manifest names: a file under a final name must hold those bytes.
  void add_unreferenced_blobs() {
    std::error_code ec;
    for (fs::directory_iterator it(store_.blobs_dir(), ec), end; !ec && it != end; it.increment(ec)) {
      std::string name = it->path().filename().string();
      if (!is_blob_file_name(name)) continue;
      std::string digest = "sha256:" + name.substr(7);
      if (index_.count(digest)) continue;
      std::error_code size_ec;
      auto size = static_cast<int64_t>(fs::file_size(it->path(), size_ec));
      index_.emplace(digest, blobs_.size());
      blobs_.push_back({digest, size, "unreferenced", false, false, {}});
    }
  }

  void check_all() {
    std::vector<BlobState> states(blobs_.size());
    size_t threads = options_.threads ? options_.threads : std::min(physical_core_count(), kMaxVerifyThreads);
    ThreadPool pool(std::max<size_t>(1, std::min(threads, std::max<size_t>(blobs_.size(), 1))));
    std::mutex callback_mutex;
    pool.parallel_for(0, blobs_.size(), 1, [&](size_t b, size_t e) {
      for (size_t i = b; i < e; ++i) {
        fs::path path = store_.blob_path(blobs_[i].digest);
        if (options_.on_blob) {
          std::lock_guard lock(callback_mutex);
          options_.on_blob(path, static_cast<uint64_t>(std::max<int64_t>(blobs_[i].size, 0)));
        }
        states[i] = check_blob(path, blobs_[i].gguf);
      }
    });
    for (size_t i = 0; i < blobs_.size(); ++i) record(blobs_[i], states[i]);
  }

  void record(const BlobUse& use, const BlobState& st) {
    fs::path path = store_.blob_path(use.digest);
    if (st.exists) {
      ++report_.blobs_checked;
      report_.bytes_hashed += st.size;
    }
    if (!use.referenced) {
      if (st.exists && st.read_error.empty() && st.digest != use.digest)
        report_.store_problems.push_back(
            {ProblemKind::kCorruptOrphan,
             path,
             fmt::format("no manifest names this blob, and its {} bytes hash to {}: a partial or damaged file under "
                         "a final name",
                         st.size, st.digest),
             {}});
      return;
    }
    std::vector<std::string> users;
    for (size_t m : use.models) users.push_back(report_.models[m].name);
    auto add = [&](ProblemKind kind, std::string detail) {
      for (size_t m : use.models) report_.models[m].problems.push_back({kind, path, detail, users});
    };
    if (!st.exists) {
      add(ProblemKind::kMissingBlob, fmt::format("missing ({} layer, {} bytes)", use.role, use.size));
      return;
    }
    if (!st.read_error.empty()) {
      add(ProblemKind::kUnreadableBlob, fmt::format("cannot be read: {}", st.read_error));
      return;
    }
    if (st.digest != use.digest) {
      std::string size_note = static_cast<int64_t>(st.size) == use.size
                                  ? fmt::format("{} bytes as expected", st.size)
                                  : fmt::format("{} bytes, the manifest says {}", st.size, use.size);
      add(ProblemKind::kDigestMismatch,
          fmt::format("digest mismatch ({} layer): the bytes hash to {} ({})", use.role, st.digest, size_note));
    }
    if (!st.gguf_problem.empty())
      add(ProblemKind::kBadGguf, fmt::format("{} layer is not a usable GGUF: {}", use.role, st.gguf_problem));
  }

  const Store& store_;
  const VerifyOptions& options_;
  VerifyReport report_;
  std::vector<BlobUse> blobs_;
  std::map<std::string, size_t> index_;
};

}  // namespace

std::string Problem::to_string() const {
  return fmt::format("{}: {}", file.string(), detail);
}

bool VerifyReport::ok() const {
  return store_problems.empty() && std::all_of(models.begin(), models.end(), [](const auto& m) { return m.ok(); });
}

Result<VerifyReport> verify_store(const Store& store, const VerifyOptions& options) {
  return Verifier(store, options).run();
}

std::string format_verify_report(const VerifyReport& report) {
  std::string out;
  size_t n_problems = 0, broken = 0;
  for (const auto& m : report.models) {
    if (m.ok()) {
      out += fmt::format("{}: OK\n", m.name);
      continue;
    }
    ++broken;
    out += fmt::format("{}: BROKEN ({})\n", m.name, m.manifest_path.string());
    for (const auto& p : m.problems) {
      ++n_problems;
      std::string others;
      for (const auto& u : p.models)
        if (u != m.name) others += (others.empty() ? "" : ", ") + u;
      out += fmt::format("  {}{}\n", p.to_string(), others.empty() ? "" : fmt::format(" (also used by {})", others));
    }
  }
  for (const auto& p : report.store_problems) {
    ++n_problems;
    out += fmt::format("store: {}\n", p.to_string());
  }
  out += fmt::format(
      "{} model{} checked, {} broken; {} blob{} ({}) re-hashed; {}\n", report.models.size(),
      report.models.size() == 1 ? "" : "s", broken, report.blobs_checked, report.blobs_checked == 1 ? "" : "s",
      human_bytes(static_cast<int64_t>(report.bytes_hashed)),
      n_problems == 0 ? "no problems" : fmt::format("{} problem{}", n_problems, n_problems == 1 ? "" : "s"));
  return out;
}

ModelHealth quick_check(const Store& store, const Manifest& manifest) {
  std::vector<const Layer*> layers{&manifest.config};
  for (const auto& l : manifest.layers) layers.push_back(&l);
  for (const Layer* l : layers) {
    auto digest = parse_digest(l->digest);
    if (!digest.ok()) return {false, digest.error().to_string()};
    fs::path path = store.blob_path(*digest);
    std::error_code ec;
    auto size = fs::file_size(path, ec);
    if (ec) return {false, fmt::format("missing blob {}", path.filename().string())};
    if (static_cast<int64_t>(size) != l->size)
      return {false, fmt::format("blob {} is {} bytes, the manifest says {}", path.filename().string(), size, l->size)};
  }
  return {};
}

}  // namespace corral::store
