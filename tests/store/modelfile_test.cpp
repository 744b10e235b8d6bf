// Modelfile parser, PARAMETER types and the `show --modelfile` generator: every form the reference
// (§3) names parses, malformed input fails on the right line, and writing then parsing is lossless.
#include "store/modelfile.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "store/parameters.h"

namespace corral::store {
namespace {

using nlohmann::ordered_json;

Modelfile parse_ok(std::string_view text) {
  auto r = parse_modelfile(text);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().to_string()) << "\n--- input ---\n" << text;
  return r.ok() ? std::move(r).value() : Modelfile{};
}

std::string parse_error(std::string_view text) {
  auto r = parse_modelfile(text);
  EXPECT_FALSE(r.ok()) << "parsed but should not:\n" << text;
  return r.ok() ? "" : r.error().to_string();
}

std::vector<std::pair<std::string, std::string>> name_args(const Modelfile& mf) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& c : mf.commands) out.emplace_back(c.name, c.args);
  return out;
}

using Pairs = std::vector<std::pair<std::string, std::string>>;

// --- §3 examples -----------------------------------------------------------------------------

TEST(ModelfileParse, FromForms) {
  // A model name, a local GGUF, a blob path, a safetensors directory, and model + projector.
  EXPECT_EQ(name_args(parse_ok("FROM llama3.2\n")), (Pairs{{"from", "llama3.2"}}));
  EXPECT_EQ(name_args(parse_ok("FROM ./model.gguf")), (Pairs{{"from", "./model.gguf"}}));
  std::string blob = "/root/.ollama/models/blobs/sha256-" + std::string(64, 'a');
  EXPECT_EQ(name_args(parse_ok("FROM " + blob)), (Pairs{{"from", blob}}));
  EXPECT_EQ(name_args(parse_ok("FROM ~/models/Llama-3.2-1B/\n")), (Pairs{{"from", "~/models/Llama-3.2-1B/"}}));
  EXPECT_EQ(name_args(parse_ok("FROM ./model.gguf\nFROM ./mmproj.gguf\n")),
            (Pairs{{"from", "./model.gguf"}, {"from", "./mmproj.gguf"}}));
  EXPECT_EQ(name_args(parse_ok("FROM registry.ollama.ai/library/llama3.2:latest")),
            (Pairs{{"from", "registry.ollama.ai/library/llama3.2:latest"}}));
}

TEST(ModelfileParse, EveryInstruction) {
  const std::string text =
      "# a comment line\n"
      "FROM llama3.2\n"
      "PARAMETER temperature 0.6\n"
      "PARAMETER stop <|eot_id|>\n"
      "PARAMETER stop \"<|start_header_id|>\"\n"
      "TEMPLATE \"\"\"{{ if .System }}<|start_header_id|>system<|end_header_id|>\n"
      "\n"
      "{{ .System }}<|eot_id|>{{ end }}{{ .Prompt }}\"\"\"\n"
      "SYSTEM You are Mario from Super Mario Bros.\n"
      "ADAPTER ./lora.gguf\n"
      "LICENSE \"\"\"MIT License\n"
      "Copyright (c) \"someone\"\"\"\"\n"
      "LICENSE Apache-2.0\n"
      "MESSAGE system You are terse.\n"
      "MESSAGE user Is Toronto in Canada?\n"
      "MESSAGE assistant yes\n"
      "REQUIRES 0.14.0\n"
      "DRAFT ./draft.gguf\n"
      "RENDERER harmony\n"
      "PARSER qwen3-coder\n";
  Modelfile mf = parse_ok(text);
  EXPECT_EQ(name_args(mf), (Pairs{
                               {"from", "llama3.2"},
                               {"temperature", "0.6"},
                               {"stop", "<|eot_id|>"},
                               {"stop", "<|start_header_id|>"},
                               {"template",
                                "{{ if .System }}<|start_header_id|>system<|end_header_id|>\n\n{{ .System "
                                "}}<|eot_id|>{{ end }}{{ .Prompt }}"},
                               {"system", "You are Mario from Super Mario Bros."},
                               {"adapter", "./lora.gguf"},
                               {"license", "MIT License\nCopyright (c) \"someone\""},
                               {"license", "Apache-2.0"},
                               {"message", "system: You are terse."},
                               {"message", "user: Is Toronto in Canada?"},
                               {"message", "assistant: yes"},
                               {"requires", "0.14.0"},
                               {"draft", "./draft.gguf"},
                               {"renderer", "harmony"},
                               {"parser", "qwen3-coder"},
                           }));
  std::vector<int> lines;
  for (const auto& c : mf.commands) lines.push_back(c.line);
  EXPECT_EQ(lines, (std::vector<int>{2, 3, 4, 5, 6, 9, 10, 11, 13, 14, 15, 16, 17, 18, 19, 20}));
}

TEST(ModelfileParse, EveryParameterName) {
  // Table §2.3 / §3, with a value of each one's type.
  const Pairs params = {
      {"num_ctx", "4096"},
      {"num_batch", "512"},
      {"num_gpu", "-1"},
      {"main_gpu", "0"},
      {"use_mmap", "false"},
      {"num_thread", "8"},
      {"draft_num_predict", "4"},
      {"num_keep", "4"},
      {"seed", "42"},
      {"num_predict", "-1"},
      {"top_k", "40"},
      {"top_p", "0.9"},
      {"min_p", "0.0"},
      {"typical_p", "1.0"},
      {"repeat_last_n", "64"},
      {"temperature", "0.8"},
      {"repeat_penalty", "1.1"},
      {"presence_penalty", "0"},
      {"frequency_penalty", "0.5"},
      {"stop", "</s>"},
  };
  std::string text = "FROM m\n";
  for (const auto& [k, v] : params) text += "PARAMETER " + k + " " + v + "\n";
  Modelfile mf = parse_ok(text);
  Pairs expected = {{"from", "m"}};
  expected.insert(expected.end(), params.begin(), params.end());
  EXPECT_EQ(name_args(mf), expected);

  auto json = parameters_to_json(params);
  ASSERT_TRUE(json.ok()) << json.error().to_string();
  EXPECT_EQ(json->dump(),
            R"({"draft_num_predict":4,"frequency_penalty":0.5,"main_gpu":0,"min_p":0,"num_batch":512,"num_ctx":4096,)"
            R"("num_gpu":-1,"num_keep":4,"num_predict":-1,"num_thread":8,"presence_penalty":0,"repeat_last_n":64,)"
            R"("repeat_penalty":1.1,"seed":42,"stop":["</s>"],"temperature":0.8,"top_k":40,"top_p":0.9,)"
            R"("typical_p":1,"use_mmap":false})");
}

TEST(ModelfileParse, CaseInsensitiveInstructionsCommentsBomAndCrlf) {
  Modelfile mf = parse_ok(
      "\xEF\xBB\xBF# comment\r\n"
      "  from llama3.2  \r\n"
      "\r\n"
      "\t# indented comment\r\n"
      "Parameter top_k 20\r\n"
      "sYsTeM \"\"\"line one\r\nline two\"\"\"\r\n"
      "SYSTEM # not a comment\r\n");
  EXPECT_EQ(
      name_args(mf),
      (Pairs{{"from", "llama3.2"}, {"top_k", "20"}, {"system", "line one\nline two"}, {"system", "# not a comment"}}));
  EXPECT_EQ(mf.commands[1].line, 5);
  EXPECT_EQ(mf.commands[3].line, 8);
}

TEST(ModelfileParse, QuotingKeepsInnerWhitespaceAndQuotes) {
  Modelfile mf = parse_ok(
      "FROM m\n"
      "SYSTEM \"  padded  \"\n"
      "PARAMETER stop \"\"\n"
      "PARAMETER stop \"\"\"say \"hi\"\"\"\"\n"
      "TEMPLATE \"two\n"
      "lines\"\n"
      "SYSTEM unquoted \"inner\" quotes\n"
      "MESSAGE user \"\"\"multi\n"
      "  line\"\"\"   \n");
  EXPECT_EQ(name_args(mf), (Pairs{{"from", "m"},
                                  {"system", "  padded  "},
                                  {"stop", ""},
                                  {"stop", "say \"hi\""},
                                  {"template", "two\nlines"},
                                  {"system", "unquoted \"inner\" quotes"},
                                  {"message", "user: multi\n  line"}}));
}

TEST(ModelfileParse, ReferenceRendererParserNamesAndParamsExample) {
  // §3 names these built-in renderers/parsers; §4.2 shows the params layer of a typical model.
  for (const char* n : {"harmony", "qwen3-coder", "gemma4", "glm-4.6"}) {
    Modelfile mf = parse_ok(std::string("FROM m\nRENDERER ") + n + "\nPARSER " + n + "\n");
    EXPECT_EQ(name_args(mf), (Pairs{{"from", "m"}, {"renderer", n}, {"parser", n}}));
  }
  Modelfile mf = parse_ok("FROM llama3.2\nPARAMETER temperature 0.6\nPARAMETER stop \"<|eot_id|>\"\n");
  Pairs nv;
  for (const auto& c : mf.commands)
    if (c.name != "from") nv.emplace_back(c.name, c.args);
  auto json = parameters_to_json(nv);
  ASSERT_TRUE(json.ok());
  EXPECT_EQ(json->dump(), R"({"stop":["<|eot_id|>"],"temperature":0.6})");
}

TEST(ModelfileParse, RequiresAcceptsSemverWithOptionalV) {
  for (const char* v : {"0.14.0", "v0.14.0", "1.2.3-rc.1", "v2", "1.2", "1.0.0+build.5"})
    parse_ok(std::string("FROM m\nREQUIRES ") + v + "\n");
}

TEST(ModelfileParse, DeprecatedParametersParseAndAreDropped) {
  Modelfile mf = parse_ok("FROM m\nPARAMETER mirostat 2\nPARAMETER penalize_newline true\nPARAMETER top_k 5\n");
  ASSERT_EQ(mf.commands.size(), 4u);
  Pairs nv;
  for (size_t i = 1; i < mf.commands.size(); ++i) nv.emplace_back(mf.commands[i].name, mf.commands[i].args);
  auto json = parameters_to_json(nv);
  ASSERT_TRUE(json.ok());
  EXPECT_EQ(json->dump(), R"({"top_k":5})");
}

// --- malformed Modelfiles: each error names its line -------------------------------------------

struct BadCase {
  const char* text;
  const char* expected;  // exact error text
};

TEST(ModelfileErrors, LineNumberedMessages) {
  const std::vector<BadCase> cases = {
      {"FROM m\n\nFORM x\n",
       "(line 3): unknown instruction \"FORM\" (expected FROM, PARAMETER, TEMPLATE, SYSTEM, ADAPTER, LICENSE, "
       "MESSAGE, REQUIRES, DRAFT, RENDERER or PARSER)"},
      {"FROM m\nFROM2 x\n",
       "(line 2): unknown instruction \"FROM2\" (expected FROM, PARAMETER, TEMPLATE, SYSTEM, ADAPTER, LICENSE, "
       "MESSAGE, REQUIRES, DRAFT, RENDERER or PARSER)"},
      {"FROM m\n# c\nPARAMETER temprature 0.5\n", "(line 3): unknown parameter 'temprature'"},
      {"FROM m\nPARAMETER num_ctx 4k\n", "(line 2): invalid int value \"4k\" for parameter 'num_ctx'"},
      {"FROM m\nPARAMETER seed 1.5\n", "(line 2): invalid int value \"1.5\" for parameter 'seed'"},
      {"FROM m\nPARAMETER top_k +-3\n", "(line 2): invalid int value \"+-3\" for parameter 'top_k'"},
      {"FROM m\n\n\nPARAMETER temperature hot\n", "(line 4): invalid float value \"hot\" for parameter 'temperature'"},
      {"FROM m\nPARAMETER top_p nan\n", "(line 2): invalid float value \"nan\" for parameter 'top_p'"},
      {"FROM m\nPARAMETER top_p 1e99\n", "(line 2): invalid float value \"1e99\" for parameter 'top_p'"},
      {"FROM m\nPARAMETER use_mmap yes\n", "(line 2): invalid bool value \"yes\" for parameter 'use_mmap'"},
      {"FROM m\nPARAMETER top-k 3\n", "(line 2): invalid parameter name \"top-k\""},
      {"FROM m\nPARAMETER top_k\n", "(line 2): missing value for parameter 'top_k'"},
      {"FROM m\nPARAMETER top_k   \n", "(line 2): missing value for parameter 'top_k'"},
      {"FROM m\nMESSAGE tool hi\n",
       "(line 2): message role must be one of \"system\", \"user\", or \"assistant\" (got \"tool\")"},
      {"FROM m\nMESSAGE User hi\n",
       "(line 2): message role must be one of \"system\", \"user\", or \"assistant\" (got \"User\")"},
      {"FROM m\nMESSAGE user\n", "(line 2): missing text for MESSAGE user"},
      {"FROM m\nSYSTEM \"\"\"never\nclosed\n\n",
       "(line 2): unexpected EOF: unterminated \"\"\" quote in the value of SYSTEM"},
      {"FROM m\n\nTEMPLATE \"open\n", "(line 3): unexpected EOF: unterminated \" quote in the value of TEMPLATE"},
      {"FROM m\nSYSTEM \"closed\" then text\n",
       "(line 2): unexpected EOF: unterminated \" quote in the value of SYSTEM"},
      {"PARAMETER top_k 3\nSYSTEM hi\n", "no FROM line"},
      {"# only a comment\n", "no FROM line"},
      {"", "no FROM line"},
      {"FROM\n", "(line 1): missing value for FROM"},
      {"FROM m\nSYSTEM\nTEMPLATE x\n", "(line 2): missing value for SYSTEM"},
      {"FROM m\nADAPTER    \n", "(line 2): missing value for ADAPTER"},
      {"FROM \"\"\n", "(line 1): missing value for FROM"},
      {"FROM m\nREQUIRES latest\n", "(line 2): requires must be a valid semver (e.g. 0.14.0), got \"latest\""},
      {"FROM m\nREQUIRES 1.02.0\n", "(line 2): requires must be a valid semver (e.g. 0.14.0), got \"1.02.0\""},
      {"FROM m\r\nSYSTEM hi\r\nBOGUS x\r\n",
       "(line 3): unknown instruction \"BOGUS\" (expected FROM, PARAMETER, TEMPLATE, SYSTEM, ADAPTER, LICENSE, "
       "MESSAGE, REQUIRES, DRAFT, RENDERER or PARSER)"},
      {"FROM m\nTEMPLATE \"\"\"a\nb\"\"\"\nPARAMETER stop\n", "(line 4): missing value for parameter 'stop'"},
  };
  for (const auto& c : cases) EXPECT_EQ(parse_error(c.text), c.expected) << "input:\n" << c.text;
}

// --- writing and reading back ------------------------------------------------------------------

TEST(ModelfileRoundTrip, ParseWriteParse) {
  const std::string text =
      "FROM /models/blobs/sha256-0123\n"
      "ADAPTER ./a.gguf\n"
      "TEMPLATE \"\"\"{{ .System }}\n{{ .Prompt }} \"quoted\"\"\"\"\n"
      "SYSTEM \"  leading and trailing  \"\n"
      "SYSTEM \"\"\"\"starts with a quote\"\"\"\n"
      "PARAMETER stop \"\"\n"
      "PARAMETER stop \"\\n\"\n"
      "PARAMETER stop \"\"\"<|im_end|> \"\"\"\n"
      "PARAMETER temperature 0.7\n"
      "LICENSE \"\"\"line 1\nline 2\"\"\"\n"
      "MESSAGE user \"\"\"what is \"x\"?\"\"\"\n"
      "MESSAGE assistant \"a: b\"\n"
      "REQUIRES v0.14.0\n";
  Modelfile first = parse_ok(text);
  std::string written = first.to_string();
  Modelfile second = parse_ok(written);
  EXPECT_EQ(name_args(second), name_args(first)) << written;
  EXPECT_EQ(second.to_string(), written);
}

TEST(ModelfileRoundTrip, QuoteChoices) {
  EXPECT_EQ(quote_modelfile_value("plain text"), "plain text");
  EXPECT_EQ(quote_modelfile_value("has \"quotes\" inside"), "has \"quotes\" inside");
  EXPECT_EQ(quote_modelfile_value(" lead"), "\" lead\"");
  EXPECT_EQ(quote_modelfile_value("two\nlines"), "\"two\nlines\"");
  EXPECT_EQ(quote_modelfile_value("two\n\"lines\""), "\"\"\"two\n\"lines\"\"\"\"");
  EXPECT_EQ(quote_modelfile_value("\"leading quote"), "\"\"\"\"leading quote\"\"\"");
  EXPECT_EQ(quote_modelfile_value(""), "\"\"");
}

TEST(ModelfileGenerate, OllamaShape) {
  ModelfileParts parts;
  parts.name = "llama3.2:latest";
  parts.model_path = "/store/blobs/sha256-aaaa";
  parts.adapter_paths = {"/store/blobs/sha256-bbbb"};
  parts.projector_paths = {"/store/blobs/sha256-cccc"};
  parts.template_text = "{{ .System }}\n{{ .Prompt }}";
  parts.system = "You are helpful.";
  parts.params = ordered_json::parse(R"({"stop":["<|eot_id|>","<|end|>"],"temperature":0.6,"use_mmap":false})");
  parts.messages = ordered_json::parse(R"([{"role":"user","content":"hi"},{"role":"assistant","content":"hello"}])");
  parts.licenses = {"MIT\nfull text", "Apache"};
  const std::string expected =
      "# Modelfile generated by \"corral show\"\n"
      "# To build a new Modelfile based on this, replace FROM with:\n"
      "# FROM llama3.2:latest\n"
      "\n"
      "FROM /store/blobs/sha256-aaaa\n"
      "ADAPTER /store/blobs/sha256-bbbb\n"
      "FROM /store/blobs/sha256-cccc\n"
      "TEMPLATE \"{{ .System }}\n{{ .Prompt }}\"\n"
      "SYSTEM You are helpful.\n"
      "PARAMETER stop <|eot_id|>\n"
      "PARAMETER stop <|end|>\n"
      "PARAMETER temperature 0.6\n"
      "PARAMETER use_mmap false\n"
      "LICENSE \"MIT\nfull text\"\n"
      "LICENSE Apache\n"
      "MESSAGE user hi\n"
      "MESSAGE assistant hello\n";
  std::string text = generate_modelfile(parts);
  EXPECT_EQ(text, expected);
  // The generated file is itself a valid Modelfile that yields the same params layer.
  Modelfile mf = parse_ok(text);
  Pairs nv;
  for (const auto& c : mf.commands)
    if (parameter_type(c.name)) nv.emplace_back(c.name, c.args);
  auto json = parameters_to_json(nv);
  ASSERT_TRUE(json.ok());
  EXPECT_EQ(*json, parts.params);
}

TEST(ModelfileGenerate, MinimalModelHasOnlyFrom) {
  ModelfileParts parts;
  parts.name = "x:latest";
  parts.model_path = "/b/sha256-1";
  EXPECT_EQ(generate_modelfile(parts),
            "# Modelfile generated by \"corral show\"\n# To build a new Modelfile based on this, replace FROM "
            "with:\n# FROM x:latest\n\nFROM /b/sha256-1\n");
}

// --- parameters ----------------------------------------------------------------------------

TEST(Parameters, TypesAndStrictParsing) {
  EXPECT_EQ(parameter_type("num_ctx"), ParameterType::kInt);
  EXPECT_EQ(parameter_type("top_p"), ParameterType::kFloat);
  EXPECT_EQ(parameter_type("use_mmap"), ParameterType::kBool);
  EXPECT_EQ(parameter_type("stop"), ParameterType::kStringList);
  EXPECT_FALSE(parameter_type("mirostat").has_value());
  EXPECT_TRUE(is_deprecated_parameter("mirostat"));
  EXPECT_FALSE(is_deprecated_parameter("top_k"));

  for (const char* ok : {"0", "-5", "+7", "9223372036854775807"})
    EXPECT_TRUE(validate_parameter("top_k", ok).ok()) << ok;
  for (const char* bad : {"", " 1", "1 ", "0x10", "1_000", "9223372036854775808", "1e3", "--1"})
    EXPECT_FALSE(validate_parameter("top_k", bad).ok()) << bad;
  for (const char* ok : {"0", "0.5", "-1.25", "+.5", "5.", "1e-3", "2E2"})
    EXPECT_TRUE(validate_parameter("temperature", ok).ok()) << ok;
  for (const char* bad : {"", ".", "e5", "inf", "-Inf", "NaN", "0.5x", "1e40", "0,5"})
    EXPECT_FALSE(validate_parameter("temperature", bad).ok()) << bad;
  for (const char* ok : {"1", "t", "T", "TRUE", "true", "True", "0", "f", "F", "FALSE", "false", "False"})
    EXPECT_TRUE(validate_parameter("use_mmap", ok).ok()) << ok;
  for (const char* bad : {"yes", "on", "tRue", "2", ""}) EXPECT_FALSE(validate_parameter("use_mmap", bad).ok()) << bad;
  EXPECT_EQ(validate_parameter("bogus", "1").error().to_string(), "unknown parameter 'bogus'");
  EXPECT_TRUE(validate_parameter("tfs_z", "anything").ok());  // deprecated: dropped later, not checked
}

TEST(Parameters, JsonValuesAreGoShaped) {
  // float32 rounding as Go's ParseFloat(s, 32), integral floats without ".0", stop accumulates,
  // a later scalar replaces an earlier one, keys sorted like a Go map.
  auto json = parameters_to_json(
      {{"temperature", "0.1234567891"}, {"stop", "a"}, {"top_p", "1"}, {"stop", "b"}, {"seed", "1"}, {"seed", "2"}});
  ASSERT_TRUE(json.ok());
  EXPECT_EQ(json->dump(), R"({"seed":2,"stop":["a","b"],"temperature":0.12345679,"top_p":1})");
  auto bad = parameters_to_json({{"top_k", "x"}});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().to_string(), "invalid int value \"x\" for parameter 'top_k'");
}

TEST(Parameters, MergeReplacesWholeKeys) {
  auto base = ordered_json::parse(R"({"temperature":0.6,"stop":["a","b"]})");
  auto over = ordered_json::parse(R"({"stop":["c"],"top_k":5})");
  EXPECT_EQ(merge_parameters(base, over).dump(), R"({"stop":["c"],"temperature":0.6,"top_k":5})");
}

TEST(Parameters, ShowParametersText) {
  auto params =
      ordered_json::parse(R"({"stop":["<|eot_id|>","a\"b"],"temperature":0.6,"use_mmap":true,"num_ctx":8192})");
  EXPECT_EQ(parameters_text(params),
            "stop                           \"<|eot_id|>\"\n"
            "stop                           \"a\\\"b\"\n"
            "temperature                    0.6\n"
            "use_mmap                       true\n"
            "num_ctx                        8192");
  EXPECT_EQ(parameters_from_json(params), (Pairs{{"stop", "<|eot_id|>"},
                                                 {"stop", "a\"b"},
                                                 {"temperature", "0.6"},
                                                 {"use_mmap", "true"},
                                                 {"num_ctx", "8192"}}));
}

}  // namespace
}  // namespace corral::store
