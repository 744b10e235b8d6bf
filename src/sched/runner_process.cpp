// RunnerProcess (see runner_process.h): spawning, watching and talking to a `corral runner` child.
#include "sched/runner_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <httplib.h>

#include <cerrno>
#include <cstring>
#include <string_view>

#include "base/log.h"
#include "base/unique_fd.h"
#include "sched/ndjson_post.h"

extern char** environ;

namespace corral::sched {
namespace {

using nlohmann::ordered_json;
using Clock = std::chrono::steady_clock;

constexpr size_t kErrorBytesKept = 8 * 1024;
constexpr auto kPollInterval = std::chrono::milliseconds(100);
constexpr auto kStopGrace = std::chrono::seconds(2);
constexpr auto kExitWaitAfterFailure = std::chrono::milliseconds(1000);
constexpr time_t kStreamReadTimeoutSeconds = 3600;  // between two lines of a stream (a long prompt)
constexpr std::string_view kPortPrefix = "CORRAL_RUNNER_PORT ";

bool is_error_line(std::string_view line) {
  return line.starts_with("error") || line.starts_with("Error") || line.find("level=ERROR") != std::string_view::npos;
}

std::string describe_wait_status(int status) {
  if (WIFSIGNALED(status)) return fmt::format("exited (signal {})", WTERMSIG(status));
  if (WIFEXITED(status)) return fmt::format("exited with status {}", WEXITSTATUS(status));
  return "exited";
}

// argv and envp, built before fork (the child must not allocate).
struct ExecArgs {
  std::vector<std::string> args, env;
  std::vector<char*> argv, envp;
  void finish() {
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    for (auto& e : env) envp.push_back(e.data());
    envp.push_back(nullptr);
  }
};

ExecArgs exec_args(const RunnerLaunch& launch, const LoadSpec& spec) {
  ExecArgs x;
  x.args = {launch.executable.string(),
            "runner",
            "--model",
            spec.model_path.string(),
            "--num-ctx",
            std::to_string(spec.num_ctx),
            "--num-batch",
            std::to_string(spec.num_batch),
            "--num-parallel",
            std::to_string(spec.num_parallel),
            "--num-threads",
            std::to_string(spec.num_thread),
            "--kv-type",
            spec.kv_type};
  if (spec.embedding) x.args.emplace_back("--embedding");
  for (char** e = environ; e && *e; ++e) {
    std::string_view entry(*e);
    const std::string_view name = entry.substr(0, entry.find('='));
    bool replaced = false;
    for (const auto& [k, v] : launch.env) replaced = replaced || k == name;
    if (!replaced) x.env.emplace_back(entry);
  }
  for (const auto& [k, v] : launch.env) x.env.push_back(k + "=" + v);
  x.finish();
  return x;
}

}  // namespace

Result<std::unique_ptr<Runner>> RunnerProcess::start(const RunnerLaunch& launch, const LoadSpec& spec,
                                                     std::function<void(double progress)> on_progress) {
  std::unique_ptr<RunnerProcess> r(new RunnerProcess(spec));
  auto fail = [&](const Error& e) {
    return Error::format("model runner for {} failed to load: {}", spec.model_name, e.to_string());
  };
  if (Status st = r->spawn(launch); !st.ok()) return fail(st.error());
  if (Status st = r->wait_for_port(launch.load_timeout); !st.ok()) return fail(st.error());
  if (Status st = r->wait_until_loaded(launch.load_timeout, on_progress); !st.ok()) return fail(st.error());
  return std::unique_ptr<Runner>(std::move(r));
}

Status RunnerProcess::spawn(const RunnerLaunch& launch) {
  int out[2], err[2];
  if (pipe2(out, O_CLOEXEC) != 0) return Error::format("pipe: {}", std::strerror(errno));
  UniqueFd out_r(out[0]), out_w(out[1]);
  if (pipe2(err, O_CLOEXEC) != 0) return Error::format("pipe: {}", std::strerror(errno));
  UniqueFd err_r(err[0]), err_w(err[1]);
  ExecArgs x = exec_args(launch, spec_);
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0) return Error::format("fork: {}", std::strerror(errno));
  if (pid == 0) {
    // The child: die with the server (a runner never outlives it), then become `corral runner`.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);
    sigset_t none;  // the server blocks SIGINT/SIGTERM in its threads; the runner must take them
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    if (dup2(out_w.get(), STDOUT_FILENO) < 0 || dup2(err_w.get(), STDERR_FILENO) < 0) _exit(127);
    close_range(3, ~0u, 0);  // the server's sockets and files are not the runner's
    execve(x.argv[0], x.argv.data(), x.envp.data());
    _exit(127);
  }
  pid_ = pid;
  out_w.reset();
  err_w.reset();
  LOG_INFO("started model runner for {}: pid {} ({})", spec_.model_name, pid_, spec_.model_path.string());
  reader_ = std::thread([this, o = std::move(out_r), e = std::move(err_r)] { read_output(o.get(), e.get()); });
  watcher_ = std::thread([this] { watch(); });
  return {};
}

void RunnerProcess::read_output(int out_fd, int err_fd) {
  std::string buf[2];
  pollfd fds[2] = {{out_fd, POLLIN, 0}, {err_fd, POLLIN, 0}};
  int open_fds = 2;
  auto on_line = [&](int which, std::string line) {
    if (which == 0 && line.starts_with(kPortPrefix)) {
      const int port = std::atoi(line.c_str() + kPortPrefix.size());
      std::lock_guard lock(mutex_);
      if (!port_seen_ && port > 0 && port < 65536) {
        port_ = port;
        port_seen_ = true;
        cv_.notify_all();
      }
      return;
    }
    LOG_INFO("runner[{}]: {}", pid_, line);
    if (which == 1 && is_error_line(line)) {
      std::lock_guard lock(mutex_);
      error_bytes_ += line.size();
      error_lines_.push_back(std::move(line));
      while (error_bytes_ > kErrorBytesKept && error_lines_.size() > 1) {
        error_bytes_ -= error_lines_.front().size();
        error_lines_.pop_front();
      }
    }
  };
  while (open_fds > 0) {
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      char chunk[4096];
      const ssize_t n = read(fds[i].fd, chunk, sizeof chunk);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        if (!buf[i].empty()) on_line(i, std::exchange(buf[i], {}));
        fds[i].fd = -1;  // the UniqueFds owned by the thread lambda close them
        --open_fds;
        continue;
      }
      buf[i].append(chunk, static_cast<size_t>(n));
      for (size_t nl; (nl = buf[i].find('\n')) != std::string::npos;) {
        std::string line = buf[i].substr(0, nl);
        buf[i].erase(0, nl + 1);
        on_line(i, std::move(line));
      }
    }
  }
}

void RunnerProcess::watch() {
  int status = 0;
  while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  {
    std::lock_guard lock(mutex_);
    exited_ = true;
    wait_status_ = status;
  }
  cv_.notify_all();
  LOG_INFO("model runner for {} (pid {}) {}", spec_.model_name, pid_, describe_wait_status(status));
}

bool RunnerProcess::alive() const {
  std::lock_guard lock(mutex_);
  return !exited_;
}

bool RunnerProcess::wait_exit(std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mutex_);
  return cv_.wait_for(lock, timeout, [&] { return exited_; });
}

std::string RunnerProcess::last_errors() const {
  std::string out;
  for (const auto& l : error_lines_) {
    if (!out.empty()) out += "; ";
    out += l;
  }
  return out;
}

std::string RunnerProcess::exit_description() const {
  std::lock_guard lock(mutex_);
  if (!exited_) return "";
  std::string d = describe_wait_status(wait_status_);
  if (WIFEXITED(wait_status_) && !error_lines_.empty()) d += ": " + error_lines_.back();
  return d;
}

Status RunnerProcess::wait_for_port(std::chrono::nanoseconds timeout) {
  std::unique_lock lock(mutex_);
  cv_.wait_for(lock, timeout, [&] { return port_seen_ || exited_; });
  if (port_seen_) return {};
  if (exited_) {
    lock.unlock();
    // The reader may still be draining the last lines of a child that failed at once.
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    return Error(exit_description());
  }
  return Error::format("timed out after {}s waiting for the runner to listen", timeout.count() / 1'000'000'000);
}

Status RunnerProcess::wait_until_loaded(std::chrono::nanoseconds stall_timeout,
                                        const std::function<void(double)>& on_progress) {
  httplib::Client cli("127.0.0.1", port_);
  cli.set_connection_timeout(2, 0);
  cli.set_read_timeout(5, 0);
  double progress = -1.0;
  auto last_change = Clock::now();
  while (true) {
    if (wait_exit(kPollInterval)) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));  // let the reader take the last lines
      return Error(exit_description());
    }
    if (auto res = cli.Get("/health"); res && res->status == 200) {
      const ordered_json j = ordered_json::parse(res->body, nullptr, false);
      Result<RunnerHealth> h =
          j.is_discarded() ? Result<RunnerHealth>(Error("bad JSON from /health")) : runner_health_from_json(j);
      if (!h.ok()) return std::move(h).error();
      if (h->status == "error") return Error(h->error);
      if (h->status == "ok") break;
      if (h->progress != progress) {
        progress = h->progress;
        last_change = Clock::now();
        if (on_progress) on_progress(progress);
      }
    }
    if (Clock::now() - last_change > stall_timeout)
      return Error::format("timed out after {}s without progress (CORRAL_LOAD_TIMEOUT; progress {:.2f})",
                           std::chrono::duration_cast<std::chrono::seconds>(stall_timeout).count(),
                           std::max(progress, 0.0));
  }
  if (on_progress) on_progress(1.0);
  memory_bytes_ = std::filesystem::file_size(spec_.model_path);
  if (auto res = cli.Get("/status"); res && res->status == 200) {
    const ordered_json j = ordered_json::parse(res->body, nullptr, false);
    if (!j.is_discarded())
      if (Result<RunnerStatus> s = runner_status_from_json(j); s.ok())
        memory_bytes_ += s->kv_bytes + s->workspace_bytes;
  }
  LOG_INFO("model runner for {} (pid {}) is ready on 127.0.0.1:{}", spec_.model_name, pid_, port_);
  return {};
}

RunnerProcess::~RunnerProcess() {
  if (pid_ > 0) {
    if (!wait_exit(std::chrono::milliseconds(0))) {
      kill(pid_, SIGTERM);
      if (!wait_exit(std::chrono::duration_cast<std::chrono::milliseconds>(kStopGrace))) kill(pid_, SIGKILL);
    }
  }
  if (watcher_.joinable()) watcher_.join();
  if (reader_.joinable()) reader_.join();
}

Error RunnerProcess::transport_error(const std::string& what, const std::string& during) const {
  if (wait_exit(kExitWaitAfterFailure))
    return Error::format("model runner for {} {} {}", spec_.model_name, exit_description(), during);
  return Error::format("model runner for {}: {}", spec_.model_name, what);
}

Result<CompletionDone> RunnerProcess::complete(const CompletionRequest& request,
                                               const std::function<bool(const CompletionPiece&)>& on_piece) {
  httplib::Client cli("127.0.0.1", port_);
  cli.set_read_timeout(kStreamReadTimeoutSeconds, 0);
  std::optional<CompletionDone> done;
  std::optional<Error> failure;
  bool cancelled = false;
  NdjsonExchange x = post_ndjson(cli, "/completion", to_json(request).dump(), [&](const std::string& line) {
    Result<CompletionLine> parsed = parse_completion_line(line);
    if (!parsed.ok()) {
      failure = std::move(parsed).error();
      return false;
    }
    if (parsed->error) {
      failure = Error(*parsed->error);
      return false;
    }
    if (parsed->done) {
      done = std::move(parsed->done);
      return true;
    }
    if (!on_piece(*parsed->piece)) {
      cancelled = true;
      return false;  // closes the connection: the runner drops the sequence
    }
    return true;
  });
  if (cancelled) return Error("cancelled");
  if (failure) return Error::format("model runner for {}: {}", spec_.model_name, failure->to_string());
  if (x.sent && x.status != 200) {
    const ordered_json j = ordered_json::parse(x.error_body, nullptr, false);
    if (!j.is_discarded() && j.is_object() && j.contains("error") && j["error"].is_string())
      return Error(j["error"].get<std::string>());
    return Error::format("model runner for {} answered status {}", spec_.model_name, x.status);
  }
  if (done) return std::move(*done);
  return transport_error(x.sent ? "the stream ended without a final line" : httplib::to_string(x.transport),
                         "while generating");
}

Result<ordered_json> RunnerProcess::post_json(const std::string& path, const ordered_json& body,
                                              const std::string& during) const {
  httplib::Client cli("127.0.0.1", port_);
  cli.set_read_timeout(kStreamReadTimeoutSeconds, 0);
  auto res = cli.Post(path.c_str(), body.dump(), "application/json");
  if (!res) return transport_error(httplib::to_string(res.error()), during);
  const ordered_json j = ordered_json::parse(res->body, nullptr, false);
  if (j.is_discarded() || !j.is_object())
    return Error::format("model runner for {}: bad JSON from {} (status {})", spec_.model_name, path, res->status);
  if (res->status != 200) {
    if (const auto e = j.find("error"); e != j.end() && e->is_string()) return Error(e->get<std::string>());
    return Error::format("model runner for {} answered status {} on {}", spec_.model_name, res->status, path);
  }
  return j;
}

Result<EmbeddingResult> RunnerProcess::embed(const EmbeddingRequest& request) {
  CORRAL_ASSIGN_OR_RETURN(ordered_json j, post_json("/embedding", to_json(request), "while embedding"));
  return embedding_result_from_json(j);
}

Result<std::vector<int32_t>> RunnerProcess::tokenize(std::string_view text) {
  CORRAL_ASSIGN_OR_RETURN(
      ordered_json j, post_json("/tokenize", ordered_json{{"content", text}, {"special", true}}, "while tokenizing"));
  const auto t = j.find("tokens");
  if (t == j.end() || !t->is_array()) return Error("the runner's /tokenize answer lacks \"tokens\"");
  std::vector<int32_t> ids;
  for (const auto& v : *t) {
    if (!v.is_number_integer()) return Error("the runner's /tokenize answer holds a non-integer token");
    ids.push_back(v.get<int32_t>());
  }
  return ids;
}

Result<std::string> RunnerProcess::detokenize(std::span<const int32_t> tokens) {
  CORRAL_ASSIGN_OR_RETURN(
      ordered_json j,
      post_json("/detokenize", ordered_json{{"tokens", std::vector<int32_t>(tokens.begin(), tokens.end())}},
                "while detokenizing"));
  const auto c = j.find("content");
  if (c == j.end() || !c->is_string()) return Error("the runner's /detokenize answer lacks \"content\"");
  return c->get<std::string>();
}

}  // namespace corral::sched
