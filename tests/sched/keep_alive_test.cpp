// Durations as Ollama reads them (keep_alive, env settings) and the scheduler's env configuration.
#include "sched/keep_alive.h"

#include <gtest/gtest.h>

#include <map>

#include "sched/scheduler.h"

namespace corral::sched {
namespace {

using namespace std::chrono_literals;
using std::chrono::nanoseconds;

nanoseconds parsed(std::string_view text) {
  Result<nanoseconds> d = parse_duration(text);
  EXPECT_TRUE(d.ok()) << text << ": " << d.error().to_string();
  return d.ok() ? *d : nanoseconds(-12345);
}

std::string parse_error(std::string_view text) {
  Result<nanoseconds> d = parse_duration(text);
  EXPECT_FALSE(d.ok()) << text;
  return d.ok() ? "" : d.error().to_string();
}

Env env_of(std::map<std::string, std::string> vars) {
  return Env([vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  });
}

TEST(ParseDurationTest, GoDurations) {
  EXPECT_EQ(parsed("5m"), 5min);
  EXPECT_EQ(parsed("1h30m"), 90min);
  EXPECT_EQ(parsed("300ms"), 300ms);
  EXPECT_EQ(parsed("-1s"), -1s);
  EXPECT_EQ(parsed("0"), 0s);
  EXPECT_EQ(parsed("-0"), 0s);
  EXPECT_EQ(parsed("1.5h"), 90min);
  EXPECT_EQ(parsed(".5s"), 500ms);
  EXPECT_EQ(parsed("2.s"), 2s);
  EXPECT_EQ(parsed("+10s"), 10s);
  EXPECT_EQ(parsed("1h2m3s4ms5us6ns"), 1h + 2min + 3s + 4ms + 5us + 6ns);
  EXPECT_EQ(parsed("7\xC2\xB5s"), 7us);  // micro sign
  EXPECT_EQ(parsed("7\xCE\xBCs"), 7us);  // Greek mu
  EXPECT_EQ(parsed("2562047h"), 2562047h);
}

TEST(ParseDurationTest, PlainNumbersAreSeconds) {
  EXPECT_EQ(parsed("300"), 300s);
  EXPECT_EQ(parsed("2.5"), 2500ms);
  EXPECT_EQ(parsed("-1"), -1s);
}

TEST(ParseDurationTest, ErrorsReadLikeGo) {
  EXPECT_EQ(parse_error(""), "time: invalid duration \"\"");
  EXPECT_EQ(parse_error("abc"), "time: invalid duration \"abc\"");
  EXPECT_EQ(parse_error("5x"), "time: unknown unit \"x\" in duration \"5x\"");
  EXPECT_EQ(parse_error("1h5"), "time: missing unit in duration \"1h5\"");
  EXPECT_EQ(parse_error(".s"), "time: invalid duration \".s\"");
  EXPECT_EQ(parse_error("-"), "time: invalid duration \"-\"");
  EXPECT_EQ(parse_error("5 m"), "time: unknown unit \" m\" in duration \"5 m\"");
  EXPECT_EQ(parse_error("9999999999h"), "time: invalid duration \"9999999999h\"");
}

TEST(ParseKeepAliveTest, JsonValues) {
  auto ka = [](const nlohmann::json& j) {
    Result<std::optional<KeepAlive>> r = parse_keep_alive(j);
    EXPECT_TRUE(r.ok()) << j.dump();
    return r.ok() ? *r : std::optional<KeepAlive>(12345ns);
  };
  EXPECT_EQ(ka(nullptr), std::nullopt);
  EXPECT_EQ(ka(10), std::optional<KeepAlive>(10s));
  EXPECT_EQ(ka(1.5), std::optional<KeepAlive>(1500ms));
  EXPECT_EQ(ka(0), std::optional<KeepAlive>(0s));
  EXPECT_TRUE(is_forever(*ka(-1)));
  EXPECT_TRUE(is_forever(*ka(-0.5)));
  EXPECT_EQ(ka("5m"), std::optional<KeepAlive>(5min));
  EXPECT_EQ(ka("120"), std::optional<KeepAlive>(120s));
  EXPECT_TRUE(is_forever(*ka("-1m")));
  EXPECT_TRUE(is_forever(*ka(1e300)) || *ka(1e300) == nanoseconds::max());

  const nlohmann::ordered_json ordered = "1h";
  EXPECT_EQ(*parse_keep_alive(ordered), std::optional<KeepAlive>(1h));
}

TEST(ParseKeepAliveTest, BadJsonValues) {
  EXPECT_EQ(parse_keep_alive(nlohmann::json(true)).error().to_string(), "Unsupported type: 'bool'");
  EXPECT_EQ(parse_keep_alive(nlohmann::json::array()).error().to_string(), "Unsupported type: '[]interface {}'");
  EXPECT_EQ(parse_keep_alive(nlohmann::json::object()).error().to_string(),
            "Unsupported type: 'map[string]interface {}'");
  EXPECT_EQ(parse_keep_alive(nlohmann::json("soon")).error().to_string(), "time: invalid duration \"soon\"");
}

TEST(KeepAliveEnvTest, DefaultsAndPrecedence) {
  EXPECT_EQ(*keep_alive_from_env(env_of({})), 5min);
  EXPECT_EQ(*keep_alive_from_env(env_of({{"OLLAMA_KEEP_ALIVE", "10m"}})), 10min);
  EXPECT_EQ(*keep_alive_from_env(env_of({{"OLLAMA_KEEP_ALIVE", "10m"}, {"CORRAL_KEEP_ALIVE", "30"}})), 30s);
  EXPECT_TRUE(is_forever(*keep_alive_from_env(env_of({{"OLLAMA_KEEP_ALIVE", "-1"}}))));
  EXPECT_EQ(*keep_alive_from_env(env_of({{"OLLAMA_KEEP_ALIVE", "0"}})), 0s);
  Result<KeepAlive> bad = keep_alive_from_env(env_of({{"OLLAMA_KEEP_ALIVE", "later"}}));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().to_string(), "OLLAMA_KEEP_ALIVE=\"later\": time: invalid duration \"later\"");
}

TEST(FormatDurationTest, LikeGo) {
  EXPECT_EQ(format_duration(0s), "0s");
  EXPECT_EQ(format_duration(5min), "5m0s");
  EXPECT_EQ(format_duration(90min), "1h30m0s");
  EXPECT_EQ(format_duration(1h), "1h0m0s");
  EXPECT_EQ(format_duration(1500ms), "1.5s");
  EXPECT_EQ(format_duration(300ms), "300ms");
  EXPECT_EQ(format_duration(2500us), "2.5ms");
  EXPECT_EQ(format_duration(1500ns), "1.5\xC2\xB5s");
  EXPECT_EQ(format_duration(42ns), "42ns");
  EXPECT_EQ(format_duration(-90s), "-1m30s");
  EXPECT_EQ(format_keep_alive(kKeepAliveForever), "forever");
  EXPECT_EQ(format_keep_alive(10s), "10s");
}

TEST(SchedulerConfigTest, Defaults) {
  Result<SchedulerConfig> c = SchedulerConfig::from_env(env_of({}));
  ASSERT_TRUE(c.ok()) << c.error().to_string();
  EXPECT_EQ(c->max_loaded, 3);
  EXPECT_EQ(c->max_queue, 512);
  EXPECT_EQ(c->num_parallel, 1);
  EXPECT_EQ(c->default_keep_alive, 5min);
  EXPECT_EQ(c->load_timeout, 5min);
  EXPECT_EQ(SchedulerConfig::from_env(env_of({}), 2)->max_loaded, 6);
}

TEST(SchedulerConfigTest, Values) {
  Result<SchedulerConfig> c = SchedulerConfig::from_env(env_of({{"OLLAMA_MAX_LOADED_MODELS", "1"},
                                                                {"CORRAL_MAX_QUEUE", "4"},
                                                                {"OLLAMA_NUM_PARALLEL", "2"},
                                                                {"OLLAMA_KEEP_ALIVE", "-1"},
                                                                {"OLLAMA_LOAD_TIMEOUT", "30s"}}));
  ASSERT_TRUE(c.ok()) << c.error().to_string();
  EXPECT_EQ(c->max_loaded, 1);
  EXPECT_EQ(c->max_queue, 4);
  EXPECT_EQ(c->num_parallel, 2);
  EXPECT_TRUE(is_forever(c->default_keep_alive));
  EXPECT_EQ(c->load_timeout, 30s);
  // Zero means "the default" for these two (as Ollama), and no load timeout for LOAD_TIMEOUT.
  c = SchedulerConfig::from_env(
      env_of({{"OLLAMA_MAX_LOADED_MODELS", "0"}, {"OLLAMA_NUM_PARALLEL", "0"}, {"OLLAMA_LOAD_TIMEOUT", "0"}}));
  ASSERT_TRUE(c.ok()) << c.error().to_string();
  EXPECT_EQ(c->max_loaded, 3);
  EXPECT_EQ(c->num_parallel, 1);
  EXPECT_EQ(c->load_timeout, nanoseconds::max());
}

TEST(SchedulerConfigTest, InvalidValuesNameTheVariable) {
  auto error = [](std::map<std::string, std::string> vars) {
    Result<SchedulerConfig> c = SchedulerConfig::from_env(env_of(std::move(vars)));
    EXPECT_FALSE(c.ok());
    return c.ok() ? std::string() : c.error().to_string();
  };
  EXPECT_EQ(error({{"OLLAMA_MAX_QUEUE", "lots"}}), "OLLAMA_MAX_QUEUE=\"lots\" is not an integer");
  EXPECT_EQ(error({{"OLLAMA_MAX_QUEUE", "0"}}), "OLLAMA_MAX_QUEUE=\"0\": must be a positive integer");
  EXPECT_EQ(error({{"CORRAL_MAX_LOADED_MODELS", "-2"}}), "CORRAL_MAX_LOADED_MODELS=\"-2\": must be a positive integer");
  EXPECT_EQ(error({{"OLLAMA_NUM_PARALLEL", "1.5"}}), "OLLAMA_NUM_PARALLEL=\"1.5\" is not an integer");
  EXPECT_EQ(error({{"OLLAMA_LOAD_TIMEOUT", "soon"}}), "OLLAMA_LOAD_TIMEOUT=\"soon\": time: invalid duration \"soon\"");
  EXPECT_EQ(error({{"OLLAMA_KEEP_ALIVE", "5 minutes"}}),
            "OLLAMA_KEEP_ALIVE=\"5 minutes\": time: unknown unit \" minutes\" in duration \"5 minutes\"");
}

TEST(ProcessorStringTest, LikeOllamaPs) {
  EXPECT_EQ(processor_string(1000, 0), "100% CPU");
  EXPECT_EQ(processor_string(1000, 1000), "100% GPU");
  EXPECT_EQ(processor_string(1000, 520), "48%/52% CPU/GPU");
  EXPECT_EQ(processor_string(0, 5), "Unknown");
}

}  // namespace
}  // namespace corral::sched
