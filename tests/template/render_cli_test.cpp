// `corral debug render`: prints exactly the rendered prompt; template errors exit 1 with "Error: ...".
#include <gtest/gtest.h>

#include <fstream>

#include "testing/testing.h"

namespace corral::tmpl {
namespace {

void write(const std::filesystem::path& p, const std::string& text) {
  std::ofstream out(p, std::ios::binary);
  out << text;
}

std::string quoted(const std::filesystem::path& p) {
  return "'" + p.string() + "'";
}

TEST(DebugRender, JinjaPrintsThePromptOnly) {
  corral::testing::TempDir dir;
  write(dir / "t.jinja", "{{ bos_token }}{% for m in messages %}[{{ m.role }}] {{ m.content }}\n{% endfor %}");
  write(dir / "in.json", R"({"messages": [{"role": "user", "content": "héllo"}], "bos_token": "<s>"})");
  auto r = corral::testing::run_corral("debug render --template " + quoted(dir / "t.jinja") + " --input " +
                                       quoted(dir / "in.json"));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "<s>[user] héllo\n");  // the template's own text, nothing added
  EXPECT_EQ(r.err, "");
}

TEST(DebugRender, GoTemplateWithOllamaValues) {
  corral::testing::TempDir dir;
  write(dir / "t.gotmpl",
        "{{ if .System }}S={{ .System }};{{ end }}{{ range .Messages }}{{ .Role }}:{{ .Content }};{{ end }}");
  write(dir / "in.json", R"({"system": "sys", "prompt": "question"})");
  auto r = corral::testing::run_corral("debug render --template " + quoted(dir / "t.gotmpl") + " --input " +
                                       quoted(dir / "in.json"));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "S=sys;system:sys;user:question;");
}

TEST(DebugRender, TemplateErrorsExitOne) {
  corral::testing::TempDir dir;
  write(dir / "t.jinja", "{{ raise_exception('roles must alternate') }}");
  write(dir / "in.json", "{}");
  auto r = corral::testing::run_corral("debug render --template " + quoted(dir / "t.jinja") + " --input " +
                                       quoted(dir / "in.json"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "Error: line 1, column 4: roles must alternate\n");
  write(dir / "in.json", "[1]");
  r = corral::testing::run_corral("debug render --template " + quoted(dir / "t.jinja") + " --input " +
                                  quoted(dir / "in.json"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("expected a JSON object"), std::string::npos) << r.err;
}

TEST(DebugRender, GgufChatTemplate) {
  auto model = corral::testing::fixtures_dir() / "models" / "qwen3-tiny-qwen3v4k-f32.gguf";
  CORRAL_REQUIRE_FIXTURE(model);
  corral::testing::TempDir dir;
  write(dir / "in.json", R"({"messages": [{"role": "user", "content": "hi"}], "add_generation_prompt": true})");
  auto r =
      corral::testing::run_corral("debug render --template " + quoted(model) + " --input " + quoted(dir / "in.json"));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n");
}

}  // namespace
}  // namespace corral::tmpl
