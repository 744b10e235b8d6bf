// list, cp, rm, prune on the store.
#include "store/ops.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <set>
#include <sstream>

#include "base/atomic_file.h"
#include "base/log.h"
#include "base/read_file.h"
#include "base/sha256.h"
#include "base/sys_error.h"
#include "store/blob_store.h"
#include "store/verify.h"

namespace corral::store {
namespace fs = std::filesystem;
namespace {

// The first problem with the blobs a manifest names, or "".
std::string blob_problem(const Store& store, const Manifest& m) {
  return quick_check(store, m).problem;
}

void remove_empty_parents(const fs::path& file, const fs::path& stop) {
  std::error_code ec;
  for (fs::path dir = file.parent_path(); dir != stop && dir.string().size() > stop.string().size();
       dir = dir.parent_path()) {
    if (!fs::is_empty(dir, ec) || ec) break;
    fs::remove(dir, ec);
  }
}

}  // namespace

std::vector<ModelListing> list_models(const Store& store) {
  std::vector<ModelListing> out;
  for (const auto& e : store.list_manifests()) {
    ModelListing row{e.name, e.path, "", 0, {}, ""};
    std::error_code ec;
    row.modified = fs::last_write_time(e.path, ec);
    auto bytes = read_whole_file(e.path);
    if (!bytes.ok()) {
      row.problem = "manifest unreadable";
    } else {
      row.id = Sha256::hex_of(std::as_bytes(std::span(bytes->data(), bytes->size())));
      auto m = parse_manifest(*bytes, e.path.string());
      if (!m.ok()) {
        row.problem = "manifest does not parse";
      } else {
        row.size = m->total_size();
        row.problem = blob_problem(store, *m);
      }
    }
    out.push_back(std::move(row));
  }
  std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.modified > b.modified; });
  return out;
}

Result<FoundModel> open_model(const Store& store, const ModelName& name) {
  auto found = store.find(name);
  if (!found) return Error::format("model '{}' not found", name.display_shortest());
  fs::path path = store.manifests_dir() / found->manifest_relative_path();
  CORRAL_ASSIGN_OR_RETURN(StoredManifest stored, read_manifest(path));
  return FoundModel{*found, path, std::move(stored)};
}

Result<std::string> read_blob_text(const Store& store, std::string_view digest) {
  return read_whole_file(store.blob_path(digest));
}

Status copy_model(const Store& store, const ModelName& from, const ModelName& to) {
  CORRAL_ASSIGN_OR_RETURN(StoreLock lock, StoreLock::acquire(store));
  CORRAL_ASSIGN_OR_RETURN(FoundModel src, open_model(store, from));
  CORRAL_ASSIGN_OR_RETURN(std::string bytes, read_whole_file(src.path));
  if (std::string why = blob_problem(store, src.stored.manifest); !why.empty())
    return Error::format("model '{}' is broken: {}", src.name.display_shortest(), why);
  fs::path dst = store.manifest_path(to);
  std::error_code ec;
  fs::create_directories(dst.parent_path(), ec);
  if (ec) return Error::format("{}: cannot create directory: {}", dst.parent_path().string(), ec.message());
  return write_file_atomic(dst, bytes);  // the same bytes, so the same model ID
}

Result<std::vector<std::string>> remove_model(const Store& store, const ModelName& name) {
  CORRAL_ASSIGN_OR_RETURN(StoreLock lock, StoreLock::acquire(store));
  auto found = store.find(name);
  if (!found) return Error::format("model '{}' not found", name.display_shortest());
  fs::path path = store.manifests_dir() / found->manifest_relative_path();
  std::vector<std::string> blobs;
  if (auto m = read_manifest(path); m.ok()) blobs = m->manifest.blob_digests();
  // The manifest goes first: a crash after this leaves unreferenced blobs (prune removes them),
  // never a manifest that names a missing blob.
  if (::unlink(path.c_str()) != 0) return Error::format("{}: cannot remove: {}", path.string(), errno_text(errno));
  CORRAL_TRY(fsync_directory(path.parent_path()));
  remove_empty_parents(path, store.manifests_dir());
  return remove_unreferenced(store, blobs);
}

Result<PruneResult> prune(const Store& store, std::chrono::seconds grace) {
  CORRAL_ASSIGN_OR_RETURN(StoreLock lock, StoreLock::acquire(store));
  std::set<std::string> referenced;
  for (const auto& e : store.list_manifests()) {
    auto m = read_manifest(e.path);
    if (!m.ok()) return std::move(m).error().with_context("not pruning: a manifest does not parse");
    for (auto& d : m->manifest.blob_digests()) referenced.insert(blob_file_name(d));
  }
  PruneResult result;
  auto now = fs::file_time_type::clock::now();
  std::error_code ec;
  for (fs::directory_iterator it(store.blobs_dir(), ec), end; !ec && it != end; it.increment(ec)) {
    std::string file = it->path().filename().string();
    if (referenced.count(file)) continue;
    std::error_code ec2;
    auto age = now - fs::last_write_time(it->path(), ec2);
    if (ec2 || age < grace) continue;
    uint64_t size = it->is_regular_file(ec2) ? fs::file_size(it->path(), ec2) : 0;
    if (fs::remove(it->path(), ec2)) {
      result.removed.push_back(it->path());
      result.bytes += size;
    }
  }
  // Empty manifest directories (left by an interrupted rm).
  std::vector<fs::path> dirs;
  for (fs::recursive_directory_iterator it(store.manifests_dir(), ec), end; !ec && it != end; it.increment(ec))
    if (it->is_directory()) dirs.push_back(it->path());
  std::sort(dirs.rbegin(), dirs.rend());
  for (const auto& d : dirs)
    if (fs::is_empty(d, ec)) fs::remove(d, ec);
  if (!result.removed.empty()) CORRAL_TRY(fsync_directory(store.blobs_dir()));
  return result;
}

std::string human_time_ago(double seconds) {
  auto s = static_cast<long long>(seconds);
  std::string d;
  if (s < 1) {
    d = "Less than a second";
  } else if (s == 1) {
    d = "1 second";
  } else if (s < 60) {
    d = fmt::format("{} seconds", s);
  } else if (s / 60 == 1) {
    d = "About a minute";
  } else if (s / 60 < 60) {
    d = fmt::format("{} minutes", s / 60);
  } else {
    auto hours = static_cast<long long>(std::round(seconds / 3600));
    if (hours == 1) {
      d = "About an hour";
    } else if (hours < 48) {
      d = fmt::format("{} hours", hours);
    } else if (hours < 24 * 7 * 2) {
      d = fmt::format("{} days", hours / 24);
    } else if (hours < 24 * 30 * 2) {
      d = fmt::format("{} weeks", hours / 24 / 7);
    } else if (hours < 24 * 365 * 2) {
      d = fmt::format("{} months", hours / 24 / 30);
    } else {
      d = fmt::format("{} years", static_cast<long long>(seconds / 3600 / 24 / 365));
    }
  }
  return d + " ago";
}

}  // namespace corral::store
