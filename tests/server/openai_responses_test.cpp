// /v1/responses: input items → native chat, output items, and the streaming event sequence.
#include "server/openai_responses.h"

#include <gtest/gtest.h>

namespace corral::server::responses {
namespace {

TEST(Responses, StringInputWithInstructionsAndDefaults) {
  auto c = convert_request(ordered_json::parse(
      R"({"model":"m","input":"hi","instructions":"be brief","max_output_tokens":9,"reasoning":{"effort":"none"}})"));
  ASSERT_TRUE(c.ok()) << c.error().to_string();
  const auto& n = c->native;
  ASSERT_EQ(n["messages"].size(), 2u);
  EXPECT_EQ(n["messages"][0], ordered_json::parse(R"({"role":"system","content":"be brief"})"));
  EXPECT_EQ(n["messages"][1], ordered_json::parse(R"({"role":"user","content":"hi"})"));
  EXPECT_EQ(n["options"]["temperature"], 1.0);
  EXPECT_EQ(n["options"]["num_predict"], 9);
  EXPECT_EQ(n["think"], false);
  EXPECT_FALSE(c->stream);
  EXPECT_EQ(c->echo["instructions"], "be brief");
}

TEST(Responses, ItemsWithFunctionCallAndOutput) {
  auto c = convert_request(ordered_json::parse(R"({"model":"m","stream":true,
      "tools":[{"type":"function","name":"get_weather","parameters":{"type":"object","properties":{"city":{"type":"string"}}}}],
      "input":[{"role":"user","content":[{"type":"input_text","text":"weather?"}]},
               {"type":"reasoning","summary":[{"type":"summary_text","text":"look it up"}]},
               {"type":"function_call","call_id":"call_1","name":"get_weather","arguments":"{\"city\":\"Paris\"}"},
               {"type":"function_call_output","call_id":"call_1","output":"22C"}]})"));
  ASSERT_TRUE(c.ok()) << c.error().to_string();
  EXPECT_TRUE(c->stream);
  const auto& m = c->native["messages"];
  ASSERT_EQ(m.size(), 3u);
  EXPECT_EQ(m[0]["content"], "weather?");
  EXPECT_EQ(m[1]["role"], "assistant");
  EXPECT_EQ(m[1]["thinking"], "look it up");
  EXPECT_EQ(m[1]["tool_calls"][0]["function"]["name"], "get_weather");
  EXPECT_EQ(m[1]["tool_calls"][0]["function"]["arguments"]["city"], "Paris");
  EXPECT_EQ(m[2], ordered_json::parse(
                      R"({"role":"tool","content":"22C","tool_call_id":"call_1","tool_name":"get_weather"})"));
  EXPECT_EQ(c->native["tools"][0]["function"]["name"], "get_weather");
}

TEST(Responses, RefusesWhatIsNotThere) {
  for (const char* body :
       {R"({"model":"m","input":"x","previous_response_id":"resp_1"})",
        R"({"model":"m","input":"x","background":true})",
        R"({"model":"m","input":[{"role":"user","content":[{"type":"input_image","image_url":"x"}]}]})",
        R"({"model":"m","input":"x","tools":[{"type":"web_search"}]})",
        R"({"model":"m","input":"x","reasoning":{"effort":"huge"}})", R"({"model":"m","input":[{"type":"mystery"}]})",
        R"({"input":"x"})"}) {
    EXPECT_FALSE(convert_request(ordered_json::parse(body)).ok()) << body;
  }
}

TEST(Responses, OutputItemsOfAWholeAnswer) {
  ParsedOutput a;
  a.thinking = "hmm";
  a.content = "Calling.";
  a.tool_calls.push_back({"call_x", "get_weather", ordered_json{{"city", "Paris"}}, 0});
  auto items = output_items("resp_7", a);
  ASSERT_EQ(items.size(), 3u);
  EXPECT_EQ(items[0]["type"], "reasoning");
  EXPECT_EQ(items[0]["summary"][0]["text"], "hmm");
  EXPECT_EQ(items[1]["type"], "message");
  EXPECT_EQ(items[1]["content"][0]["text"], "Calling.");
  EXPECT_EQ(items[2]["type"], "function_call");
  EXPECT_EQ(items[2]["call_id"], "call_x");
  EXPECT_EQ(items[2]["arguments"], R"({"city":"Paris"})");
  auto r = response_object(ordered_json{{"model", "m"}}, "resp_7", 1, "incomplete", items, usage_json({3, 4}));
  EXPECT_EQ(r["incomplete_details"]["reason"], "max_output_tokens");
  EXPECT_EQ(r["usage"]["total_tokens"], 7);
}

TEST(Responses, StreamEventSequence) {
  StreamEvents s(ordered_json{{"model", "m"}}, "resp_5", 1);
  std::vector<Event> all = s.start();
  ParsedOutput think;
  think.thinking = "a";
  for (auto& e : s.add(think)) all.push_back(e);
  ParsedOutput text;
  text.content = "Hi";
  for (auto& e : s.add(text)) all.push_back(e);
  ParsedOutput call;
  call.tool_calls.push_back({"call_y", "f", ordered_json::object(), 0});
  for (auto& e : s.add(call)) all.push_back(e);
  for (auto& e : s.finish("stop", {1, 2})) all.push_back(e);
  std::vector<std::string> types;
  for (size_t i = 0; i < all.size(); ++i) {
    types.push_back(all[i].type);
    EXPECT_EQ(all[i].data["type"], all[i].type);
    EXPECT_EQ(all[i].data["sequence_number"], i);
  }
  const std::vector<std::string> expected = {"response.created",
                                             "response.in_progress",
                                             "response.output_item.added",
                                             "response.reasoning_summary_part.added",
                                             "response.reasoning_summary_text.delta",
                                             "response.reasoning_summary_text.done",
                                             "response.reasoning_summary_part.done",
                                             "response.output_item.done",
                                             "response.output_item.added",
                                             "response.content_part.added",
                                             "response.output_text.delta",
                                             "response.output_text.done",
                                             "response.content_part.done",
                                             "response.output_item.done",
                                             "response.output_item.added",
                                             "response.function_call_arguments.delta",
                                             "response.function_call_arguments.done",
                                             "response.output_item.done",
                                             "response.completed"};
  EXPECT_EQ(types, expected);
  const auto& final_response = all.back().data["response"];
  EXPECT_EQ(final_response["status"], "completed");
  ASSERT_EQ(final_response["output"].size(), 3u);
  EXPECT_EQ(final_response["output"][1]["content"][0]["text"], "Hi");
  EXPECT_EQ(final_response["output"][2]["arguments"], "{}");
  EXPECT_EQ(all[12].data["output_index"], 1);  // the message is the second output item
}

TEST(Responses, EmptyAnswerStreamsAnEmptyMessage) {
  StreamEvents s(ordered_json{{"model", "m"}}, "resp_5", 1);
  s.start();
  auto end = s.finish("length", {1, 0});
  EXPECT_EQ(end.back().type, "response.incomplete");
  EXPECT_EQ(end.back().data["response"]["output"][0]["type"], "message");
}

}  // namespace
}  // namespace corral::server::responses
