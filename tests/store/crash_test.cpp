// Crash safety: `corral create` and `corral rm` are SIGKILLed at random points, again and again;
// after every kill the store must be consistent: each manifest parses and names only complete
// blobs whose bytes hash to their name, and no partial file sits under a final name.
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <random>
#include <thread>

#include "base/sha256.h"
#include "gguf/writer.h"
#include "store/blob_store.h"
#include "store/layout.h"
#include "store/manifest.h"
#include "store_builder.h"
#include "testing/testing.h"

namespace corral::store {
namespace {
namespace fs = std::filesystem;

// Everything wrong with the store, one line each ("" when consistent).
std::string check_store(const Store& store) {
  std::string problems;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(store.blobs_dir(), ec)) {
    std::string file = e.path().filename().string();
    if (!is_blob_file_name(file)) continue;  // temporary files may be left by a kill
    auto hex = sha256_file_hex(e.path());
    if (!hex.ok() || "sha256-" + *hex != file) problems += "blob does not match its name: " + file + "\n";
  }
  for (const auto& e : fs::recursive_directory_iterator(store.manifests_dir(), ec)) {
    if (!e.is_regular_file()) continue;
    auto rel = fs::relative(e.path(), store.manifests_dir()).generic_string();
    if (!ModelName::from_relative_path(rel).ok()) continue;  // a temporary manifest
    auto m = read_manifest(e.path());
    if (!m.ok()) {
      problems += "manifest does not parse: " + m.error().to_string() + "\n";
      continue;
    }
    for (const Layer* l : [&] {
           std::vector<const Layer*> all{&m->manifest.config};
           for (const auto& layer : m->manifest.layers) all.push_back(&layer);
           return all;
         }()) {
      std::error_code size_ec;
      auto size = fs::file_size(store.blob_path(l->digest), size_ec);
      if (size_ec || static_cast<int64_t>(size) != l->size)
        problems += rel + " names a missing blob " + l->digest + "\n";
    }
  }
  return problems;
}

// Starts corral with `args`, its output discarded; returns the child's pid.
pid_t spawn_corral(const std::vector<std::string>& args) {
  std::fflush(nullptr);  // or the child's freopen would write the parent's buffered output again
  std::cout.flush();
  pid_t pid = ::fork();
  if (pid == 0) {
    std::vector<char*> argv{const_cast<char*>(CORRAL_BINARY)};
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    std::freopen("/dev/null", "w", stdout);
    std::freopen("/dev/null", "w", stderr);
    ::setenv("CORRAL_HOST", "127.0.0.1:1", 1);  // the in-process server on this test's store, never a real one
    ::execv(CORRAL_BINARY, argv.data());
    ::_exit(127);
  }
  return pid;
}

// Runs corral with `args` and kills it with SIGKILL after `delay` (never when nullopt). Returns
// true when it was killed before it finished, false when it exited 0; fails the test otherwise.
bool run_and_kill(const std::vector<std::string>& args, std::optional<std::chrono::microseconds> delay) {
  pid_t pid = spawn_corral(args);
  if (delay) {
    std::this_thread::sleep_for(*delay);
    ::kill(pid, SIGKILL);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (WIFSIGNALED(status)) return true;
  // rm of a model that an earlier kill never let exist fails cleanly; nothing else may fail.
  int want_max = args[0] == "rm" ? 1 : 0;
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) <= want_max) << args[0] << " " << args[1] << " failed";
  return false;
}

TEST(StoreCrash, KilledCreateAndRmLeaveAConsistentStore) {
  testing::TempDir dir;
  Store store(dir.path() / "models");
  // A few MB of GGUF so that a kill often lands in the middle of the copy.
  GgufWriter w;
  w.set("general.architecture", "llama");
  w.set("llama.block_count", uint32_t{1});
  std::vector<std::byte> data(6 << 20);
  std::mt19937 fill(7);
  for (auto& b : data) b = std::byte(static_cast<uint8_t>(fill()));
  ASSERT_TRUE(w.add_tensor("token_embd.weight", GgmlType::kF32, {1024, 1536}, std::move(data)).ok());
  ASSERT_TRUE(w.write_file(dir / "model.gguf").ok());
  ::setenv("CORRAL_MODELS", store.root().c_str(), 1);
  ::setenv("CORRAL_STORE_COPY", "1", 1);  // copy even on the same filesystem: a long, killable write

  // A first complete model, so that rm has something to remove from the start.
  for (int i = 0; i < 3; ++i) {
    std::ofstream(dir / ("Modelfile" + std::to_string(i)))
        << "FROM " << (dir / "model.gguf").string() << "\nSYSTEM model " << i << "\nPARAMETER seed " << i << "\n";
  }
  run_and_kill({"create", "m0", "-f", (dir / "Modelfile0").string()}, std::nullopt);
  ASSERT_TRUE(store.find(*ModelName::parse("m0")).has_value());

  std::mt19937 rng(12345);
  int killed = 0, runs = 100;
  for (int i = 0; i < runs; ++i) {
    int which = static_cast<int>(rng() % 3);
    std::string name = "m" + std::to_string(which);
    std::vector<std::string> args =
        rng() % 3 == 0
            ? std::vector<std::string>{"rm", name}
            : std::vector<std::string>{"create", name, "-f", (dir / ("Modelfile" + std::to_string(which))).string()};
    auto delay = std::chrono::microseconds(rng() % 40000);  // 0 to 40 ms: start-up, copy, manifest
    killed += run_and_kill(args, delay);
    std::string problems = check_store(store);
    ASSERT_EQ(problems, "") << "after killing `" << args[0] << " " << name << "` at " << delay.count() << " us";
  }
  std::cout << "[ INFO     ] " << killed << " of " << runs << " runs were killed before they finished\n";
  EXPECT_GE(killed, runs / 2);  // most kills must land mid-operation, or the test proves little

  // The store still works: a full create, then prune clears what the kills left behind.
  ASSERT_FALSE(run_and_kill({"create", "final", "-f", (dir / "Modelfile1").string()}, std::nullopt));
  ASSERT_FALSE(run_and_kill({"prune", "--all"}, std::nullopt));
  EXPECT_EQ(check_store(store), "");
  for (const auto& e : fs::directory_iterator(store.blobs_dir()))
    EXPECT_TRUE(is_blob_file_name(e.path().filename().string())) << e.path();
  ::unsetenv("CORRAL_MODELS");
  ::unsetenv("CORRAL_STORE_COPY");
}

// Several create and rm processes at once end with a consistent store. (The race the store lock
// closes, an rm deleting a blob between a create's dedup check and its manifest write, is too
// narrow to hit reliably here; this checks that concurrent runs never corrupt the store.)
TEST(StoreCrash, ConcurrentCreateAndRmProcesses) {
  testing::TempDir dir;
  Store store(dir.path() / "models");
  ASSERT_NO_FATAL_FAILURE(testing_util::write_f32_gguf(dir / "model.gguf", 1024, 512, 5));
  for (int i = 0; i < 4; ++i)
    std::ofstream(dir / ("Modelfile" + std::to_string(i)))
        << "FROM " << (dir / "model.gguf").string() << "\nSYSTEM s" << i << "\n";
  ::setenv("CORRAL_MODELS", store.root().c_str(), 1);
  for (int round = 0; round < 3; ++round) {
    std::vector<pid_t> pids;
    for (int i = 0; i < 8; ++i) {
      std::vector<std::string> args =
          i % 4 == 3 ? std::vector<std::string>{"rm", "m" + std::to_string(i % 2)}
                     : std::vector<std::string>{"create", "m" + std::to_string(i % 2), "-f",
                                                (dir / ("Modelfile" + std::to_string(i % 4))).string()};
      pids.push_back(spawn_corral(args));
    }
    for (pid_t pid : pids) {
      int status = 0;
      ::waitpid(pid, &status, 0);
      EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) <= 1);  // rm of an absent model exits 1
    }
    EXPECT_EQ(check_store(store), "") << "round " << round;
  }
  ::unsetenv("CORRAL_MODELS");
}

// While one process holds the store lock, another's rm, cp and create wait for it.
TEST(StoreCrash, MutatingCommandsWaitForTheStoreLock) {
  testing::TempDir dir;
  Store store(dir.path() / "models");
  ASSERT_NO_FATAL_FAILURE(testing_util::write_f32_gguf(dir / "model.gguf", 64, 4, 1));
  std::ofstream(dir / "Modelfile") << "FROM " << (dir / "model.gguf").string() << "\n";
  ::setenv("CORRAL_MODELS", store.root().c_str(), 1);
  ASSERT_FALSE(run_and_kill({"create", "m", "-f", (dir / "Modelfile").string()}, std::nullopt));
  for (std::vector<std::string> args : {std::vector<std::string>{"cp", "m", "m2"}, std::vector<std::string>{"rm", "m"},
                                        std::vector<std::string>{"create", "m3", "-f", (dir / "Modelfile").string()}}) {
    auto lock = StoreLock::acquire(store);
    ASSERT_TRUE(lock.ok());
    pid_t pid = spawn_corral(args);
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    int status = 0;
    EXPECT_EQ(::waitpid(pid, &status, WNOHANG), 0) << args[0] << " did not wait for the lock";
    { auto released = std::move(*lock); }  // unlock
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << args[0];
  }
  EXPECT_FALSE(store.find(*ModelName::parse("m")).has_value());
  EXPECT_TRUE(store.find(*ModelName::parse("m2")).has_value());
  EXPECT_TRUE(store.find(*ModelName::parse("m3")).has_value());
  ::unsetenv("CORRAL_MODELS");
}

}  // namespace
}  // namespace corral::store
