// The registry client: a session per model (base URL, auth token, retries) and the pull and push
// flows of Ollama (ollama-reference §4.5). Blobs download sequentially, one stream per blob, into
// a -partial file that a later pull resumes with a Range request.
#include "store/registry.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>
#include <vector>

#include "base/atomic_file.h"
#include "base/log.h"
#include "base/read_file.h"
#include "base/sha256.h"
#include "base/sys_error.h"
#include "base/unique_fd.h"
#include "store/blob_store.h"
#include "store/http.h"
#include "store/manifest.h"
#include "store/ops.h"

namespace corral::store {
namespace fs = std::filesystem;
namespace {

constexpr std::string_view kOciManifestType = "application/vnd.oci.image.manifest.v1+json";
constexpr size_t kMaxManifestBytes = 8 << 20;
constexpr auto kProgressEvery = std::chrono::milliseconds(100);

RegistryEvent status_event(std::string status) {
  RegistryEvent e;
  e.status = std::move(status);
  return e;
}

bool cancelled(const RegistryOptions& o) {
  return o.cancel && o.cancel->load();
}

std::string short_hex(std::string_view digest) {
  return std::string(digest.substr(7, 12));
}

// The message of a registry's error body ({"errors":[{"code","message"}]}), else the status.
std::string registry_message(const HttpResponse& r) {
  auto j = nlohmann::json::parse(r.body, nullptr, false);
  if (j.is_object() && j.contains("errors") && j["errors"].is_array() && !j["errors"].empty()) {
    const auto& e = j["errors"][0];
    std::string code = e.value("code", "");
    std::string message = e.value("message", "");
    if (!message.empty()) return code.empty() ? message : fmt::format("{} ({})", message, code);
  }
  return fmt::format("HTTP status {}", r.status);
}

// One repository on one registry: URLs, the auth token once earned, retries with backoff.
class Session {
 public:
  Session(const ModelName& name, const RegistryOptions& options, std::string actions)
      : name_(name), options_(options), actions_(std::move(actions)) {
    http_.set_user_agent(options.user_agent);
  }

  std::string repo_url() const {
    return fmt::format("{}://{}/v2/{}/{}", options_.insecure ? "http" : "https", name_.host, name_.name_space,
                       name_.model);
  }
  const RegistryOptions& options() const { return options_; }
  // A session for another thread: the same repository and token, its own connection.
  Session fork() const {
    Session s(name_, options_, actions_);
    s.authorization_ = authorization_;
    s.basic_ = basic_;
    return s;
  }

  // Sends the request `make()` builds (again for each attempt, so a resumed download can move its
  // Range). Retries transient transport errors and 5xx answers; answers a 401 challenge once.
  Result<HttpResponse> send(const std::function<HttpRequest()>& make) {
    bool authenticated_here = false;
    auto backoff = options_.first_backoff;
    for (int attempt = 1;; ++attempt) {
      if (cancelled(options_)) return Error("cancelled");
      HttpRequest req = make();
      req.stall_seconds = options_.stall_seconds;
      if (!authorization_.empty()) req.headers.push_back("Authorization: " + authorization_);
      if (basic_) {
        req.username = options_.username;
        req.password = options_.password;
      }
      auto res = http_.perform(req);
      bool last = attempt >= options_.max_attempts;
      if (!res.ok()) {
        if (http_.last_failure() != HttpFailure::kTransient || last) return std::move(res).error();
        LOG_WARN("{} (attempt {} of {}); retrying in {} ms", res.error().to_string(), attempt, options_.max_attempts,
                 backoff.count());
      } else if (res->status == 401 && !authenticated_here) {
        CORRAL_TRY(authenticate(*res));
        authenticated_here = true;
        --attempt;  // the retry with the token is not a failure
        continue;
      } else if (res->status >= 500 && !last) {
        LOG_WARN("{} answered {} (attempt {} of {}); retrying in {} ms", name_.host, res->status, attempt,
                 options_.max_attempts, backoff.count());
      } else {
        return res;
      }
      std::this_thread::sleep_for(backoff);
      backoff *= 2;
    }
  }

  Error unauthorized(const HttpResponse& r) const {
    return Error::format("unauthorized: {} refused access to {}/{} ({}){}", name_.host, name_.name_space, name_.model,
                         registry_message(r),
                         options_.username.empty() ? "; set CORRAL_REGISTRY_USER and CORRAL_REGISTRY_PASSWORD" : "");
  }

 private:
  // The Bearer flow: GET realm?service=…&scope=… (with basic credentials when given) → token. A
  // Basic challenge takes the credentials directly.
  Status authenticate(const HttpResponse& challenge_response) {
    AuthChallenge c = parse_auth_challenge(challenge_response.header("WWW-Authenticate"));
    if (c.scheme == "basic") {
      if (options_.username.empty()) return unauthorized(challenge_response);
      basic_ = true;
      return {};
    }
    if (c.scheme != "bearer" || c.param("realm").empty()) return unauthorized(challenge_response);
    std::string scope = c.param("scope");
    if (scope.empty()) scope = fmt::format("repository:{}/{}:{}", name_.name_space, name_.model, actions_);
    std::string url = c.param("realm");
    url += url.find('?') == std::string::npos ? '?' : '&';
    url += "service=" + url_encode(c.param("service")) + "&scope=" + url_encode(scope);
    HttpRequest req;
    req.url = url;
    req.username = options_.username;
    req.password = options_.password;
    req.stall_seconds = options_.stall_seconds;
    auto res = http_.perform(req);
    if (!res.ok()) return std::move(res).error().with_context("getting a registry token");
    if (res->status == 401 || res->status == 403)
      return Error::format("unauthorized: the token service {} refused {}", c.param("realm"),
                           options_.username.empty() ? "an anonymous request; set CORRAL_REGISTRY_USER and "
                                                       "CORRAL_REGISTRY_PASSWORD"
                                                     : "the credentials of " + options_.username);
    if (res->status != 200)
      return Error::format("getting a registry token from {}: {}", c.param("realm"), registry_message(*res));
    auto j = nlohmann::json::parse(res->body, nullptr, false);
    std::string token;
    if (j.is_object()) token = j.value("token", j.value("access_token", ""));
    if (token.empty()) return Error::format("the token service {} answered no token", c.param("realm"));
    authorization_ = "Bearer " + token;
    return {};
  }

  ModelName name_;
  RegistryOptions options_;
  std::string actions_;  // "pull" or "pull,push"
  HttpClient http_;
  std::string authorization_;
  bool basic_ = false;
};

// Emits transfer events at most every 100 ms, and always the first and the last.
class Ticker {
 public:
  Ticker(const RegistryProgressFn& fn, std::string status, std::string digest, int64_t total)
      : fn_(fn), event_{std::move(status), std::move(digest), total, 0} {}
  void update(int64_t completed, bool force = false) {
    auto now = std::chrono::steady_clock::now();
    event_.completed = completed;
    if (!force && completed < event_.total && now - last_ < kProgressEvery) return;
    last_ = now;
    if (fn_) fn_(event_);
  }

 private:
  const RegistryProgressFn& fn_;
  RegistryEvent event_;
  std::chrono::steady_clock::time_point last_{};
};

// ---- pull ----

// Opens blobs/sha256-<hex>-partial and takes an exclusive flock on it, so two pulls of one blob
// take turns: the second finds the blob complete. Retries when the file it locked was renamed or
// deleted (by the pull that held the lock) in the meantime.
Result<UniqueFd> open_locked_partial(const fs::path& partial) {
  for (;;) {
    int fd = ::open(partial.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return Error::format("{}: cannot open: {}", partial.string(), errno_text(errno));
    UniqueFd file(fd);
    while (::flock(fd, LOCK_EX) != 0)
      if (errno != EINTR) return Error::format("{}: cannot lock: {}", partial.string(), errno_text(errno));
    struct stat mine {
    }, named{};
    if (::fstat(fd, &mine) != 0) return Error::format("{}: {}", partial.string(), errno_text(errno));
    if (::stat(partial.c_str(), &named) == 0 && named.st_ino == mine.st_ino && named.st_dev == mine.st_dev) return file;
  }
}

// Appends the blob's bytes to its -partial file with one stream, resuming from the file's size.
Status download_sequential(Session& session, int fd, const fs::path& partial, const Layer& blob,
                           const RegistryProgressFn& progress) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return Error::format("{}: {}", partial.string(), errno_text(errno));
  int64_t offset = st.st_size;
  if (offset > blob.size) {  // not this blob's bytes: start again
    if (::ftruncate(fd, 0) != 0) return Error::format("{}: {}", partial.string(), errno_text(errno));
    offset = 0;
  }
  if (offset > 0) LOG_INFO("resuming {} at byte {} of {}", blob.digest, offset, blob.size);
  Ticker ticker(progress, "pulling " + short_hex(blob.digest), blob.digest, blob.size);
  ticker.update(offset, true);

  std::string write_error;
  std::string url = session.repo_url() + "/blobs/" + blob.digest;
  int short_reads = 0;
  while (offset < blob.size) {
    bool first_chunk = true;
    auto res = session.send([&] {
      first_chunk = true;
      HttpRequest req;
      req.url = url;
      if (offset > 0) req.headers.push_back(fmt::format("Range: bytes={}-", offset));
      req.on_data = [&](long status, std::string_view chunk) {
        if (cancelled(session.options())) return false;
        if (first_chunk && status == 200 && offset > 0) {  // the server ignored the Range
          if (::ftruncate(fd, 0) != 0) {
            write_error = errno_text(errno);
            return false;
          }
          offset = 0;
        }
        first_chunk = false;
        if (offset + static_cast<int64_t>(chunk.size()) > blob.size) {
          write_error = fmt::format("the registry sent more than the blob's {} bytes", blob.size);
          return false;
        }
        while (!chunk.empty()) {
          ssize_t w = ::pwrite(fd, chunk.data(), chunk.size(), offset);
          if (w < 0) {
            if (errno == EINTR) continue;
            write_error = errno_text(errno);
            return false;
          }
          chunk.remove_prefix(static_cast<size_t>(w));
          offset += w;
        }
        ticker.update(offset);
        return true;
      };
      return req;
    });
    if (!write_error.empty()) return Error::format("{}: write failed: {}", partial.string(), write_error);
    if (!res.ok()) return std::move(res).error().with_context("downloading " + blob.digest);
    if (res->status == 401 || res->status == 403) return session.unauthorized(*res);
    if (res->status == 416 && offset == blob.size) break;
    if (res->status < 200 || res->status >= 300)
      return Error::format("downloading {}: {}", blob.digest, registry_message(*res));
    if (offset < blob.size && ++short_reads >= session.options().max_attempts)
      return Error::format("downloading {}: the registry kept ending the transfer early ({} of {} bytes)", blob.digest,
                           offset, blob.size);
  }
  ticker.update(offset, true);
  return {};
}

// One ranged part of a large blob; its progress is checkpointed to <partial>-<n> as Ollama's
// {"N","Offset","Size","Completed"} JSON, so a killed pull resumes each part where it stood.
struct Part {
  int n = 0;
  int64_t offset = 0;
  int64_t size = 0;
  int64_t completed = 0;
};

std::vector<Part> plan_parts(int64_t size, int64_t min_part) {
  int64_t part = std::clamp<int64_t>(size / 16, min_part, min_part * 10);
  std::vector<Part> parts;
  for (int64_t off = 0; off < size; off += part)
    parts.push_back({static_cast<int>(parts.size()), off, std::min(part, size - off), 0});
  return parts;
}

fs::path part_path(const fs::path& partial, int n) {
  return fs::path(partial.string() + "-" + std::to_string(n));
}

// The completed bytes recorded for `part`, 0 when there is no valid record.
int64_t recorded_completed(const fs::path& partial, const Part& part) {
  auto text = read_whole_file(part_path(partial, part.n));
  if (!text.ok()) return 0;
  auto j = nlohmann::json::parse(*text, nullptr, false);
  if (!j.is_object() || j.value("N", -1) != part.n || j.value("Offset", int64_t{-1}) != part.offset ||
      j.value("Size", int64_t{-1}) != part.size)
    return 0;
  return std::clamp<int64_t>(j.value("Completed", int64_t{0}), 0, part.size);
}

// The data first (fdatasync), then the record that claims it.
Status checkpoint(int fd, const fs::path& partial, const Part& part) {
  if (::fdatasync(fd) != 0) return Error::format("{}: fdatasync failed: {}", partial.string(), errno_text(errno));
  nlohmann::ordered_json j = {
      {"N", part.n}, {"Offset", part.offset}, {"Size", part.size}, {"Completed", part.completed}};
  return write_file_atomic(part_path(partial, part.n), j.dump());
}

// Progress shared by the part threads: one Ticker behind a mutex.
class SharedTicker {
 public:
  SharedTicker(const RegistryProgressFn& fn, const Layer& blob)
      : ticker_(fn, "pulling " + short_hex(blob.digest), blob.digest, blob.size) {}
  void add(int64_t bytes, bool force = false) {
    std::lock_guard lock(mu_);
    done_ += bytes;
    ticker_.update(done_, force);
  }

 private:
  std::mutex mu_;
  Ticker ticker_;
  int64_t done_ = 0;
};

// Downloads one part with its own connection; `stop` ends it early when another part failed.
Status download_part(Session& session, int fd, const fs::path& partial, const Layer& blob, Part& part,
                     SharedTicker& ticker, std::atomic<bool>& stop) {
  std::string url = session.repo_url() + "/blobs/" + blob.digest;
  std::string write_error;
  auto last_checkpoint = std::chrono::steady_clock::now();
  int short_reads = 0;
  while (part.completed < part.size) {
    auto res = session.send([&] {
      HttpRequest req;
      req.url = url;
      req.headers.push_back(
          fmt::format("Range: bytes={}-{}", part.offset + part.completed, part.offset + part.size - 1));
      req.on_data = [&](long status, std::string_view chunk) {
        if (stop || cancelled(session.options())) return false;
        if (status != 206) {
          write_error = "the registry ignored the Range header";
          return false;
        }
        if (part.completed + static_cast<int64_t>(chunk.size()) > part.size) {
          write_error = "the registry sent more than the part's bytes";
          return false;
        }
        while (!chunk.empty()) {
          ssize_t w = ::pwrite(fd, chunk.data(), chunk.size(), part.offset + part.completed);
          if (w < 0) {
            if (errno == EINTR) continue;
            write_error = errno_text(errno);
            return false;
          }
          chunk.remove_prefix(static_cast<size_t>(w));
          part.completed += w;
          ticker.add(w);
        }
        if (auto now = std::chrono::steady_clock::now(); now - last_checkpoint > std::chrono::milliseconds(200)) {
          last_checkpoint = now;
          if (Status c = checkpoint(fd, partial, part); !c.ok()) {
            write_error = c.error().to_string();
            return false;
          }
        }
        return true;
      };
      return req;
    });
    if (!write_error.empty()) return Error::format("{}: {}", partial.string(), write_error);
    if (stop) return {};
    if (!res.ok()) return std::move(res).error().with_context("downloading " + blob.digest);
    if (res->status == 401 || res->status == 403) return session.unauthorized(*res);
    if (res->status < 200 || res->status >= 300)
      return Error::format("downloading {}: {}", blob.digest, registry_message(*res));
    if (part.completed < part.size && ++short_reads >= session.options().max_attempts)
      return Error::format("downloading {}: the registry kept ending the transfer early", blob.digest);
  }
  return checkpoint(fd, partial, part);
}

// The parts of a large blob at once, each on its own connection, into the pre-sized -partial file.
Status download_parts(Session& session, int fd, const fs::path& partial, const Layer& blob, std::vector<Part> parts,
                      const RegistryProgressFn& progress) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return Error::format("{}: {}", partial.string(), errno_text(errno));
  bool fresh = st.st_size != blob.size;
  if (fresh && ::ftruncate(fd, blob.size) != 0)  // sparse until the parts fill it
    return Error::format("{}: cannot size to {} bytes: {}", partial.string(), blob.size, errno_text(errno));
  SharedTicker ticker(progress, blob);
  int64_t resumed = 0;
  for (auto& p : parts) {
    p.completed = fresh ? 0 : recorded_completed(partial, p);
    resumed += p.completed;
  }
  if (resumed > 0) LOG_INFO("resuming {} at {} of {} bytes ({} parts)", blob.digest, resumed, blob.size, parts.size());
  ticker.add(resumed, true);
  std::atomic<bool> stop{false};
  std::vector<Status> results(parts.size());
  std::vector<std::thread> threads;
  for (size_t i = 0; i < parts.size(); ++i) {
    threads.emplace_back([&, i, s = session.fork()]() mutable {
      results[i] = download_part(s, fd, partial, blob, parts[i], ticker, stop);
      if (!results[i].ok()) stop = true;
    });
  }
  for (auto& t : threads) t.join();
  for (const auto& r : results)
    if (!r.ok()) return r;
  ticker.add(0, true);
  for (const auto& p : parts) ::unlink(part_path(partial, p.n).c_str());
  // Temporary record files a killed pull left behind (".<partial>-N.tmp-XXXXXX").
  std::string stray = "." + partial.filename().string() + "-";
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(partial.parent_path(), ec))
    if (e.path().filename().string().starts_with(stray)) ::unlink(e.path().c_str());
  return {};
}

// Downloads the blob into its -partial file: one stream, or concurrent ranged parts when it is
// large. Returns the locked file (held until the blob is verified), or an empty one when another
// pull completed the blob meanwhile.
Result<UniqueFd> download_blob(Session& session, const Store& store, const Layer& blob,
                               const RegistryProgressFn& progress) {
  fs::path partial = partial_blob_path(store, blob.digest);
  CORRAL_ASSIGN_OR_RETURN(UniqueFd file, open_locked_partial(partial));
  if (blob_present(store, blob.digest, blob.size)) {
    ::unlink(partial.c_str());
    return UniqueFd();
  }
  std::vector<Part> parts = plan_parts(blob.size, session.options().min_part_size);
  if (parts.size() > 1) {
    CORRAL_TRY(download_parts(session, file.get(), partial, blob, std::move(parts), progress));
  } else {
    CORRAL_TRY(download_sequential(session, file.get(), partial, blob, progress));
  }
  if (::fsync(file.get()) != 0) return Error::format("{}: fsync failed: {}", partial.string(), errno_text(errno));
  return file;
}

// Hashes a complete -partial file and renames it to the blob's name; a wrong digest deletes it.
Status verify_and_commit(const Store& store, const Layer& blob) {
  fs::path partial = partial_blob_path(store, blob.digest);
  CORRAL_ASSIGN_OR_RETURN(std::string hex, sha256_file_hex(partial));
  if ("sha256:" + hex != blob.digest) {
    ::unlink(partial.c_str());
    return Error::format("downloaded blob {} has the wrong digest; it was deleted, pull again",
                         blob_file_name(blob.digest));
  }
  fs::path final_path = store.blob_path(blob.digest);
  if (::rename(partial.c_str(), final_path.c_str()) != 0)
    return Error::format("{}: rename failed: {}", final_path.string(), errno_text(errno));
  return fsync_directory(store.blobs_dir());
}

Result<std::string> fetch_manifest(Session& session, const ModelName& name) {
  std::string url = session.repo_url() + "/manifests/" + name.tag;
  CORRAL_ASSIGN_OR_RETURN(HttpResponse res, session.send([&] {
    HttpRequest req;
    req.url = url;
    req.headers = {fmt::format("Accept: {}, {}", kManifestMediaType, kOciManifestType)};
    return req;
  }));
  if (res.status == 404)
    return Error::format("model '{}:{}' not found in {}/{}", name.model, name.tag, name.host, name.name_space);
  if (res.status == 401 || res.status == 403) return session.unauthorized(res);
  if (res.status != 200) return Error::format("pulling manifest from {}: {}", name.host, registry_message(res));
  if (res.body.size() > kMaxManifestBytes)
    return Error::format("the manifest from {} is larger than {} bytes", name.host, kMaxManifestBytes);
  return std::move(res.body);
}

// Writes the manifest's exact bytes once every blob is present, then drops the blobs only the
// replaced manifest used.
Status install_manifest(const Store& store, const ModelName& name, const Manifest& manifest, const std::string& bytes,
                        const RegistryProgressFn& progress) {
  CORRAL_ASSIGN_OR_RETURN(StoreLock lock, StoreLock::acquire(store));
  std::vector<std::string> old_blobs;
  if (auto found = store.find(name)) {
    if (auto old = read_manifest(store.manifests_dir() / found->manifest_relative_path()); old.ok())
      old_blobs = old->manifest.blob_digests();
  }
  std::vector<const Layer*> all{&manifest.config};
  for (const auto& l : manifest.layers) all.push_back(&l);
  for (const Layer* l : all)
    if (!blob_present(store, l->digest, l->size))
      return Error::format("blob {} is missing after the download", l->digest);
  if (progress) progress(status_event("writing manifest"));
  fs::path path = store.manifest_path(name);
  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);
  if (ec) return Error::format("{}: cannot create directory: {}", path.parent_path().string(), ec.message());
  CORRAL_TRY(write_file_atomic(path, bytes));
  if (!old_blobs.empty()) {
    if (progress) progress(status_event("removing any unused layers"));
    CORRAL_TRY(remove_unreferenced(store, old_blobs));
  }
  return {};
}

// ---- push ----

// POST → PATCH chunks → PUT ?digest=. The bytes come from the stored blob file.
Status upload_blob(Session& session, const Store& store, const Layer& blob, const RegistryProgressFn& progress) {
  Ticker ticker(progress, "pushing " + short_hex(blob.digest), blob.digest, blob.size);
  ticker.update(0, true);
  CORRAL_ASSIGN_OR_RETURN(HttpResponse start, session.send([&] {
    HttpRequest req;
    req.method = "POST";
    req.url = session.repo_url() + "/blobs/uploads/";
    return req;
  }));
  if (start.status == 401 || start.status == 403) return session.unauthorized(start);
  if (start.status != 202) return Error::format("starting the upload of {}: {}", blob.digest, registry_message(start));
  std::string location = resolve_location(start.effective_url, start.header("Location"));

  fs::path path = store.blob_path(blob.digest);
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Error::format("{}: cannot open: {}", path.string(), errno_text(errno));
  UniqueFd file(fd);
  for (int64_t begin = 0; begin < blob.size;) {
    int64_t size = std::min(session.options().upload_chunk, blob.size - begin);
    int64_t pos = begin;
    CORRAL_ASSIGN_OR_RETURN(HttpResponse res, session.send([&] {
      pos = begin;
      HttpRequest req;
      req.method = "PATCH";
      req.url = location;
      req.headers = {"Content-Type: application/octet-stream",
                     fmt::format("Content-Range: {}-{}", begin, begin + size - 1)};
      req.body_size = size;
      req.read_body = [&](char* buf, size_t cap) -> size_t {
        size_t want = static_cast<size_t>(std::min<int64_t>(static_cast<int64_t>(cap), begin + size - pos));
        ssize_t n = want == 0 ? 0 : ::pread(fd, buf, want, pos);
        if (n <= 0) return 0;
        pos += n;
        ticker.update(pos);
        return static_cast<size_t>(n);
      };
      return req;
    }));
    if (res.status != 202 && res.status != 204)
      return Error::format("uploading {}: {}", blob.digest, registry_message(res));
    if (std::string next = res.header("Location"); !next.empty()) location = resolve_location(location, next);
    begin += size;
  }
  std::string put_url =
      location + (location.find('?') == std::string::npos ? "?" : "&") + "digest=" + url_encode(blob.digest);
  CORRAL_ASSIGN_OR_RETURN(HttpResponse done, session.send([&] {
    HttpRequest req;
    req.method = "PUT";
    req.url = put_url;
    return req;
  }));
  if (done.status != 201 && done.status != 204)
    return Error::format("finishing the upload of {}: {}", blob.digest, registry_message(done));
  ticker.update(blob.size, true);
  return {};
}

Result<bool> registry_has_blob(Session& session, const std::string& digest) {
  CORRAL_ASSIGN_OR_RETURN(HttpResponse res, session.send([&] {
    HttpRequest req;
    req.method = "HEAD";
    req.url = session.repo_url() + "/blobs/" + digest;
    return req;
  }));
  if (res.status == 200) return true;
  if (res.status == 404) return false;
  if (res.status == 401 || res.status == 403) return session.unauthorized(res);
  return Error::format("checking blob {}: HTTP status {}", digest, res.status);
}

std::vector<Layer> unique_blobs(const Manifest& m) {
  std::vector<Layer> out{m.config};
  for (const auto& l : m.layers)
    if (std::none_of(out.begin(), out.end(), [&](const Layer& o) { return o.digest == l.digest; })) out.push_back(l);
  return out;
}

}  // namespace

RegistryOptions RegistryOptions::from_env(const Env& env) {
  RegistryOptions o;
  if (auto size = env.get_int("REGISTRY_MIN_PART_SIZE", o.min_part_size); size.ok() && *size > 0)
    o.min_part_size = *size;
  if (auto chunk = env.get_int("REGISTRY_UPLOAD_CHUNK", o.upload_chunk); chunk.ok() && *chunk > 0)
    o.upload_chunk = *chunk;
  if (auto u = env.raw("CORRAL_REGISTRY_USER")) o.username = *u;
  if (auto p = env.raw("CORRAL_REGISTRY_PASSWORD")) o.password = *p;
  return o;
}

fs::path partial_blob_path(const Store& store, std::string_view digest) {
  return store.blobs_dir() / (blob_file_name(digest) + "-partial");
}

Status pull_model(const Store& store, const ModelName& name, const RegistryOptions& options,
                  const RegistryProgressFn& progress) {
  auto emit = [&](RegistryEvent e) {
    if (progress) progress(e);
  };
  CORRAL_TRY(store.ensure_dirs());
  Session session(name, options, "pull");
  emit(status_event("pulling manifest"));
  CORRAL_ASSIGN_OR_RETURN(std::string bytes, fetch_manifest(session, name));
  CORRAL_ASSIGN_OR_RETURN(Manifest manifest, parse_manifest(bytes, "the registry's manifest"));
  std::vector<Layer> blobs = unique_blobs(manifest);
  for (auto& blob : blobs) {
    CORRAL_ASSIGN_OR_RETURN(blob.digest, parse_digest(blob.digest));
  }

  std::vector<std::pair<Layer, UniqueFd>> fetched;  // each partial file stays locked until verified
  for (const Layer& b : blobs) {
    if (blob_present(store, b.digest, b.size)) {
      emit({"pulling " + short_hex(b.digest), b.digest, b.size, b.size});
      continue;
    }
    CORRAL_ASSIGN_OR_RETURN(UniqueFd locked, download_blob(session, store, b, progress));
    if (locked) fetched.emplace_back(b, std::move(locked));
  }
  emit(status_event("verifying sha256 digest"));
  for (const auto& [b, locked] : fetched) CORRAL_TRY(verify_and_commit(store, b));
  CORRAL_TRY(install_manifest(store, name, manifest, bytes, progress));
  emit(status_event("success"));
  return {};
}

Status push_model(const Store& store, const ModelName& name, const RegistryOptions& options,
                  const RegistryProgressFn& progress) {
  auto emit = [&](RegistryEvent e) {
    if (progress) progress(e);
  };
  emit(status_event("retrieving manifest"));
  CORRAL_ASSIGN_OR_RETURN(FoundModel found, open_model(store, name));
  CORRAL_ASSIGN_OR_RETURN(std::string bytes, read_whole_file(found.path));
  const Manifest& manifest = found.stored.manifest;
  Session session(name, options, "pull,push");
  for (const Layer& b : unique_blobs(manifest)) {
    if (!blob_present(store, b.digest, b.size))
      return Error::format("model '{}' is broken: blob {} is missing (run `corral verify`)",
                           found.name.display_shortest(), b.digest);
    CORRAL_ASSIGN_OR_RETURN(bool present, registry_has_blob(session, b.digest));
    if (present) {
      emit({"pushing " + short_hex(b.digest), b.digest, b.size, b.size});
      continue;
    }
    CORRAL_TRY(upload_blob(session, store, b, progress));
  }
  emit(status_event("pushing manifest"));
  std::string url = session.repo_url() + "/manifests/" + name.tag;
  CORRAL_ASSIGN_OR_RETURN(HttpResponse res, session.send([&] {
    HttpRequest req;
    req.method = "PUT";
    req.url = url;
    req.headers = {"Content-Type: " + manifest.media_type};
    req.body = bytes;
    return req;
  }));
  if (res.status == 401 || res.status == 403) return session.unauthorized(res);
  if (res.status != 201 && res.status != 200)
    return Error::format("pushing the manifest to {}: {}", name.host, registry_message(res));
  emit(status_event("success"));
  return {};
}

}  // namespace corral::store
