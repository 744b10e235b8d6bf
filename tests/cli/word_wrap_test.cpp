// cli::WordWrapper: words never cross the right edge, whatever the pieces the stream arrives in.
#include "cli/word_wrap.h"

#include <gtest/gtest.h>

#include <sstream>

namespace corral::cli {
namespace {

// Feeds `text` in pieces of `piece` bytes to a wrapper of `width` columns.
std::string wrap(std::string_view text, int width, size_t piece) {
  std::string out;
  WordWrapper w(width, [&](std::string_view s) { out += s; });
  for (size_t i = 0; i < text.size(); i += piece) w.write(text.substr(i, piece));
  w.finish();
  return out;
}

size_t columns(std::string_view line) {
  size_t n = 0;
  for (char c : line) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

TEST(WordWrap, BreaksBeforeTheWordThatWouldCrossTheEdge) {
  EXPECT_EQ(wrap("the cat sat on the mat", 10, 1), "the cat\nsat on the\nmat");
  EXPECT_EQ(wrap("the cat sat on the mat", 10, 100), "the cat\nsat on the\nmat");
  // A space exactly at the edge becomes the line break, not a leading space.
  EXPECT_EQ(wrap("abcde fghij", 5, 3), "abcde\nfghij");
  EXPECT_EQ(wrap("one\ntwo three", 8, 2), "one\ntwo\nthree");
}

TEST(WordWrap, BreaksAWordLongerThanALine) {
  EXPECT_EQ(wrap("abcdefghijkl xy", 5, 1), "abcde\nfghij\nkl xy");
}

TEST(WordWrap, CountsCodePointsNotBytes) {
  // "café" is four columns: it fits a line of four.
  EXPECT_EQ(wrap("café café", 4, 1), "café\ncafé");
  // A multi-byte character is never split when a long word breaks.
  const std::string out = wrap("ééééééé", 3, 1);
  EXPECT_EQ(out, "ééé\nééé\né");
}

TEST(WordWrap, NoWidthPassesThrough) {
  EXPECT_EQ(wrap("the cat sat on the mat", 0, 3), "the cat sat on the mat");
}

TEST(WordWrap, EveryLineFitsForManyWidthsAndPieceSizes) {
  const std::string text =
      "It was a bright cold day in April, and the clocks were striking thirteen. Winston Smith, his chin "
      "nuzzled into his breast in an effort to escape the vile wind, slipped quickly through the glass doors.";
  for (int width = 10; width <= 40; ++width) {  // no word is longer than 9
    for (size_t piece : {1u, 2u, 7u, 64u}) {
      const std::string out = wrap(text, width, piece);
      std::istringstream lines(out);
      std::string rebuilt;
      for (std::string line; std::getline(lines, line);) {
        EXPECT_LE(columns(line), static_cast<size_t>(width)) << "width " << width << ": " << line;
        rebuilt += (rebuilt.empty() ? "" : " ") + line;
      }
      EXPECT_EQ(rebuilt, text) << "width " << width << " piece " << piece;  // only spaces became breaks
    }
  }
}

}  // namespace
}  // namespace corral::cli
