// The OpenAI ↔ native translation: defaults, field mapping, errors and response shapes.
#include "server/openai.h"

#include <gtest/gtest.h>

namespace corral::server::openai {
namespace {

TEST(OpenAi, ChatRequestMapsFieldsAndDefaultsTemperatureAndTopPToOne) {
  auto body = ordered_json::parse(R"({"model":"m","messages":[{"role":"developer","content":"be brief"},
      {"role":"user","content":[{"type":"text","text":"a"},{"type":"text","text":"b"}]}],
      "max_tokens":7,"stop":"x","seed":3,"stream":true,"stream_options":{"include_usage":true}})");
  auto c = chat_request(body);
  ASSERT_TRUE(c.ok()) << c.error().to_string();
  EXPECT_TRUE(c->stream);
  EXPECT_TRUE(c->include_usage);
  const auto& n = c->native;
  EXPECT_EQ(n["options"]["temperature"], 1.0);
  EXPECT_EQ(n["options"]["top_p"], 1.0);
  EXPECT_EQ(n["options"]["num_predict"], 7);
  EXPECT_EQ(n["options"]["stop"], ordered_json::array({"x"}));
  EXPECT_EQ(n["options"]["seed"], 3);
  ASSERT_EQ(n["messages"].size(), 3u);
  EXPECT_EQ(n["messages"][0]["role"], "system");
  EXPECT_EQ(n["messages"][1]["content"], "a");
  EXPECT_EQ(n["messages"][2]["content"], "b");
}

TEST(OpenAi, ToolMessagesGetTheirFunctionNameFromTheCall) {
  auto body = ordered_json::parse(R"({"model":"m","messages":[
      {"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function",
        "function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}}]},
      {"role":"tool","tool_call_id":"call_1","content":"sunny"}],"temperature":0.5})");
  auto c = chat_request(body);
  ASSERT_TRUE(c.ok()) << c.error().to_string();
  const auto& m = c->native["messages"];
  EXPECT_EQ(m[0]["tool_calls"][0]["function"]["arguments"]["city"], "Paris");
  EXPECT_EQ(m[1]["tool_name"], "get_weather");
  EXPECT_EQ(c->native["options"]["temperature"], 0.5);
}

TEST(OpenAi, BadRequestsAreErrors) {
  EXPECT_FALSE(chat_request(ordered_json::parse(R"({"messages":[]})")).ok());
  EXPECT_FALSE(chat_request(ordered_json::parse(R"({"model":"m","messages":"hi"})")).ok());
  EXPECT_FALSE(completion_request(ordered_json::parse(R"({"model":"m","prompt":["a"]})")).ok());
  EXPECT_FALSE(embedding_request(ordered_json::parse(R"({"model":"m","input":[[1,2]]})")).ok());
  auto image = ordered_json::parse(R"({"model":"m","messages":[{"role":"user","content":[
      {"type":"image_url","image_url":{"url":"https://example.com/cat.png"}}]}]})");
  EXPECT_FALSE(chat_request(image).ok());
  auto rf =
      chat_request(ordered_json::parse(R"({"model":"m","messages":[],"response_format":{"type":"json_object"}})"));
  ASSERT_TRUE(rf.ok());
  EXPECT_EQ(rf->native["format"], "json");
}

TEST(OpenAi, ResponseShapes) {
  Answer answer;
  answer.out.content = "hi";
  auto whole = chat_completion("chatcmpl-1", "m", 100, answer, "length", {3, 2});
  EXPECT_EQ(whole["object"], "chat.completion");
  EXPECT_EQ(whole["choices"][0]["message"]["content"], "hi");
  EXPECT_FALSE(whole["choices"][0]["message"].contains("reasoning"));
  EXPECT_FALSE(whole["choices"][0].contains("logprobs"));
  EXPECT_EQ(whole["choices"][0]["finish_reason"], "length");
  EXPECT_EQ(whole["usage"]["total_tokens"], 5);
  auto usage = usage_chunk("chatcmpl-1", "chat.completion.chunk", "m", 100, {3, 2});
  EXPECT_TRUE(usage["choices"].empty());
  auto err = error_body(404, "model \"x\" not found");
  EXPECT_EQ(err["error"]["type"], "not_found_error");
  EXPECT_TRUE(err["error"]["param"].is_null());
}

TEST(OpenAi, AnswerWithThinkingToolCallsAndLogprobs) {
  Answer answer;
  answer.out.content = "";
  answer.out.thinking = "hmm";
  answer.out.tool_calls.push_back({"call_abc", "get_weather", ordered_json{{"city", "Paris"}}, 0});
  answer.logprobs = ordered_json::array({{{"token", "a"}, {"logprob", -0.5}, {"bytes", {97}}}});
  auto whole = chat_completion("chatcmpl-1", "m", 100, answer, "stop", {3, 2});
  const auto& choice = whole["choices"][0];
  EXPECT_EQ(choice["finish_reason"], "tool_calls");
  EXPECT_EQ(choice["message"]["reasoning"], "hmm");
  const auto& call = choice["message"]["tool_calls"][0];
  EXPECT_EQ(call["id"], "call_abc");
  EXPECT_EQ(call["type"], "function");
  EXPECT_EQ(call["index"], 0);
  EXPECT_EQ(call["function"]["name"], "get_weather");
  EXPECT_EQ(call["function"]["arguments"], R"({"city":"Paris"})");
  EXPECT_EQ(choice["logprobs"]["content"][0]["token"], "a");
  auto text = text_completion("cmpl-1", "m", 100, answer, "length", {3, 2});
  EXPECT_EQ(text["choices"][0]["finish_reason"], "length");
  EXPECT_EQ(text["choices"][0]["logprobs"]["content"][0]["logprob"], -0.5);
}

TEST(OpenAi, NMustBeOneAndToolChoiceAutoOrNone) {
  auto n2 = chat_request(ordered_json::parse(R"({"model":"m","messages":[],"n":2})"));
  ASSERT_FALSE(n2.ok());
  EXPECT_NE(n2.error().to_string().find("n must be 1"), std::string::npos);
  EXPECT_TRUE(chat_request(ordered_json::parse(R"({"model":"m","messages":[],"n":1})")).ok());
  EXPECT_FALSE(completion_request(ordered_json::parse(R"({"model":"m","prompt":"x","n":3})")).ok());
  const char* tools = R"([{"type":"function","function":{"name":"f","parameters":{"type":"object"}}}])";
  auto with = [&](const std::string& choice) {
    return chat_request(ordered_json::parse(R"({"model":"m","messages":[],"tools":)" + std::string(tools) +
                                            (choice.empty() ? "" : R"(,"tool_choice":)" + choice) + "}"));
  };
  ASSERT_TRUE(with("").ok());
  EXPECT_EQ(with("")->native["tools"].size(), 1u);
  ASSERT_TRUE(with(R"("auto")").ok());
  EXPECT_TRUE(with(R"("auto")")->native.contains("tools"));
  ASSERT_TRUE(with(R"("none")").ok());
  EXPECT_FALSE(with(R"("none")")->native.contains("tools"));
  EXPECT_FALSE(with(R"("required")").ok());
  EXPECT_FALSE(with(R"({"type":"function","function":{"name":"f"}})").ok());
}

TEST(OpenAi, ReasoningEffortBecomesThink) {
  auto effort = [](const std::string& e) {
    return chat_request(ordered_json::parse(R"({"model":"m","messages":[],"reasoning_effort":")" + e + "\"}"));
  };
  EXPECT_EQ(effort("none")->native["think"], false);
  EXPECT_EQ(effort("minimal")->native["think"], "low");
  EXPECT_EQ(effort("high")->native["think"], "high");
  EXPECT_EQ(effort("xhigh")->native["think"], "max");
  EXPECT_FALSE(effort("extreme").ok());
  auto nested = chat_request(ordered_json::parse(R"({"model":"m","messages":[],"reasoning":{"effort":"low"}})"));
  EXPECT_EQ(nested->native["think"], "low");
  EXPECT_FALSE(chat_request(ordered_json::parse(R"({"model":"m","messages":[]})"))->native.contains("think"));
}

TEST(OpenAi, EmbeddingRequestCarriesTheEncodingFormat) {
  auto plain = embedding_request(ordered_json::parse(R"({"model":"m","input":"a"})"));
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->encoding_format, "float");
  auto b64 = embedding_request(ordered_json::parse(R"({"model":"m","input":["a"],"encoding_format":"base64"})"));
  ASSERT_TRUE(b64.ok());
  EXPECT_EQ(b64->encoding_format, "base64");
}

TEST(OpenAi, EmbeddingsAsFloatsOrBase64) {
  auto native = ordered_json::parse(R"({"embeddings":[[1.0,0.0]],"prompt_eval_count":4})");
  auto floats = embedding_list(native, "m", "float");
  ASSERT_TRUE(floats.ok());
  EXPECT_EQ((*floats)["data"][0]["embedding"][0], 1.0);
  EXPECT_EQ((*floats)["usage"]["prompt_tokens"], 4);
  auto b64 = embedding_list(native, "m", "base64");
  ASSERT_TRUE(b64.ok());
  // 1.0f = 00 00 80 3f, 0.0f = 00 00 00 00 (little-endian) → "AACAPwAAAAA="
  EXPECT_EQ((*b64)["data"][0]["embedding"], "AACAPwAAAAA=");
  EXPECT_FALSE(embedding_list(native, "m", "int8").ok());
}

}  // namespace
}  // namespace corral::server::openai
