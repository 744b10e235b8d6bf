// A real `corral runner` child driven through RunnerProcess, on tiny synthetic models: greedy
// completions equal engine::Generator's (and `corral debug generate`'s) tokens, stop strings,
// num_predict, logprobs, cancellation, a child killed mid-stream, a failed load, embeddings and
// parallel sequences.
#include <signal.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <fstream>
#include <sstream>
#include <thread>

#include "engine/engine.h"
#include "engine/generator.h"
#include "runner/page_in.h"
#include "sched/runner_process.h"
#include "testing/testing.h"
#include "testing/tiny_model.h"
#include "tokenizer/stream_decoder.h"
#include "tokenizer/tokenizer.h"

namespace corral::sched {
namespace {

using ::testing::HasSubstr;

RunnerLaunch launch() {
  RunnerLaunch l;
  l.executable = CORRAL_BINARY;
  l.load_timeout = std::chrono::seconds(30);
  return l;
}

LoadSpec spec_for(const std::filesystem::path& model, int32_t parallel = 1, int64_t ctx = 256) {
  LoadSpec s;
  s.model_name = "tiny:test";
  s.model_path = model;
  s.num_ctx = ctx;
  s.num_batch = 32;
  s.num_parallel = parallel;
  s.num_thread = 1;
  return s;
}

std::unique_ptr<Runner> must_start(const LoadSpec& spec) {
  auto r = RunnerProcess::start(launch(), spec, nullptr);
  EXPECT_TRUE(r.ok()) << r.error().to_string();
  return r.ok() ? std::move(r).value() : nullptr;
}

CompletionRequest greedy(std::vector<int32_t> tokens, int32_t n) {
  CompletionRequest r;
  r.tokens = std::move(tokens);
  r.options = engine::greedy_options(n);
  return r;
}

struct Streamed {
  std::string text;
  std::vector<CompletionPiece> pieces;
  Result<CompletionDone> done = Error("not run");
};

Streamed stream(Runner& r, const CompletionRequest& req) {
  Streamed s;
  s.done = r.complete(req, [&](const CompletionPiece& p) {
    s.text += p.content;
    s.pieces.push_back(p);
    return true;
  });
  return s;
}

// What the engine itself generates for these tokens, as ids and as streamed text.
struct Expected {
  std::vector<int32_t> ids;
  std::string text;
};
Expected in_process(const std::filesystem::path& model, const std::vector<int32_t>& prompt, int32_t n) {
  engine::EngineOptions o;
  o.num_ctx = 256;
  o.num_batch = 32;
  o.num_threads = 1;
  auto eng = engine::Engine::load(model, o);
  EXPECT_TRUE(eng.ok());
  auto tok = Tokenizer::from_metadata((*eng)->file().metadata());
  EXPECT_TRUE(tok.ok());
  Expected e;
  StreamDecoder dec(**tok);
  engine::Generator gen(**eng);
  engine::Request req{prompt, engine::greedy_options(n), 0, [&](int32_t t, std::span<const float>) {
                        e.ids.push_back(t);
                        e.text += dec.push(t);
                        return true;
                      }};
  EXPECT_TRUE(gen.add(std::move(req)).ok());
  EXPECT_TRUE(gen.run().ok());
  e.text += dec.flush();
  return e;
}

int64_t slots_busy(const RunnerProcess& r) {
  httplib::Client cli("127.0.0.1", r.port());
  auto res = cli.Get("/status");
  if (!res || res->status != 200) return -1;
  auto s = runner_status_from_json(nlohmann::ordered_json::parse(res->body));
  return s.ok() ? s->slots_busy : -1;
}

class RunnerTest : public ::testing::Test {
 protected:
  void SetUp() override { testing::write_tiny_model(model_); }
  testing::TempDir dir_;
  std::filesystem::path model_ = dir_ / "tiny.gguf";
  const std::vector<int32_t> prompt_ = {1, 260, 261, 262, 263};
};

TEST_F(RunnerTest, GreedyCompletionEqualsGeneratorAndDebugGenerate) {
  auto r = must_start(spec_for(model_));
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->alive());
  EXPECT_GT(r->memory_bytes(), std::filesystem::file_size(model_));
  CompletionRequest req = greedy(prompt_, 12);
  req.return_context = true;
  Streamed s = stream(*r, req);
  ASSERT_TRUE(s.done.ok()) << s.done.error().to_string();
  const Expected want = in_process(model_, prompt_, 12);
  ASSERT_EQ(want.ids.size(), 12u);
  EXPECT_EQ(s.text, want.text);
  EXPECT_FALSE(s.text.empty());
  EXPECT_EQ(s.done->done_reason, "length");
  EXPECT_EQ(s.done->eval_count, 12);
  EXPECT_EQ(s.done->prompt_eval_count, 5);
  EXPECT_GT(s.done->eval_duration_ns, 0);
  std::vector<int32_t> context = prompt_;
  context.insert(context.end(), want.ids.begin(), want.ids.end());
  EXPECT_EQ(s.done->context, context);
  // corral debug generate prints the same ids.
  auto cli = testing::run_corral("debug generate " + model_.string() + " --tokens \"1 260 261 262 263\" -n 12");
  ASSERT_EQ(cli.exit_code, 0) << cli.err;
  std::ostringstream ids;
  for (size_t i = 0; i < want.ids.size(); ++i) ids << (i ? " " : "") << want.ids[i];
  EXPECT_EQ(cli.out, ids.str() + "\n");
}

TEST_F(RunnerTest, PromptTextIsTokenizedWithBos) {
  auto r = must_start(spec_for(model_));
  ASSERT_TRUE(r);
  auto ids = r->tokenize("the cat sat");
  ASSERT_TRUE(ids.ok()) << ids.error().to_string();
  ASSERT_FALSE(ids->empty());
  EXPECT_NE(ids->front(), 1);  // /tokenize adds no BOS
  auto text = r->detokenize(*ids);
  ASSERT_TRUE(text.ok());
  EXPECT_EQ(*text, "the cat sat");
  CompletionRequest by_text;
  by_text.prompt = "the cat sat";
  by_text.options = engine::greedy_options(6);
  std::vector<int32_t> with_bos = {1};
  with_bos.insert(with_bos.end(), ids->begin(), ids->end());
  Streamed a = stream(*r, by_text);
  Streamed b = stream(*r, greedy(with_bos, 6));
  ASSERT_TRUE(a.done.ok() && b.done.ok());
  EXPECT_EQ(a.text, b.text);
  EXPECT_EQ(a.done->prompt_eval_count, static_cast<int64_t>(with_bos.size()));
}

TEST_F(RunnerTest, StopStringEndsTheStreamAndIsNeverEmitted) {
  auto r = must_start(spec_for(model_));
  ASSERT_TRUE(r);
  Streamed full = stream(*r, greedy(prompt_, 24));
  ASSERT_TRUE(full.done.ok());
  ASSERT_GE(full.text.size(), 12u) << full.text;
  // A stop string from the middle of the text: the stream ends right before its first occurrence.
  const std::string stop = full.text.substr(full.text.size() / 2, 4);
  const size_t at = full.text.find(stop);
  CompletionRequest req = greedy(prompt_, 24);
  req.options.stop = {"never-there", stop};
  Streamed s = stream(*r, req);
  ASSERT_TRUE(s.done.ok());
  EXPECT_EQ(s.text, full.text.substr(0, at));
  EXPECT_EQ(s.done->done_reason, "stop");
  for (const auto& p : s.pieces) EXPECT_THAT(p.content, ::testing::Not(HasSubstr(stop)));
}

TEST_F(RunnerTest, EndOfGenerationTokenStopsWithoutBeingEmitted) {
  const Expected free_run = in_process(model_, prompt_, 8);
  // The same weights with the 4th generated token declared the end-of-sequence token: generation
  // stops at its first occurrence, which is counted but not sent.
  const int32_t eos = free_run.ids[3];
  const auto first =
      static_cast<int32_t>(std::find(free_run.ids.begin(), free_run.ids.end(), eos) - free_run.ids.begin());
  testing::TinyModel m;
  m.eos = eos;
  testing::write_tiny_model(dir_ / "eos.gguf", m);
  auto r = must_start(spec_for(dir_ / "eos.gguf"));
  ASSERT_TRUE(r);
  Streamed s = stream(*r, greedy(prompt_, 8));
  ASSERT_TRUE(s.done.ok());
  EXPECT_EQ(s.done->done_reason, "stop");
  EXPECT_EQ(s.done->eval_count, first + 1);
  EXPECT_EQ(s.text, in_process(model_, prompt_, first).text);
}

TEST_F(RunnerTest, NumPredictEndsWithLengthAndLogprobsArePresent) {
  auto r = must_start(spec_for(model_));
  ASSERT_TRUE(r);
  CompletionRequest req = greedy(prompt_, 5);
  req.logprobs = true;
  req.options.top_logprobs = 3;
  Streamed s = stream(*r, req);
  ASSERT_TRUE(s.done.ok());
  EXPECT_EQ(s.done->done_reason, "length");
  EXPECT_EQ(s.done->eval_count, 5);
  size_t entries = 0;
  for (const auto& p : s.pieces) {
    ASSERT_TRUE(p.logprobs.is_array()) << p.content;
    for (const auto& lp : p.logprobs) {
      ++entries;
      ASSERT_TRUE(lp.contains("token") && lp.contains("logprob") && lp.contains("top_logprobs"));
      EXPECT_LE(lp["logprob"].get<double>(), 0.0);
      ASSERT_EQ(lp["top_logprobs"].size(), 3u);
      // Greedy: the chosen token is the most likely one.
      EXPECT_EQ(lp["top_logprobs"][0]["token"], lp["token"]);
      EXPECT_NEAR(lp["top_logprobs"][0]["logprob"].get<double>(), lp["logprob"].get<double>(), 1e-6);
    }
  }
  EXPECT_EQ(entries, 5u);
}

TEST_F(RunnerTest, CancelFreesTheSlot) {
  auto r = must_start(spec_for(model_, 1, 2048));
  ASSERT_TRUE(r);
  CompletionRequest req = greedy(prompt_, -1);  // bounded to 10 x num_ctx: long enough to cancel
  int pieces = 0;
  auto done = r->complete(req, [&](const CompletionPiece&) { return ++pieces < 3; });
  ASSERT_FALSE(done.ok());
  EXPECT_EQ(done.error().to_string(), "cancelled");
  auto* rp = dynamic_cast<RunnerProcess*>(r.get());
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (slots_busy(*rp) != 0 && std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_EQ(slots_busy(*rp), 0);
  Streamed after = stream(*r, greedy(prompt_, 4));  // the runner still serves
  ASSERT_TRUE(after.done.ok()) << after.done.error().to_string();
  EXPECT_EQ(after.done->eval_count, 4);
}

TEST_F(RunnerTest, KilledMidStreamIsAClearError) {
  auto r = must_start(spec_for(model_, 1, 2048));
  ASSERT_TRUE(r);
  bool killed = false;
  auto done = r->complete(greedy(prompt_, -1), [&](const CompletionPiece&) {
    if (!killed) kill(r->pid(), SIGKILL);
    killed = true;
    return true;
  });
  ASSERT_FALSE(done.ok());
  EXPECT_EQ(done.error().to_string(), "model runner for tiny:test exited (signal 9) while generating");
  EXPECT_FALSE(r->alive());
  EXPECT_EQ(r->exit_description(), "exited (signal 9)");
}

TEST_F(RunnerTest, FailedLoadIsAClearErrorWithoutHanging) {
  { std::ofstream(dir_ / "bad.gguf") << "this is not a GGUF file"; }
  const auto t0 = std::chrono::steady_clock::now();
  auto r = RunnerProcess::start(launch(), spec_for(dir_ / "bad.gguf"), nullptr);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.error().to_string(), HasSubstr("model runner for tiny:test failed to load: "));
  EXPECT_THAT(r.error().to_string(), HasSubstr("bad.gguf"));
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(10));
  auto missing = RunnerProcess::start(launch(), spec_for(dir_ / "absent.gguf"), nullptr);
  ASSERT_FALSE(missing.ok());
  EXPECT_THAT(missing.error().to_string(), HasSubstr("failed to load"));
}

TEST_F(RunnerTest, EmbeddingsAreNormalisedAndDeterministic) {
  LoadSpec spec = spec_for(model_);
  spec.embedding = true;
  auto r = must_start(spec);
  ASSERT_TRUE(r);
  EmbeddingRequest req{{"the cat sat on the mat", "hello world"}, true};
  auto a = r->embed(req);
  ASSERT_TRUE(a.ok()) << a.error().to_string();
  auto b = r->embed(req);
  ASSERT_TRUE(b.ok());
  ASSERT_EQ(a->embeddings.size(), 2u);
  EXPECT_EQ(a->embeddings, b->embeddings);
  auto t0 = r->tokenize(req.inputs[0]), t1 = r->tokenize(req.inputs[1]);
  ASSERT_TRUE(t0.ok() && t1.ok());
  EXPECT_EQ(a->prompt_eval_count, static_cast<int64_t>(t0->size() + t1->size() + 2));  // + a BOS each
  for (const auto& e : a->embeddings) {
    ASSERT_EQ(e.size(), 32u);
    double norm = 0;
    for (float v : e) norm += static_cast<double>(v) * v;
    EXPECT_NEAR(norm, 1.0, 1e-5);
  }
  EXPECT_NE(a->embeddings[0], a->embeddings[1]);
  EmbeddingRequest too_long{{std::string(300, 'a')}, false};  // 300 tokens > num_ctx 256
  auto refused = r->embed(too_long);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().to_string(), "the input length exceeds the context length");
  too_long.truncate = true;
  auto cut = r->embed(too_long);
  ASSERT_TRUE(cut.ok()) << cut.error().to_string();
  EXPECT_EQ(cut->prompt_eval_count, 256);
}

TEST_F(RunnerTest, ParallelCompletionsEqualSequentialOnes) {
  auto r = must_start(spec_for(model_, 4));
  ASSERT_TRUE(r);
  const std::vector<std::vector<int32_t>> prompts = {
      {1, 260, 261}, {1, 262, 263, 264, 265}, {1, 270, 271, 272, 273, 274, 275, 276}, {1, 280}};
  std::vector<std::string> alone;
  for (const auto& p : prompts) {
    Streamed s = stream(*r, greedy(p, 16));
    ASSERT_TRUE(s.done.ok());
    alone.push_back(s.text);
  }
  std::vector<Streamed> together(prompts.size());
  std::vector<std::thread> threads;
  for (size_t i = 0; i < prompts.size(); ++i)
    threads.emplace_back([&, i] { together[i] = stream(*r, greedy(prompts[i], 16)); });
  for (auto& t : threads) t.join();
  for (size_t i = 0; i < prompts.size(); ++i) {
    ASSERT_TRUE(together[i].done.ok()) << together[i].done.error().to_string();
    EXPECT_EQ(together[i].text, alone[i]) << i;
    EXPECT_EQ(together[i].done->eval_count, 16);
  }
}

TEST_F(RunnerTest, BadRequestsAnswerBeforeTheStream) {
  auto r = must_start(spec_for(model_, 1, 16));
  ASSERT_TRUE(r);
  CompletionRequest empty;
  empty.prompt = "";
  empty.options = engine::greedy_options(2);
  auto e = r->complete(empty, [](const CompletionPiece&) { return true; });
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.error().to_string(), "empty prompt");
  CompletionRequest long_prompt = greedy(std::vector<int32_t>(20, 260), 2);
  long_prompt.shift = false;
  auto l = r->complete(long_prompt, [](const CompletionPiece&) { return true; });
  ASSERT_FALSE(l.ok());
  EXPECT_THAT(l.error().to_string(), HasSubstr("does not fit the context"));
  long_prompt.shift = true;  // truncated instead: num_keep 4 (+ no BOS here), tail to 16 - 6 = 10 tokens
  Streamed s = stream(*r, long_prompt);
  ASSERT_TRUE(s.done.ok()) << s.done.error().to_string();
  EXPECT_EQ(s.done->prompt_eval_count, 10);
}

// The load progress /health reports while the weights are paged in: rising, ending at 1.
TEST(RunnerLoad, PageInReportsRisingProgressEndingAtOne) {
  const auto path = testing::fixtures_dir() / "models" / "llama-small-llama3v4k-f32.gguf";  // 10 MB
  CORRAL_REQUIRE_FIXTURE(path);
  auto file = GgufFile::open(path);
  ASSERT_TRUE(file.ok());
  std::vector<double> seen;
  runner::page_in(*file, [&](double p) { seen.push_back(p); });
  ASSERT_GE(seen.size(), 2u);  // 8 MiB steps, then the end
  EXPECT_GT(seen.front(), 0.0);
  EXPECT_LT(seen.front(), 1.0);
  EXPECT_TRUE(std::is_sorted(seen.begin(), seen.end()));
  EXPECT_EQ(seen.back(), 1.0);
}

TEST(RunnerProtocol, CompletionRequestRoundTripsAndFieldsAreChecked) {
  CompletionRequest r;
  r.tokens = std::vector<int32_t>{1, 2, 3};
  r.options.temperature = 0.5f;
  r.options.stop = {"a", "b"};
  r.options.top_logprobs = 2;
  r.options.num_predict = 7;
  r.logprobs = true;
  auto back = completion_request_from_json(to_json(r));
  ASSERT_TRUE(back.ok()) << back.error().to_string();
  EXPECT_EQ(back->tokens, r.tokens);
  EXPECT_EQ(back->options.stop, r.options.stop);
  EXPECT_EQ(back->options.top_logprobs, 2);
  EXPECT_EQ(back->options.num_predict, 7);
  EXPECT_FLOAT_EQ(back->options.temperature, 0.5f);
  EXPECT_TRUE(back->logprobs);
  EXPECT_FALSE(completion_request_from_json(nlohmann::ordered_json{{"options", {{"top_k", "many"}}}}).ok());
  EXPECT_FALSE(completion_request_from_json(nlohmann::ordered_json{{"tokens", {1, "x"}}}).ok());
  EXPECT_FALSE(parse_completion_line("{\"done\":true,\"eval_count\":\"3\"}").ok());
  EXPECT_FALSE(parse_completion_line("not json").ok());
  auto err = parse_completion_line("{\"error\":\"boom\"}");
  ASSERT_TRUE(err.ok());
  EXPECT_EQ(err->error, "boom");
}

}  // namespace
}  // namespace corral::sched
