#include "gguf/writer.h"

#include <cstring>
#include <unordered_set>

#include "base/atomic_file.h"
#include "gguf/file.h"

namespace corral {
namespace {

// Serialises the header, metadata and tensor infos into one buffer (they are small next to the
// tensor data, which is streamed separately).
class ByteBuffer {
 public:
  template <typename T>
  void put(T v) {
    const auto* p = reinterpret_cast<const std::byte*>(&v);
    bytes_.insert(bytes_.end(), p, p + sizeof(T));
  }
  void put_string(std::string_view s) {
    put<uint64_t>(s.size());
    const auto* p = reinterpret_cast<const std::byte*>(s.data());
    bytes_.insert(bytes_.end(), p, p + s.size());
  }
  void pad_to(uint64_t alignment) { bytes_.resize((bytes_.size() + alignment - 1) / alignment * alignment); }
  std::vector<std::byte>& bytes() { return bytes_; }

 private:
  std::vector<std::byte> bytes_;
};

void put_value(ByteBuffer& out, const GgufValue& value);

void put_array(ByteBuffer& out, const GgufArray& array) {
  out.put<int32_t>(static_cast<int32_t>(array.element_type));
  out.put<uint64_t>(array.size());
  std::visit(
      [&](const auto& elements) {
        for (const auto& e : elements) {
          using E = std::decay_t<decltype(e)>;
          if constexpr (std::is_same_v<E, std::string>) {
            out.put_string(e);
          } else if constexpr (std::is_same_v<E, GgufValue>) {
            put_array(out, *e.as_array());
          } else {
            out.put<E>(e);
          }
        }
      },
      array.elements);
}

void put_value(ByteBuffer& out, const GgufValue& value) {
  std::visit(
      [&](const auto& v) {
        using V = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<V, std::string>) {
          out.put_string(v);
        } else if constexpr (std::is_same_v<V, GgufArray>) {
          put_array(out, v);
        } else if constexpr (std::is_same_v<V, bool>) {
          out.put<uint8_t>(v ? 1 : 0);
        } else {
          out.put<V>(v);
        }
      },
      value.storage());
}

// Nested arrays must hold arrays only, with consistent element types, within the reader's depth.
Status check_value(const std::string& key, const GgufValue& value, size_t depth) {
  const GgufArray* a = value.as_array();
  if (a == nullptr) return {};
  if (depth + 1 > kGgufMaxArrayNesting)
    return Error::format("metadata {:?}: arrays nested more than {} deep", key, kGgufMaxArrayNesting);
  bool is_nested = std::holds_alternative<std::vector<GgufValue>>(a->elements);
  if (is_nested != (a->element_type == GgufValueType::kArray))
    return Error::format("metadata {:?}: array element type does not match its elements", key);
  if (is_nested) {
    for (const auto& e : std::get<std::vector<GgufValue>>(a->elements)) {
      if (e.as_array() == nullptr) return Error::format("metadata {:?}: nested array holds a non-array", key);
      CORRAL_TRY(check_value(key, e, depth + 1));
    }
  }
  return {};
}

uint64_t align_up(uint64_t v, uint64_t alignment) {
  return (v + alignment - 1) / alignment * alignment;
}

}  // namespace

Status GgufWriter::check_tensor(const std::string& name, GgmlType type, const std::vector<int64_t>& shape,
                                size_t n_bytes) const {
  if (name.empty() || name.size() > kGgufMaxTensorName)
    return Error::format("tensor name {:?} must be 1 to {} bytes", name, kGgufMaxTensorName);
  for (const auto& t : tensors_)
    if (t.name == name) return Error::format("duplicate tensor name {:?}", name);
  if (shape.empty() || shape.size() > kGgufMaxDims)
    return Error::format("tensor {:?}: {} dimensions (1 to {} allowed)", name, shape.size(), kGgufMaxDims);
  uint64_t n = 1;
  for (int64_t d : shape) {
    if (d <= 0) return Error::format("tensor {:?}: dimension {} must be positive", name, d);
    if (__builtin_mul_overflow(n, static_cast<uint64_t>(d), &n)) return Error::format("tensor {:?}: too large", name);
  }
  if (shape[0] % traits_of(type).block_size != 0)
    return Error::format("tensor {:?}: row length {} is not a multiple of the {} block size", name, shape[0],
                         ggml_type_name(type));
  auto expected = ggml_row_bytes(type, n);
  if (!expected || *expected != n_bytes)
    return Error::format("tensor {:?}: {} bytes given, {} {} elements need {}", name, n_bytes, n, ggml_type_name(type),
                         expected.value_or(0));
  return {};
}

Status GgufWriter::add_tensor(std::string name, GgmlType type, std::vector<int64_t> shape,
                              std::span<const std::byte> data) {
  CORRAL_TRY(check_tensor(name, type, shape, data.size()));
  tensors_.push_back(PendingTensor{std::move(name), type, std::move(shape), data, {}});
  return {};
}

Status GgufWriter::add_tensor(std::string name, GgmlType type, std::vector<int64_t> shape,
                              std::vector<std::byte> data) {
  CORRAL_TRY(check_tensor(name, type, shape, data.size()));
  PendingTensor t{std::move(name), type, std::move(shape), {}, std::move(data)};
  t.data = t.owned;  // vector storage does not move when the PendingTensor does
  tensors_.push_back(std::move(t));
  return {};
}

Status GgufWriter::write_to(const Sink& sink) const {
  CORRAL_ASSIGN_OR_RETURN(uint32_t align, gguf_alignment(metadata_));
  ByteBuffer head;
  head.bytes().insert(head.bytes().end(), {std::byte{'G'}, std::byte{'G'}, std::byte{'U'}, std::byte{'F'}});
  head.put<uint32_t>(3);
  head.put<int64_t>(static_cast<int64_t>(tensors_.size()));
  head.put<int64_t>(static_cast<int64_t>(metadata_.size()));
  for (const auto& [key, value] : metadata_.entries()) {
    if (key.empty()) return Error("metadata key must not be empty");
    CORRAL_TRY(check_value(key, value, 0));
    head.put_string(key);
    head.put<int32_t>(static_cast<int32_t>(value.type()));
    put_value(head, value);
  }
  uint64_t offset = 0;
  for (const auto& t : tensors_) {
    head.put_string(t.name);
    head.put<uint32_t>(static_cast<uint32_t>(t.shape.size()));
    for (int64_t d : t.shape) head.put<int64_t>(d);
    head.put<int32_t>(static_cast<int32_t>(t.type));
    head.put<uint64_t>(offset);
    offset = align_up(offset + t.data.size(), align);
  }
  head.pad_to(align);
  CORRAL_TRY(sink(head.bytes()));
  static constexpr std::byte kZeros[256] = {};
  for (const auto& t : tensors_) {
    CORRAL_TRY(sink(t.data));
    uint64_t pad = align_up(t.data.size(), align) - t.data.size();
    while (pad > 0) {
      uint64_t n = std::min<uint64_t>(pad, sizeof(kZeros));
      CORRAL_TRY(sink(std::span(kZeros, n)));
      pad -= n;
    }
  }
  return {};
}

Result<std::vector<std::byte>> GgufWriter::serialize() const {
  std::vector<std::byte> out;
  CORRAL_TRY(write_to([&](std::span<const std::byte> b) -> Status {
    out.insert(out.end(), b.begin(), b.end());
    return {};
  }));
  return out;
}

Status GgufWriter::write_file(const std::filesystem::path& path) const {
  CORRAL_ASSIGN_OR_RETURN(AtomicFileWriter file, AtomicFileWriter::create(path));
  CORRAL_TRY(write_to([&](std::span<const std::byte> b) { return file.write(b); }));
  return file.commit();
}

}  // namespace corral
