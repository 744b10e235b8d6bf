// Shared test helpers: fixture paths, temporary directories, running the corral binary.
#pragma once

#include <sys/types.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

namespace corral::testing {

// ../shared/fixtures (or $CORRAL_FIXTURES); empty path when absent.
std::filesystem::path fixtures_dir();

// Skips the current test when the fixture path does not exist.
#define CORRAL_REQUIRE_FIXTURE(path)                                                  \
  do {                                                                                \
    if (!std::filesystem::exists(path)) GTEST_SKIP() << "fixture absent: " << (path); \
  } while (0)

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

struct CommandResult {
  int exit_code = -1;
  std::string out;  // stdout
  std::string err;  // stderr
};

// Runs the built corral binary with the given argument string (shell-quoted by the caller).
CommandResult run_corral(const std::string& args);

std::string read_file(const std::filesystem::path& path);

// `corral serve` as a child process on 127.0.0.1 with any free port, its output in `log`; the
// environment (CORRAL_MODELS, ...) is the test's. Stopped with SIGTERM when destroyed.
class ServeChild {
 public:
  ServeChild() = default;
  ~ServeChild();
  ServeChild(const ServeChild&) = delete;
  ServeChild& operator=(const ServeChild&) = delete;

  // Starts the server and waits (up to 10 s) for its "listening on" line; false on failure.
  bool start(const std::filesystem::path& log);
  // "127.0.0.1:PORT", for CORRAL_HOST.
  const std::string& address() const { return address_; }
  void stop();

 private:
  pid_t pid_ = -1;
  std::string address_;
};

}  // namespace corral::testing
