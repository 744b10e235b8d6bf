// cli::Progress: the bar line's fields and width, Go-style ETAs, and what reaches the stream on a
// terminal (in-place redraws) and elsewhere (plain lines).
#include "cli/progress.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>

namespace corral::cli {
namespace {

int columns(const std::string& s) {
  int n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

// Everything written to a temporary FILE*.
std::string contents(std::FILE* f) {
  std::fflush(f);
  std::rewind(f);
  std::string out;
  for (int c; (c = std::fgetc(f)) != EOF;) out += static_cast<char>(c);
  return out;
}

TEST(Progress, EtaIsGoDurationInWholeSeconds) {
  EXPECT_EQ(Progress::format_eta(0), "0s");
  EXPECT_EQ(Progress::format_eta(12.4), "12s");
  EXPECT_EQ(Progress::format_eta(59.6), "1m0s");
  EXPECT_EQ(Progress::format_eta(245), "4m5s");
  EXPECT_EQ(Progress::format_eta(3723), "1h2m3s");
}

TEST(Progress, BarShowsPercentBytesRateAndEta) {
  // 450 MB of 1 GB in 3 s: 150 MB/s, 550 MB left = 3.67 s → "4s".
  std::string line = Progress::render_bar("copying file sha256:abc", 450'000'000, 1'000'000'000, 3.0, 100);
  EXPECT_TRUE(line.starts_with("copying file sha256:abc  45% ▕")) << line;
  EXPECT_TRUE(line.ends_with("▏ 450 MB/1 GB  150 MB/s  4s")) << line;
  EXPECT_LE(columns(line), 100) << line;
  // 45% of the cells are full.
  size_t full = 0;
  for (size_t at = line.find("█"); at != std::string::npos; at = line.find("█", at + 1)) ++full;
  size_t cells = full;
  for (size_t at = line.find("▕") + 3; line.compare(at, 3, "▏") != 0; ++at)
    if (line[at] == ' ') ++cells;
  EXPECT_EQ(full, cells * 45 / 100) << line;

  // Complete: the total only. Just started (no rate yet): no rate or ETA.
  EXPECT_TRUE(Progress::render_bar("x", 5'000'000, 5'000'000, 2.0, 80).ends_with("▏ 5 MB")) << "complete";
  EXPECT_TRUE(Progress::render_bar("x", 1'000, 5'000'000, 0.1, 80).ends_with("▏ 1 KB/5 MB"));
  // A long label is cut to half the width.
  std::string long_label(200, 'a');
  line = Progress::render_bar(long_label, 1, 2, 1.0, 80);
  EXPECT_NE(line.find("…"), std::string::npos);
  EXPECT_LE(columns(line), 80) << line;
}

TEST(Progress, PlainLinesWhenNotATerminal) {
  std::FILE* f = std::tmpfile();
  ASSERT_NE(f, nullptr);
  {
    Progress p(f, false);
    p.status("gathering");
    p.status("gathering");  // the same status again: no new line
    p.bar("hashing a.gguf", 0, 100);
    p.bar("hashing a.gguf", 50, 100);
    p.bar("hashing a.gguf", 100, 100);
    p.status("success");
  }
  EXPECT_EQ(contents(f), "gathering\nhashing a.gguf\nsuccess\n");
  std::fclose(f);
}

TEST(Progress, RedrawsInPlaceOnATerminal) {
  std::FILE* f = std::tmpfile();
  ASSERT_NE(f, nullptr);
  {
    Progress p(f, true);
    p.bar("hashing a.gguf", 0, 100);
    p.bar("hashing a.gguf", 50, 100);
    p.bar("hashing a.gguf", 100, 100);
    p.status("success");
  }
  std::string out = contents(f);
  std::fclose(f);
  EXPECT_NE(out.find("\rhashing a.gguf  50% ▕"), std::string::npos) << out;
  // The finished bar stays on its own line, then the status replaces its spinner with the text.
  EXPECT_NE(out.find("\rhashing a.gguf 100% ▕"), std::string::npos) << out;
  EXPECT_NE(out.find("▏ 100 B\x1b[K\n"), std::string::npos) << out;
  EXPECT_TRUE(out.ends_with("\rsuccess\x1b[K\n")) << out;
  size_t newlines = 0;
  for (char c : out) newlines += c == '\n';
  EXPECT_EQ(newlines, 2u) << out;
}

}  // namespace
}  // namespace corral::cli
