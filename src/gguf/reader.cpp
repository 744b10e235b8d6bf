// GGUF reader. The format, as parsed here (all integers little-endian):
//
//   header      magic "GGUF" (4 bytes) | version u32 (2 or 3) | n_tensors i64 | n_kv i64
//   n_kv ×      key: string | value_type i32 | value
//                 string  = length u64 | length bytes (UTF-8 by convention, no NUL)
//                 value   = scalar of the type (u8 i8 u16 i16 u32 i32 f32 bool(1 byte) u64 i64 f64)
//                         | string
//                         | array: element_type i32 | count u64 | count values of that type
//   n_tensors × name: string | n_dims u32 (1..4) | ne[n_dims] i64 | ggml_type i32 | offset u64
//   padding     zeros up to data_offset = align_up(end of tensor infos, alignment), where
//               alignment = general.alignment (u32, a power of two) or 32
//   data        tensor bytes; each tensor starts at data_offset + offset, aligned
//
// Every count, length, offset and dimension is validated before it is used, with overflow-checked
// arithmetic, so a hostile file yields an error naming the byte offset, never a crash or a huge
// allocation: counts are bounded by the bytes that remain, tensors must lie inside the data section,
// be aligned and not overlap, names and keys must be unique.
#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <unordered_set>

#include "gguf/file.h"

namespace corral {
namespace {

constexpr uint64_t kMinKvBytes = 8 + 1 + 4 + 1;              // key length, 1-byte key, type, 1-byte value
constexpr uint64_t kMinTensorInfoBytes = 8 + 1 + 4 + 4 + 8;  // name length, name, n_dims, type, offset

size_t value_type_min_size(GgufValueType t) {
  switch (t) {
    case GgufValueType::kU8:
    case GgufValueType::kI8:
    case GgufValueType::kBool: return 1;
    case GgufValueType::kU16:
    case GgufValueType::kI16: return 2;
    case GgufValueType::kU32:
    case GgufValueType::kI32:
    case GgufValueType::kF32: return 4;
    case GgufValueType::kU64:
    case GgufValueType::kI64:
    case GgufValueType::kF64:
    case GgufValueType::kString: return 8;
    case GgufValueType::kArray: return 12;
  }
  return 1;
}

}  // namespace

// Walks the bytes once; each read checks that it stays inside the file.
class GgufParser {
 public:
  GgufParser(std::span<const std::byte> bytes, std::string_view name) : bytes_(bytes), name_(name) {}

  Result<GgufFile> parse() {
    GgufFile file;
    file.bytes_ = bytes_;
    file.name_ = std::string(name_);
    CORRAL_TRY(parse_header(file));
    CORRAL_TRY(parse_metadata(file));
    CORRAL_TRY(parse_tensor_infos(file));
    CORRAL_TRY(place_tensors(file));
    return file;
  }

 private:
  Error fail(uint64_t at, std::string what) const { return Error::format("{}: at byte {}: {}", name_, at, what); }
  uint64_t remaining() const { return bytes_.size() - pos_; }

  // What is being read, for error messages: a string, or a callable that formats one only when a
  // read fails (vocabularies have 100k+ strings; formatting a description for each is costly).
  template <typename Describe>
  static std::string describe(const Describe& what) {
    if constexpr (std::is_invocable_v<const Describe&>) {
      return what();
    } else {
      return std::string(what);
    }
  }

  template <typename T, typename Describe>
  Result<T> read(const Describe& what) {
    if (remaining() < sizeof(T))
      return fail(pos_, fmt::format("file ends while reading {} ({} bytes needed, {} left)", describe(what), sizeof(T),
                                    remaining()));
    T v;
    std::memcpy(&v, bytes_.data() + pos_, sizeof(T));
    pos_ += sizeof(T);
    return v;
  }

  template <typename Describe>
  Result<std::string> read_string(const Describe& what) {
    uint64_t at = pos_;
    CORRAL_ASSIGN_OR_RETURN(uint64_t len, read<uint64_t>([&] { return "the length of " + describe(what); }));
    if (len > remaining())
      return fail(
          at, fmt::format("{} has length {} but only {} bytes remain in the file", describe(what), len, remaining()));
    std::string s(reinterpret_cast<const char*>(bytes_.data() + pos_), len);
    pos_ += len;
    return s;
  }

  Status parse_header(GgufFile& file) {
    if (bytes_.size() < 4 || std::memcmp(bytes_.data(), "GGUF", 4) != 0) {
      if (bytes_.size() < 4) return fail(0, fmt::format("file is only {} bytes; not a GGUF file", bytes_.size()));
      return fail(0, fmt::format("bad magic {:?}: not a GGUF file",
                                 std::string(reinterpret_cast<const char*>(bytes_.data()), 4)));
    }
    pos_ = 4;
    CORRAL_ASSIGN_OR_RETURN(uint32_t version, read<uint32_t>("the version"));
    if (version != 2 && version != 3) {
      if ((version & 0xFFFF) == 0)
        return fail(
            4, fmt::format("version field {:#x} looks byte-swapped: big-endian GGUF files are not supported", version));
      return fail(4, fmt::format("GGUF version {} is not supported (versions 2 and 3 are)", version));
    }
    file.version_ = version;
    CORRAL_ASSIGN_OR_RETURN(n_tensors_, read<int64_t>("the tensor count"));
    CORRAL_ASSIGN_OR_RETURN(n_kv_, read<int64_t>("the metadata count"));
    if (n_tensors_ < 0 || static_cast<uint64_t>(n_tensors_) > remaining() / kMinTensorInfoBytes)
      return fail(8, fmt::format("tensor count {} is impossible for a file of {} bytes", n_tensors_, bytes_.size()));
    if (n_kv_ < 0 || static_cast<uint64_t>(n_kv_) > remaining() / kMinKvBytes)
      return fail(16, fmt::format("metadata count {} is impossible for a file of {} bytes", n_kv_, bytes_.size()));
    return {};
  }

  Status parse_metadata(GgufFile& file) {
    file.layout_.kv_begin = pos_;
    for (int64_t i = 0; i < n_kv_; ++i) {
      uint64_t at = pos_;
      CORRAL_ASSIGN_OR_RETURN(std::string key, read_string([&] { return fmt::format("metadata key #{}", i); }));
      if (key.empty()) return fail(at, fmt::format("metadata key #{} is empty", i));
      if (file.metadata_.contains(key)) return fail(at, fmt::format("duplicate metadata key {:?}", key));
      CORRAL_ASSIGN_OR_RETURN(GgufValue value, read_value(key, 0));
      file.metadata_.set(std::move(key), std::move(value));
    }
    return read_alignment(file);
  }

  Result<GgufValueType> read_value_type(std::string_view key) {
    uint64_t at = pos_;
    CORRAL_ASSIGN_OR_RETURN(int32_t t, read<int32_t>([&] { return fmt::format("the value type of {:?}", key); }));
    if (t < 0 || static_cast<uint32_t>(t) >= kGgufValueTypeCount)
      return fail(at, fmt::format("key {:?} has unknown value type {}", key, t));
    return static_cast<GgufValueType>(t);
  }

  Result<GgufValue> read_value(std::string_view key, size_t depth) {
    CORRAL_ASSIGN_OR_RETURN(GgufValueType type, read_value_type(key));
    return read_value_of_type(key, type, depth);
  }

  Result<GgufValue> read_value_of_type(std::string_view key, GgufValueType type, size_t depth) {
    switch (type) {
      case GgufValueType::kU8: return scalar<uint8_t>(key);
      case GgufValueType::kI8: return scalar<int8_t>(key);
      case GgufValueType::kU16: return scalar<uint16_t>(key);
      case GgufValueType::kI16: return scalar<int16_t>(key);
      case GgufValueType::kU32: return scalar<uint32_t>(key);
      case GgufValueType::kI32: return scalar<int32_t>(key);
      case GgufValueType::kF32: return scalar<float>(key);
      case GgufValueType::kU64: return scalar<uint64_t>(key);
      case GgufValueType::kI64: return scalar<int64_t>(key);
      case GgufValueType::kF64: return scalar<double>(key);
      case GgufValueType::kBool: {
        CORRAL_ASSIGN_OR_RETURN(uint8_t b, read<uint8_t>([&] { return fmt::format("the value of {:?}", key); }));
        return GgufValue(b != 0);
      }
      case GgufValueType::kString: {
        CORRAL_ASSIGN_OR_RETURN(std::string s, read_string([&] { return fmt::format("the value of {:?}", key); }));
        return GgufValue(std::move(s));
      }
      case GgufValueType::kArray: return read_array(key, depth);
    }
    return fail(pos_, "unreachable value type");
  }

  template <typename T>
  Result<GgufValue> scalar(std::string_view key) {
    CORRAL_ASSIGN_OR_RETURN(T v, read<T>([&] { return fmt::format("the value of {:?}", key); }));
    return GgufValue(v);
  }

  Result<GgufValue> read_array(std::string_view key, size_t depth) {
    uint64_t at = pos_;
    if (depth + 1 > kGgufMaxArrayNesting)
      return fail(at, fmt::format("key {:?}: arrays nested more than {} deep", key, kGgufMaxArrayNesting));
    CORRAL_ASSIGN_OR_RETURN(GgufValueType elem, read_value_type(key));
    uint64_t count_at = pos_;
    CORRAL_ASSIGN_OR_RETURN(uint64_t count,
                            read<uint64_t>([&] { return fmt::format("the array length of {:?}", key); }));
    if (count > remaining() / value_type_min_size(elem))
      return fail(count_at, fmt::format("key {:?}: array of {} {} values cannot fit in the {} bytes left", key, count,
                                        value_type_name(elem), remaining()));
    GgufArray array;
    array.element_type = elem;
    switch (elem) {
      case GgufValueType::kU8: CORRAL_TRY(fill<uint8_t>(array, count)); break;
      case GgufValueType::kBool: CORRAL_TRY(fill<uint8_t>(array, count)); break;
      case GgufValueType::kI8: CORRAL_TRY(fill<int8_t>(array, count)); break;
      case GgufValueType::kU16: CORRAL_TRY(fill<uint16_t>(array, count)); break;
      case GgufValueType::kI16: CORRAL_TRY(fill<int16_t>(array, count)); break;
      case GgufValueType::kU32: CORRAL_TRY(fill<uint32_t>(array, count)); break;
      case GgufValueType::kI32: CORRAL_TRY(fill<int32_t>(array, count)); break;
      case GgufValueType::kF32: CORRAL_TRY(fill<float>(array, count)); break;
      case GgufValueType::kU64: CORRAL_TRY(fill<uint64_t>(array, count)); break;
      case GgufValueType::kI64: CORRAL_TRY(fill<int64_t>(array, count)); break;
      case GgufValueType::kF64: CORRAL_TRY(fill<double>(array, count)); break;
      case GgufValueType::kString: {
        std::vector<std::string> v;
        v.reserve(count);
        for (uint64_t i = 0; i < count; ++i) {
          CORRAL_ASSIGN_OR_RETURN(std::string s,
                                  read_string([&] { return fmt::format("element {} of {:?}", i, key); }));
          v.push_back(std::move(s));
        }
        array.elements = std::move(v);
        break;
      }
      case GgufValueType::kArray: {
        std::vector<GgufValue> v;
        v.reserve(count);
        for (uint64_t i = 0; i < count; ++i) {
          CORRAL_ASSIGN_OR_RETURN(GgufValue inner, read_array(key, depth + 1));
          v.push_back(std::move(inner));
        }
        array.elements = std::move(v);
        break;
      }
    }
    return GgufValue(std::move(array));
  }

  template <typename T>
  Status fill(GgufArray& array, uint64_t count) {
    // The count was checked against the remaining bytes, so this read is in bounds.
    std::vector<T> v(count);
    if (count > 0) std::memcpy(v.data(), bytes_.data() + pos_, count * sizeof(T));
    pos_ += count * sizeof(T);
    if (array.element_type == GgufValueType::kBool)
      for (auto& b : v) b = b != 0 ? 1 : 0;
    array.elements = std::move(v);
    return {};
  }

  Status read_alignment(GgufFile& file) {
    auto alignment = gguf_alignment(file.metadata_);
    if (!alignment.ok()) return fail(file.layout_.kv_begin, alignment.error().message());
    file.alignment_ = *alignment;
    return {};
  }

  Status parse_tensor_infos(GgufFile& file) {
    file.layout_.tensor_infos_begin = pos_;
    std::unordered_set<std::string> names;
    file.tensors_.reserve(static_cast<size_t>(n_tensors_));
    for (int64_t i = 0; i < n_tensors_; ++i) {
      uint64_t at = pos_;
      CORRAL_ASSIGN_OR_RETURN(GgufTensor t, read_tensor_info(i));
      if (!names.insert(t.name).second) return fail(at, fmt::format("duplicate tensor name {:?}", t.name));
      file.tensors_.push_back(std::move(t));
    }
    file.layout_.tensor_infos_end = pos_;
    return {};
  }

  Result<GgufTensor> read_tensor_info(int64_t index) {
    uint64_t at = pos_;
    GgufTensor t;
    CORRAL_ASSIGN_OR_RETURN(t.name, read_string([&] { return fmt::format("the name of tensor #{}", index); }));
    if (t.name.empty()) return fail(at, fmt::format("tensor #{} has an empty name", index));
    if (t.name.size() > kGgufMaxTensorName)
      return fail(
          at, fmt::format("tensor name {:?} is {} bytes; the limit is {}", t.name, t.name.size(), kGgufMaxTensorName));
    uint64_t dims_at = pos_;
    CORRAL_ASSIGN_OR_RETURN(t.n_dims, read<uint32_t>([&] { return fmt::format("n_dims of tensor {:?}", t.name); }));
    if (t.n_dims == 0 || t.n_dims > kGgufMaxDims)
      return fail(dims_at,
                  fmt::format("tensor {:?} has {} dimensions; 1 to {} are allowed", t.name, t.n_dims, kGgufMaxDims));
    uint64_t n_elements = 1;
    for (uint32_t d = 0; d < t.n_dims; ++d) {
      uint64_t ne_at = pos_;
      CORRAL_ASSIGN_OR_RETURN(t.ne[d],
                              read<int64_t>([&] { return fmt::format("dimension {} of tensor {:?}", d, t.name); }));
      if (t.ne[d] <= 0)
        return fail(ne_at, fmt::format("tensor {:?} has dimension {} = {}; every dimension must be at least 1", t.name,
                                       d, t.ne[d]));
      if (__builtin_mul_overflow(n_elements, static_cast<uint64_t>(t.ne[d]), &n_elements) ||
          n_elements > static_cast<uint64_t>(INT64_MAX))
        return fail(ne_at, fmt::format("tensor {:?}: the product of its dimensions overflows", t.name));
    }
    uint64_t type_at = pos_;
    CORRAL_ASSIGN_OR_RETURN(int32_t type_id,
                            read<int32_t>([&] { return fmt::format("the type of tensor {:?}", t.name); }));
    auto traits = ggml_type_traits(type_id);
    if (!traits.ok()) return fail(type_at, fmt::format("tensor {:?}: {}", t.name, traits.error().message()));
    t.type = traits->type;
    if (t.ne[0] % traits->block_size != 0)
      return fail(type_at, fmt::format("tensor {:?}: row length {} is not a multiple of the {} block size {}", t.name,
                                       t.ne[0], traits->name, traits->block_size));
    auto n_bytes = ggml_row_bytes(t.type, n_elements);
    if (!n_bytes) return fail(type_at, fmt::format("tensor {:?}: byte size overflows", t.name));
    t.n_bytes = *n_bytes;
    CORRAL_ASSIGN_OR_RETURN(t.offset, read<uint64_t>([&] { return fmt::format("the offset of tensor {:?}", t.name); }));
    return t;
  }

  // Computes the data section and checks every tensor lies inside it, aligned, without overlap.
  Status place_tensors(GgufFile& file) {
    uint64_t align = file.alignment_;
    uint64_t data_offset = 0;
    if (__builtin_add_overflow(pos_, align - 1, &data_offset)) return fail(pos_, "data section offset overflows");
    data_offset -= data_offset % align;
    file.layout_.data_offset = data_offset;
    if (file.tensors_.empty()) return {};  // vocabulary-only files may end right after the metadata
    if (data_offset > bytes_.size())
      return fail(pos_, fmt::format("data section would start at byte {}, past the end of the {}-byte file",
                                    data_offset, bytes_.size()));
    const uint64_t data_size = bytes_.size() - data_offset;
    for (auto& t : file.tensors_) {
      if (t.offset % align != 0)
        return fail(data_offset, fmt::format("tensor {:?}: offset {} is not a multiple of the alignment {}", t.name,
                                             t.offset, align));
      if (t.offset > data_size || t.n_bytes > data_size - t.offset)
        return fail(data_offset, fmt::format("tensor {:?}: data at [{}, {}+{}) runs past the end of the data section "
                                             "({} bytes); the file is truncated or corrupt",
                                             t.name, t.offset, t.offset, t.n_bytes, data_size));
      t.data = bytes_.subspan(data_offset + t.offset, t.n_bytes);
    }
    std::vector<const GgufTensor*> by_offset;
    by_offset.reserve(file.tensors_.size());
    for (const auto& t : file.tensors_) by_offset.push_back(&t);
    std::sort(by_offset.begin(), by_offset.end(),
              [](const GgufTensor* a, const GgufTensor* b) { return a->offset < b->offset; });
    for (size_t i = 1; i < by_offset.size(); ++i) {
      const GgufTensor& prev = *by_offset[i - 1];
      const GgufTensor& cur = *by_offset[i];
      if (prev.offset + prev.n_bytes > cur.offset)
        return fail(data_offset + cur.offset, fmt::format("tensors {:?} and {:?} overlap", prev.name, cur.name));
    }
    return {};
  }

  std::span<const std::byte> bytes_;
  std::string_view name_;
  uint64_t pos_ = 0;
  int64_t n_tensors_ = 0;
  int64_t n_kv_ = 0;
};

Result<uint32_t> gguf_alignment(const GgufMetadata& metadata) {
  const GgufValue* a = metadata.find("general.alignment");
  if (a == nullptr) return kGgufDefaultAlignment;
  if (a->type() != GgufValueType::kU32)
    return Error::format("general.alignment must be a u32, not {}", value_type_name(a->type()));
  uint32_t v = std::get<uint32_t>(a->storage());
  if (v == 0 || (v & (v - 1)) != 0) return Error::format("general.alignment {} is not a power of two", v);
  if (v > kGgufMaxAlignment)
    return Error::format("general.alignment {} is larger than the {} this reader accepts", v, kGgufMaxAlignment);
  return v;
}

uint64_t GgufTensor::n_elements() const {
  uint64_t n = 1;
  for (uint32_t d = 0; d < n_dims; ++d) n *= static_cast<uint64_t>(ne[d]);
  return n;
}

Result<GgufFile> GgufFile::parse(std::span<const std::byte> bytes, std::string_view display_name) {
  return GgufParser(bytes, display_name).parse();
}

Result<GgufFile> GgufFile::open(const std::filesystem::path& path) {
  CORRAL_ASSIGN_OR_RETURN(MappedFile mapping, MappedFile::open(path));
  // The mapping's address does not change when it moves, so the views stay valid.
  std::span<const std::byte> bytes = mapping.bytes();
  CORRAL_ASSIGN_OR_RETURN(GgufFile file, parse(bytes, path.string()));
  file.mapping_.emplace(std::move(mapping));
  return file;
}

const GgufTensor* GgufFile::find_tensor(std::string_view name) const {
  for (const auto& t : tensors_)
    if (t.name == name) return &t;
  return nullptr;
}

}  // namespace corral
