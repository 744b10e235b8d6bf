// `corral run`'s interactive chat driven through a real pseudo-terminal (forkpty): the keys a
// user types go in, the terminal's output comes back, against a `corral serve` child with a tiny
// synthetic model (no fixtures needed).
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <regex>
#include <thread>

#include "testing/testing.h"
#include "testing/tiny_model.h"

namespace corral::testing {
namespace {

using namespace std::chrono_literals;

// A program on the slave side of a pty, 80x24, with what it wrote collected as it arrives.
class PtySession {
 public:
  PtySession(const std::vector<std::string>& args, const std::vector<std::pair<std::string, std::string>>& env) {
    winsize ws{};
    ws.ws_row = 24;
    ws.ws_col = 80;
    pid_ = forkpty(&master_, nullptr, nullptr, &ws);
    if (pid_ == 0) {
      for (const auto& [k, v] : env) setenv(k.c_str(), v.c_str(), 1);
      std::vector<char*> argv;
      for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
      argv.push_back(nullptr);
      execv(CORRAL_BINARY, argv.data());
      _exit(127);
    }
  }
  ~PtySession() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      wait_exit(5s);
    }
    if (master_ >= 0) close(master_);
  }

  bool started() const { return pid_ > 0 && master_ >= 0; }

  void send(std::string_view keys) {
    while (!keys.empty()) {
      ssize_t n = write(master_, keys.data(), keys.size());
      if (n <= 0) return;
      keys.remove_prefix(static_cast<size_t>(n));
    }
  }
  // A control key at a prompt just printed, after a human's pause: between two lines libedit puts
  // the terminal back in cooked mode for a moment, and a Ctrl+D or Ctrl+C typed in that window is
  // taken by the terminal driver (end of file, SIGINT), not by the line editor.
  void press_at_prompt(std::string_view key) {
    std::this_thread::sleep_for(200ms);
    send(key);
  }
  // Types a line as a user does (Enter is a carriage return on a terminal).
  void type_line(std::string_view line) {
    send(line);
    send("\r");
  }

  // Waits until the output written since the last mark matches `pattern`; returns that output
  // (from the mark to the end of the match) and moves the mark past the match.
  std::optional<std::string> expect(const std::string& pattern, std::chrono::milliseconds timeout = 20s) {
    const std::regex re(pattern);
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      std::smatch m;
      const std::string pending = output_.substr(mark_);
      if (std::regex_search(pending, m, re)) {
        const size_t end = static_cast<size_t>(m.position(0) + m.length(0));
        mark_ += end;
        return pending.substr(0, end);
      }
      if (std::chrono::steady_clock::now() > deadline || !read_some(50ms)) {
        if (std::chrono::steady_clock::now() > deadline) return std::nullopt;
      }
    }
  }

  // Waits for the program to end; its exit code, or -1 on timeout.
  int wait_exit(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      read_some(10ms);
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
    }
    return -1;
  }

  const std::string& output() const { return output_; }

 private:
  // Reads what is available within `wait`; false when the terminal is closed.
  bool read_some(std::chrono::milliseconds wait) {
    pollfd p{master_, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(wait.count())) <= 0) return true;
    char buf[4096];
    ssize_t n = read(master_, buf, sizeof buf);
    if (n <= 0) {
      std::this_thread::sleep_for(wait);
      return false;
    }
    output_.append(buf, static_cast<size_t>(n));
    return true;
  }

  pid_t pid_ = -1;
  int master_ = -1;
  std::string output_;
  size_t mark_ = 0;
};

// The text of an answer to `question`: what came between the echo of the question and the blank
// line before the next prompt, with the terminal's CR LF turned back into LF. (A line typed while
// the terminal was between two prompts is echoed twice: by the terminal driver, then by libedit.)
std::string answer_of(const std::string& transcript, const std::string& question) {
  std::string text = std::regex_replace(transcript, std::regex("\r\n"), "\n");
  const size_t echo = text.rfind(question + "\n");
  const size_t end = text.rfind("\n\n>>> ");
  if (echo == std::string::npos || end == std::string::npos || end < echo + question.size()) return "";
  const size_t start = echo + question.size() + 1;
  return text.substr(start, end - start);
}

class ReplTest : public ::testing::Test {
 protected:
  void SetUp() override {
    setenv("CORRAL_MODELS", (dir_ / "models").c_str(), 1);
    write_tiny_model(dir_ / "tiny.gguf");
    {
      std::ofstream mf(dir_ / "Modelfile");
      mf << "FROM " << (dir_ / "tiny.gguf").string() << "\nPARAMETER num_predict 8\nPARAMETER num_ctx 512\n";
    }
    auto created = run_corral("create tiny -f '" + (dir_ / "Modelfile").string() + "'");
    ASSERT_EQ(created.exit_code, 0) << created.err;
    ASSERT_TRUE(server_.start(dir_ / "serve.log")) << read_file(dir_ / "serve.log");
    setenv("CORRAL_HOST", server_.address().c_str(), 1);
  }
  void TearDown() override {
    server_.stop();
    unsetenv("CORRAL_HOST");
    unsetenv("CORRAL_MODELS");
  }

  std::unique_ptr<PtySession> start_chat(const std::string& model) {
    auto s = std::make_unique<PtySession>(
        std::vector<std::string>{"corral", "run", model},
        std::vector<std::pair<std::string, std::string>>{
            {"CORRAL_HOST", server_.address()}, {"HOME", dir_.path().string()}, {"TERM", "xterm"}});
    EXPECT_TRUE(s->started());
    return s;
  }

  TempDir dir_;
  ServeChild server_;
};

constexpr const char* kPrompt = R"(\n\r?>>> $)";

TEST_F(ReplTest, ChatCommandsSaveLoadAndBye) {
  auto chat = start_chat("tiny");
  ASSERT_TRUE(chat->expect(">>> $")) << chat->output();

  // A multi-turn chat: the second question is sent with the first exchange, so its prompt is
  // longer (the stats of /set verbose tell how many tokens the server evaluated).
  chat->type_line("/set verbose");
  ASSERT_TRUE(chat->expect("Set 'verbose' mode\\.\r\n>>> $")) << chat->output();
  chat->type_line("hello there");
  auto first = chat->expect(R"(prompt eval count:\s+(\d+) token\(s\)[\s\S]*eval rate:[^\n]*\n[\s\S]*>>> $)");
  ASSERT_TRUE(first) << chat->output();
  chat->type_line("the cat");
  auto second = chat->expect(R"(prompt eval count:\s+(\d+) token\(s\)[\s\S]*eval rate:[^\n]*\n[\s\S]*>>> $)");
  ASSERT_TRUE(second) << chat->output();
  auto count = [](const std::string& text) {
    std::smatch m;
    std::regex_search(text, m, std::regex(R"(prompt eval count:\s+(\d+))"));
    return std::stoi(m[1].str());
  };
  EXPECT_GT(count(*second), count(*first) + 8) << *first << "\n---\n" << *second;
  chat->type_line("/set quiet");
  ASSERT_TRUE(chat->expect("Set 'quiet' mode\\.\r\n>>> $"));

  // """ opens a message of several lines; "... " prompts for the next ones.
  chat->type_line("/clear");
  ASSERT_TRUE(chat->expect("Cleared session context\r\n>>> $"));
  chat->type_line(R"("""first line)");
  ASSERT_TRUE(chat->expect("\\.\\.\\. $")) << chat->output();
  chat->type_line(R"(second line""")");
  auto multi = chat->expect(kPrompt);
  ASSERT_TRUE(multi) << chat->output();
  EXPECT_FALSE(answer_of(*multi, R"(second line""")").empty()) << *multi;

  // temperature 0: the same question in a fresh context gets the same answer.
  chat->type_line("/set parameter temperature 0");
  ASSERT_TRUE(chat->expect("Set parameter 'temperature' to '0'\r\n>>> $")) << chat->output();
  std::string answers[2];
  for (auto& answer : answers) {
    chat->type_line("/clear");
    ASSERT_TRUE(chat->expect("Cleared session context\r\n>>> $"));
    chat->type_line("the dog ran");
    auto t = chat->expect(kPrompt);
    ASSERT_TRUE(t) << chat->output();
    answer = answer_of(*t, "the dog ran");
  }
  EXPECT_FALSE(answers[0].empty());
  EXPECT_EQ(answers[0], answers[1]);

  chat->type_line("/show modelfile");
  auto modelfile = chat->expect(kPrompt);
  ASSERT_TRUE(modelfile) << chat->output();
  EXPECT_NE(modelfile->find("# Modelfile generated by"), std::string::npos) << *modelfile;
  EXPECT_NE(modelfile->find("PARAMETER temperature 0"), std::string::npos) << *modelfile;
  EXPECT_NE(modelfile->find("PARAMETER num_predict 8"), std::string::npos) << *modelfile;

  chat->type_line("/show info");
  auto info = chat->expect(kPrompt);
  ASSERT_TRUE(info) << chat->output();
  EXPECT_TRUE(std::regex_search(*info, std::regex(R"(  Model *\r\n    architecture +llama *\r\n)"))) << *info;
  EXPECT_TRUE(std::regex_search(*info, std::regex(R"(  Capabilities *\r\n    completion *\r\n)"))) << *info;

  chat->type_line("/set parameter nonsense 1");
  ASSERT_TRUE(chat->expect("Couldn't set parameter: \"[^\"]*nonsense[^\r]*\r\n>>> $")) << chat->output();
  chat->type_line("/frobnicate");
  ASSERT_TRUE(chat->expect("Unknown command '/frobnicate'. Type /\\? for help\r\n>>> $")) << chat->output();

  // /save keeps the conversation, the system message and the parameters in a new model; /load
  // of it shows the conversation again and goes on from there.
  chat->type_line("/set system You are terse.");
  ASSERT_TRUE(chat->expect("Set system message\\.\r\n>>> $"));
  chat->type_line("/save session-one");
  ASSERT_TRUE(chat->expect("Created new model 'session-one'\r\n>>> $")) << chat->output();
  auto shown = run_corral("show session-one --modelfile");
  ASSERT_EQ(shown.exit_code, 0) << shown.err;
  EXPECT_NE(shown.out.find("PARAMETER temperature 0"), std::string::npos) << shown.out;
  EXPECT_NE(shown.out.find("SYSTEM You are terse."), std::string::npos) << shown.out;
  EXPECT_NE(shown.out.find("MESSAGE user the dog ran"), std::string::npos) << shown.out;

  chat->type_line("/load nope");
  ASSERT_TRUE(chat->expect("Loading model 'nope'\r\nCouldn't find model 'nope'\r\n>>> $")) << chat->output();
  chat->type_line("/load session-one");
  auto loaded = chat->expect(kPrompt);
  ASSERT_TRUE(loaded) << chat->output();
  EXPECT_NE(loaded->find("Loading model 'session-one'"), std::string::npos) << *loaded;
  EXPECT_NE(loaded->find(">>> the dog ran\r\n" + std::regex_replace(answers[0], std::regex("\n"), "\r\n")),
            std::string::npos)
      << *loaded;
  chat->type_line("the dog ran");  // temperature 0 came with the saved model
  auto again = chat->expect(kPrompt);
  ASSERT_TRUE(again) << chat->output();
  EXPECT_FALSE(answer_of(*again, "the dog ran").empty());

  chat->type_line("/bye");
  EXPECT_EQ(chat->wait_exit(10s), 0) << chat->output();
}

TEST_F(ReplTest, CtrlCStopsAnAnswerAndTheChatGoesOn) {
  auto chat = start_chat("tiny");
  ASSERT_TRUE(chat->expect(">>> $")) << chat->output();
  // An answer that would go on for a long time (the context shifts when full).
  chat->type_line("/set parameter num_predict 1000000");
  ASSERT_TRUE(chat->expect("to '1000000'\r\n>>> $"));
  chat->type_line("tell me everything");
  ASSERT_TRUE(chat->expect("[a-z]+ [a-z]+ [a-z]+ [a-z]+ [a-z]+ [a-z]+")) << chat->output();
  chat->send("\x03");
  ASSERT_TRUE(chat->expect(">>> $", 10s)) << chat->output();

  // The chat is still there, and the server's runner is free for the next question.
  chat->type_line("/set parameter num_predict 4");
  ASSERT_TRUE(chat->expect("to '4'\r\n>>> $")) << chat->output();
  chat->type_line("hello");
  auto next = chat->expect(kPrompt);
  ASSERT_TRUE(next) << chat->output();
  EXPECT_FALSE(answer_of(*next, "hello").empty()) << *next;

  // Ctrl+C on an empty line explains how to leave; Ctrl+D leaves.
  chat->press_at_prompt("\x03");
  ASSERT_TRUE(chat->expect("Use Ctrl \\+ d or /bye to exit\\.\r\n>>> $")) << chat->output();
  chat->press_at_prompt("\x04");
  EXPECT_EQ(chat->wait_exit(10s), 0) << chat->output();
}

TEST_F(ReplTest, PipedPromptIsNotInteractive) {
  {
    std::ofstream in(dir_ / "prompt.txt");
    in << "hello\n";
  }
  auto r = run_corral("run tiny < '" + (dir_ / "prompt.txt").string() + "'");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_GT(r.out.size(), 1u);
  EXPECT_EQ(r.out.find(">>>"), std::string::npos) << r.out;
}

// A thinking model (a scripted one with Qwen 3's vocabulary and template, `corral debug
// scripted`): the chat shows Ollama's "Thinking..." block, grey and bold, before the answer;
// /set nothink asks without thinking and the block is gone.
TEST_F(ReplTest, ThinkingIsShownAsOllamaShowsItAndNothinkTurnsItOff) {
  const auto vocab = fixtures_dir() / "models/qwen3-tiny-qwen3v4k-f32.gguf";
  CORRAL_REQUIRE_FIXTURE(vocab);
  {
    std::ofstream script(dir_ / "think.json");
    script << R"({"rules": [
        {"after": "<|im_start|>assistant\n", "say": "<think>\nA greeting.\n</think>\n\nHello there.<|im_end|>"},
        {"after": "<think>\n\n</think>\n\n", "say": "Hello there.<|im_end|>"}]})";
    std::ofstream mf(dir_ / "Modelfile.think");
    mf << "FROM " << (dir_ / "think.gguf").string() << "\n";
  }
  auto built = run_corral("debug scripted --vocab '" + vocab.string() + "' --script '" +
                          (dir_ / "think.json").string() + "' -o '" + (dir_ / "think.gguf").string() + "'");
  ASSERT_EQ(built.exit_code, 0) << built.err;
  auto created = run_corral("create think -f '" + (dir_ / "Modelfile.think").string() + "'");
  ASSERT_EQ(created.exit_code, 0) << created.err;

  auto chat = start_chat("think");
  ASSERT_TRUE(chat->expect(">>> $")) << chat->output();
  chat->type_line("Hi");
  auto shown = chat->expect(R"(Hello there\.[\s\S]*>>> $)");
  ASSERT_TRUE(shown) << chat->output();
  EXPECT_NE(shown->find("\x1b[90m\x1b[1mThinking...\r\n\x1b[0m\x1b[90mA greeting."), std::string::npos) << *shown;
  EXPECT_NE(shown->find("\x1b[90m\x1b[1m...done thinking.\r\n\r\n\x1b[0mHello there."), std::string::npos) << *shown;
  chat->type_line("/set nothink");
  ASSERT_TRUE(chat->expect("Set 'nothink' mode\\.\r\n>>> $")) << chat->output();
  chat->type_line("Hi again");
  auto plain = chat->expect(R"(Hello there\.[\s\S]*>>> $)");
  ASSERT_TRUE(plain) << chat->output();
  EXPECT_EQ(plain->find("Thinking..."), std::string::npos) << *plain;
  chat->type_line("/bye");
  EXPECT_EQ(chat->wait_exit(10s), 0) << chat->output();
}

}  // namespace
}  // namespace corral::testing
