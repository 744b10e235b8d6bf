#include "testing/testing.h"

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

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
  std::string cmd = std::string("'") + CORRAL_BINARY + "' " + args + " >'" + (dir / "out").string() + "' 2>'" +
                    (dir / "err").string() + "'";
  int status = std::system(cmd.c_str());
  CommandResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.out = read_file(dir / "out");
  r.err = read_file(dir / "err");
  return r;
}

}  // namespace corral::testing
