// cli/table.h and cli/show_format.h against Ollama's own expectations: the cases of Ollama's
// cmd_test.go TestShowInfo (same inputs, byte-for-byte outputs, trailing padding included), its
// tablewriter's header and wrapping rules, and Go's number formats.
#include "cli/show_format.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "cli/table.h"

namespace corral::cli {
namespace {

using nlohmann::json;

json bare_details() {
  return json{{"details", {{"family", "test"}, {"parameter_size", "7B"}, {"quantization_level", "FP16"}}}};
}

const char* kBareModel =
    "  Model\n"
    "    architecture    test    \n"
    "    parameters      7B      \n"
    "    quantization    FP16    \n"
    "\n";

TEST(ShowFormat, BareDetails) {
  EXPECT_EQ(format_show(bare_details(), false), kBareModel);
}

TEST(ShowFormat, BareModelInfo) {
  json r = bare_details();
  r["model_info"] = {{"general.architecture", "test"},
                     {"general.parameter_count", 7e9},
                     {"test.context_length", 0},
                     {"test.embedding_length", 0}};
  EXPECT_EQ(format_show(r, false),
            "  Model\n"
            "    architecture        test    \n"
            "    parameters          7B      \n"
            "    context length      0       \n"
            "    embedding length    0       \n"
            "    quantization        FP16    \n"
            "\n");
}

TEST(ShowFormat, VerboseModel) {
  json r = bare_details();
  r["details"]["parameter_size"] = "8B";
  r["parameters"] = "\n\t\t\tstop up";
  r["model_info"] = {{"general.architecture", "test"}, {"general.parameter_count", 8e9},
                     {"some.true_bool", true},         {"some.false_bool", false},
                     {"test.context_length", 1000},    {"test.embedding_length", 11434}};
  r["tensors"] = {{{"name", "blk.0.attn_k.weight"}, {"type", "BF16"}, {"shape", {42, 3117}}},
                  {{"name", "blk.0.attn_q.weight"}, {"type", "FP16"}, {"shape", {3117, 42}}}};
  EXPECT_EQ(format_show(r, true),
            "  Model\n"
            "    architecture        test     \n"
            "    parameters          8B       \n"
            "    context length      1000     \n"
            "    embedding length    11434    \n"
            "    quantization        FP16     \n"
            "\n"
            "  Parameters\n"
            "    stop    up    \n"
            "\n"
            "  Metadata\n"
            "    general.architecture       test     \n"
            "    general.parameter_count    8e+09    \n"
            "    some.false_bool            false    \n"
            "    some.true_bool             true     \n"
            "    test.context_length        1000     \n"
            "    test.embedding_length      11434    \n"
            "\n"
            "  Tensors\n"
            "    blk.0.attn_k.weight    BF16    [42 3117]    \n"
            "    blk.0.attn_q.weight    FP16    [3117 42]    \n"
            "\n");
  // Without -v the same answer shows neither Metadata nor Tensors.
  EXPECT_EQ(format_show(r, false).find("Metadata"), std::string::npos);
  EXPECT_EQ(format_show(r, false).find("Tensors"), std::string::npos);
}

TEST(ShowFormat, Parameters) {
  json r = bare_details();
  r["parameters"] =
      "\n\t\t\tstop never\n\t\t\tstop gonna\n\t\t\tstop give\n\t\t\tstop you\n\t\t\tstop up\n\t\t\ttemperature 99";
  EXPECT_EQ(format_show(r, false), std::string(kBareModel) +
                                       "  Parameters\n"
                                       "    stop           never    \n"
                                       "    stop           gonna    \n"
                                       "    stop           give     \n"
                                       "    stop           you      \n"
                                       "    stop           up       \n"
                                       "    temperature    99       \n"
                                       "\n");
}

TEST(ShowFormat, Projector) {
  json r = bare_details();
  r["projector_info"] = {{"general.architecture", "clip"},
                         {"general.parameter_count", 133700000},
                         {"clip.vision.embedding_length", 0},
                         {"clip.vision.projection_dim", 0}};
  EXPECT_EQ(format_show(r, false), std::string(kBareModel) +
                                       "  Projector\n"
                                       "    architecture        clip       \n"
                                       "    parameters          133.70M    \n"
                                       "    embedding length    0          \n"
                                       "    dimensions          0          \n"
                                       "\n");
}

TEST(ShowFormat, SystemShowsTwoLinesThenEllipsis) {
  json r = bare_details();
  r["system"] = "You are a pirate!\nAhoy, matey!\nWeigh anchor!\n\t\t\t";
  EXPECT_EQ(format_show(r, false), std::string(kBareModel) +
                                       "  System\n"
                                       "    You are a pirate!    \n"
                                       "    Ahoy, matey!         \n"
                                       "    ...                  \n"
                                       "\n");
}

TEST(ShowFormat, License) {
  json r = bare_details();
  r["license"] = "MIT License\nCopyright (c) Ollama\n";
  EXPECT_EQ(format_show(r, false), std::string(kBareModel) +
                                       "  License\n"
                                       "    MIT License             \n"
                                       "    Copyright (c) Ollama    \n"
                                       "\n");
}

TEST(ShowFormat, Capabilities) {
  json r = bare_details();
  r["capabilities"] = {"vision", "tools"};
  EXPECT_EQ(format_show(r, false), std::string(kBareModel) +
                                       "  Capabilities\n"
                                       "    vision    \n"
                                       "    tools     \n"
                                       "\n");
}

TEST(ShowFormat, RequiresRow) {
  json r = bare_details();
  r["requires"] = "0.19.0";
  EXPECT_EQ(format_show(r, false),
            "  Model\n"
            "    architecture    test      \n"
            "    parameters      7B        \n"
            "    quantization    FP16      \n"
            "    requires        0.19.0    \n"
            "\n");
}

TEST(ShowFormat, MetadataArraysShowWhatFitsInTenColumns) {
  json r = bare_details();
  r["model_info"] = {{"general.architecture", "test"},
                     {"a.ids", {1, 2, 3, 4, 5, 6}},
                     {"b.short", {1, 2}},
                     {"c.words", {"hello", "world"}},
                     {"d.empty", json::array()}};
  std::string out = format_show(r, true);
  EXPECT_NE(out.find("    a.ids                   [1 2 3 ...+3 more]    \n"), std::string::npos) << out;
  EXPECT_NE(out.find("    b.short                 [1 2]                 \n"), std::string::npos) << out;
  EXPECT_NE(out.find("    c.words                 [hello ...+1 more]    \n"), std::string::npos) << out;
  EXPECT_NE(out.find("    d.empty                 []                    \n"), std::string::npos) << out;
}

TEST(Table, HeaderEndsWithOneSpaceRowsWithThePadding) {
  EXPECT_EQ(render_table({"NAME", "ID", "SIZE", "MODIFIED"}, {}), "NAME    ID    SIZE    MODIFIED \n");
  EXPECT_EQ(render_table({"NAME", "ID", "SIZE", "PROCESSOR", "CONTEXT", "UNTIL"},
                         {{"qwen2.5:3b", "357c53fb659c", "2.4 GB", "100% GPU", "4096", "Forever"}}),
            "NAME          ID              SIZE      PROCESSOR    CONTEXT    UNTIL   \n"
            "qwen2.5:3b    357c53fb659c    2.4 GB    100% GPU     4096       Forever    \n");
}

TEST(Table, LongCellsWrapAtThirtyColumnsWithMinimumRaggedness) {
  EXPECT_EQ(wrap_words("aaa bb cc ddddd", 6), (std::vector<std::string>{"aaa", "bb cc", "ddddd"}));
  // The limit rises to the longest word; words are never cut.
  EXPECT_EQ(wrap_words("averyveryverylongword x", 5), (std::vector<std::string>{"averyveryverylongword", "x"}));
  // A 39-column value wraps (27 + 11 beats 23 + 15: less squared slack) and its column is the
  // limit wide; the shorter cells of the continuation line are filled with two spaces each, as
  // tablewriter fills them.
  std::string value = "one two three four five six seven eight";
  EXPECT_EQ(render_table({}, {{"", "k", value}}), "    k    one two three four five six" + std::string(3 + 4, ' ') +
                                                      "\n" + std::string(12, ' ') + "seven eight" +
                                                      std::string(19 + 4, ' ') + "\n");
  EXPECT_EQ(render_table({}, {{"", "k", value}}, kNoColumnLimit), "    k    " + value + "    \n");
}

TEST(GoFormat, Numbers) {
  EXPECT_EQ(go_float_g(8e9), "8e+09");
  EXPECT_EQ(go_float_g(11434), "11434");
  EXPECT_EQ(go_float_g(999999), "999999");
  EXPECT_EQ(go_float_g(1e6), "1e+06");
  EXPECT_EQ(go_float_g(1234567), "1.234567e+06");
  EXPECT_EQ(go_float_g(1e-5), "1e-05");
  EXPECT_EQ(go_float_g(0.0001), "0.0001");
  EXPECT_EQ(go_float_g(0.7), "0.7");
  EXPECT_EQ(go_float_g(-2.5), "-2.5");
  EXPECT_EQ(go_float_g(0), "0");
  EXPECT_EQ(go_float_f(131072), "131072");
  EXPECT_EQ(go_float_f(1e21), "1000000000000000000000");
  EXPECT_EQ(go_value_text(json::parse(R"([1, "a", true, [2.5]])")), "[1 a true [2.5]]");
}

}  // namespace
}  // namespace corral::cli
