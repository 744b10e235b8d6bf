// File sniffing for model files: recognise the common wrong downloads by their first bytes.
#include "store/sniff.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <fstream>
#include <string_view>

#include "gguf/file.h"

namespace corral::store {
namespace {

constexpr size_t kSniffBytes = 1024;
constexpr std::string_view kLfsHeader = "version https://git-lfs.github.com/spec/v1";

std::string hex_dump(std::string_view head) {
  std::string hex, text;
  for (size_t i = 0; i < std::min<size_t>(head.size(), 16); ++i) {
    auto c = static_cast<unsigned char>(head[i]);
    hex += fmt::format("{}{:02x}", i ? " " : "", c);
    text += std::isprint(c) ? static_cast<char>(c) : '.';
  }
  return fmt::format("{} |{}|", hex, text);
}

uint64_t read_le64(std::string_view s) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(s[i]);
  return v;
}

// The value after `key ` on a line of a Git LFS pointer ("oid sha256:…", "size 123").
std::string lfs_field(std::string_view text, std::string_view key) {
  size_t pos = 0;
  while (pos < text.size()) {
    size_t eol = text.find('\n', pos);
    std::string_view line = text.substr(pos, eol == std::string_view::npos ? std::string_view::npos : eol - pos);
    if (line.size() > key.size() && line.substr(0, key.size()) == key && line[key.size()] == ' ')
      return std::string(line.substr(key.size() + 1));
    if (eol == std::string_view::npos) break;
    pos = eol + 1;
  }
  return "?";
}

bool starts_with_nocase(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(s[i])) != prefix[i]) return false;
  return true;
}

std::string_view skip_leading_space(std::string_view s) {
  if (s.substr(0, 3) == "\xEF\xBB\xBF") s.remove_prefix(3);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  return s;
}

std::string describe_gguf(const std::filesystem::path& path) {
  auto file = GgufFile::open(path);
  if (file.ok()) return "a valid GGUF file";
  return fmt::format("a truncated or damaged GGUF file ({})", file.error().to_string());
}

std::string describe_head(std::string_view head, uint64_t file_size) {
  if (head.substr(0, 4) == "GGUF") return "";  // the caller runs the GGUF reader
  if (head.size() >= 9 && head[8] == '{') {
    uint64_t header_len = read_le64(head);
    if (header_len >= 2 && header_len <= file_size - 8)
      return fmt::format(
          "a safetensors file ({}-byte JSON header), not GGUF; corral loads GGUF models: convert it first "
          "(for example with llama.cpp's convert_hf_to_gguf.py)",
          header_len);
  }
  if (head.substr(0, 4) == std::string_view("PK\x03\x04", 4))
    return "a ZIP archive, probably a PyTorch checkpoint (pytorch_model.bin or .pth), not GGUF; convert it to GGUF "
           "first (for example with llama.cpp's convert_hf_to_gguf.py)";
  if (head.size() >= 2 && static_cast<unsigned char>(head[0]) == 0x80 && head[1] >= 2 && head[1] <= 5)
    return "a Python pickle, probably a legacy PyTorch checkpoint, not GGUF; convert it to GGUF first";
  if (head.substr(0, kLfsHeader.size()) == kLfsHeader)
    return fmt::format(
        "a Git LFS pointer ({} bytes of text), not the model: the real file (oid {}, size {} bytes) was never "
        "downloaded; run `git lfs pull` in the repository or download the file itself",
        file_size, lfs_field(head, "oid"), lfs_field(head, "size"));
  std::string_view text = skip_leading_space(head);
  if (starts_with_nocase(text, "<!doctype html") || starts_with_nocase(text, "<html"))
    return "an HTML web page, not a model: the download probably saved a page (a login or file-viewer page) "
           "instead of the file; use the direct download link (on Hugging Face, /resolve/ rather than /blob/)";
  for (std::string_view legacy : {"lmgg", "fmgg", "tjgg"})
    if (head.substr(0, 4) == legacy)
      return "a legacy GGML/GGJT file (llama.cpp's format before GGUF); convert it to GGUF first";
  return fmt::format("not a GGUF file (no \"GGUF\" magic); it starts with {}", hex_dump(head));
}

}  // namespace

std::string describe_non_gguf(const std::filesystem::path& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) return "a directory, not a file";
  uint64_t size = std::filesystem::file_size(path, ec);
  if (ec) return fmt::format("unreadable ({})", ec.message());
  if (size == 0) return "an empty file (0 bytes)";
  std::ifstream in(path, std::ios::binary);
  if (!in) return fmt::format("unreadable ({})", std::strerror(errno));
  std::string head(std::min<uint64_t>(size, kSniffBytes), '\0');
  in.read(head.data(), static_cast<std::streamsize>(head.size()));
  head.resize(static_cast<size_t>(in.gcount()));
  if (head.size() >= 4 && head.substr(0, 4) == "GGUF") return describe_gguf(path);
  if (head.size() < 4) return fmt::format("only {} bytes, too short for any model file: {}", size, hex_dump(head));
  return describe_head(head, size);
}

}  // namespace corral::store
