#include "testing/testing.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

namespace corral::testing {

std::filesystem::path fixtures_dir() {
  if (const char* env = std::getenv("CORRAL_FIXTURES")) return env;
  std::filesystem::path p = CORRAL_FIXTURES_DIR;
  if (std::filesystem::exists(p)) return std::filesystem::canonical(p);
  return {};
}

TempDir::TempDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "corral-test-XXXXXX").string();
  char* made = ::mkdtemp(pattern.data());
  if (made == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = made;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

CommandResult run_corral(const std::string& args) {
  TempDir dir;
  // Store commands are clients of whatever server answers at CORRAL_HOST / OLLAMA_HOST (default
  // 127.0.0.1:11434, maybe a developer's own Ollama); without a CORRAL_HOST of the test's own they
  // get a closed port, so they run their in-process server on the test's store.
  std::string host = std::getenv("CORRAL_HOST") ? "" : "CORRAL_HOST=127.0.0.1:1 ";
  std::string cmd = host + "'" + CORRAL_BINARY + "' " + args + " >'" + (dir / "out").string() + "' 2>'" +
                    (dir / "err").string() + "'";
  int status = std::system(cmd.c_str());
  CommandResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.out = read_file(dir / "out");
  r.err = read_file(dir / "err");
  return r;
}

ServeChild::~ServeChild() {
  stop();
}

bool ServeChild::start(const std::filesystem::path& log) {
  const std::string log_path = log.string();
  pid_ = fork();
  if (pid_ < 0) return false;
  if (pid_ == 0) {
    setenv("CORRAL_HOST", "127.0.0.1:0", 1);
    int fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fd, STDERR_FILENO);
    dup2(fd, STDOUT_FILENO);
    execl(CORRAL_BINARY, "corral", "serve", static_cast<char*>(nullptr));
    _exit(127);
  }
  const std::regex listening(R"(listening on 127\.0\.0\.1:(\d+))");
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    std::smatch m;
    std::string text = read_file(log);
    if (std::regex_search(text, m, listening)) {
      address_ = "127.0.0.1:" + m[1].str();
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

void ServeChild::stop() {
  if (pid_ <= 0) return;
  kill(pid_, SIGTERM);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
}

}  // namespace corral::testing
