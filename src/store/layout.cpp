// Store paths, digest forms and manifest enumeration.
#include "store/layout.h"

#include <algorithm>
#include <cctype>
#include <system_error>

namespace corral::store {
namespace fs = std::filesystem;
namespace {

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

// The entry of `dir` equal to `part` ignoring case; exact matches win.
std::optional<std::string> find_folded(const fs::path& dir, const std::string& part) {
  std::error_code ec;
  if (fs::exists(dir / part, ec)) return part;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::string entry = it->path().filename().string();
    if (iequals(entry, part)) return entry;
  }
  return std::nullopt;
}

}  // namespace

Result<std::string> parse_digest(std::string_view text) {
  if (text.size() != 71 || !(text.starts_with("sha256:") || text.starts_with("sha256-")))
    return Error::format("invalid digest '{}': want sha256:<64 hex digits>", text);
  std::string out = "sha256:";
  for (char c : text.substr(7)) {
    if (!std::isxdigit(static_cast<unsigned char>(c)))
      return Error::format("invalid digest '{}': want sha256:<64 hex digits>", text);
    out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

std::string blob_file_name(std::string_view digest) {
  return "sha256-" + std::string(digest.substr(7));
}

bool is_blob_file_name(std::string_view name) {
  return name.size() == 71 && name.starts_with("sha256-") &&
         std::all_of(name.begin() + 7, name.end(), [](char c) { return std::isdigit(c) || (c >= 'a' && c <= 'f'); });
}

Result<Store> Store::from_env(const Env& env) {
  if (auto v = env.get("MODELS")) return Store(fs::path(v->value));
  auto home = env.raw("HOME");
  if (!home || home->empty()) return Error("cannot find the model store: set CORRAL_MODELS or HOME");
  return Store(fs::path(*home) / ".corral" / "models");
}

fs::path Store::blob_path(std::string_view digest) const {
  return blobs_dir() / blob_file_name(digest);
}

std::optional<ModelName> Store::find(const ModelName& name) const {
  ModelName out = name;
  fs::path dir = manifests_dir();
  for (std::string* part : {&out.host, &out.name_space, &out.model, &out.tag}) {
    auto found = find_folded(dir, *part);
    if (!found) return std::nullopt;
    *part = *found;
    dir /= *part;
  }
  std::error_code ec;
  if (!fs::is_regular_file(dir, ec)) return std::nullopt;
  return out;
}

fs::path Store::manifest_path(const ModelName& name) const {
  ModelName on_disk = find(name).value_or(name);
  return manifests_dir() / on_disk.manifest_relative_path();
}

std::vector<ManifestEntry> Store::list_manifests() const {
  std::vector<ManifestEntry> out;
  std::error_code ec;
  fs::path base = manifests_dir();
  for (fs::recursive_directory_iterator it(base, ec), end; !ec && it != end; it.increment(ec)) {
    if (it.depth() < 3) continue;
    it.disable_recursion_pending();
    if (!it->is_regular_file(ec)) continue;
    std::string rel = fs::relative(it->path(), base, ec).generic_string();
    auto name = ModelName::from_relative_path(rel);
    if (name.ok()) out.push_back({std::move(*name), it->path()});
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.path < b.path; });
  return out;
}

Status Store::ensure_dirs() const {
  std::error_code ec;
  for (const fs::path& d : {root_, manifests_dir(), blobs_dir()}) {
    fs::create_directories(d, ec);
    if (ec) return Error::format("{}: cannot create directory: {}", d.string(), ec.message());
  }
  return {};
}

}  // namespace corral::store
