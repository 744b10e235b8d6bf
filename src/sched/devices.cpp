// Device inventory: visibility variables, /proc/meminfo and cgroup limits.
#include "sched/devices.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <fstream>
#include <sstream>

#include "base/thread_pool.h"
#include "base/units.h"

namespace corral::sched {
namespace {

std::string_view trim(std::string_view s, std::string_view chars = " \t\r\n") {
  while (!s.empty() && chars.find(s.front()) != std::string_view::npos) s.remove_prefix(1);
  while (!s.empty() && chars.find(s.back()) != std::string_view::npos) s.remove_suffix(1);
  return s;
}

// Surrounding spaces and quotes go, as Ollama's envconfig strips them.
std::string_view strip_quotes(std::string_view s) {
  return trim(s, " \t\r\n\"'");
}

std::optional<long long> parse_integer(std::string_view s) {
  long long v = 0;
  const char* end = s.data() + s.size();
  auto [p, ec] = std::from_chars(s.data(), end, v);
  if (ec != std::errc() || p != end) return std::nullopt;
  return v;
}

std::optional<std::string> read_text(const std::string& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// This process's cgroup v2 directory (from /proc/self/cgroup "0::/path").
std::string cgroup_v2_dir() {
  const auto text = read_text("/proc/self/cgroup");
  if (text) {
    std::istringstream lines(*text);
    for (std::string line; std::getline(lines, line);)
      if (line.rfind("0::", 0) == 0) return "/sys/fs/cgroup" + line.substr(3);
  }
  return "/sys/fs/cgroup";
}

// The tightest limit among the v2 directory and its parents, or the v1 limit.
void read_cgroup(std::optional<uint64_t>& limit, uint64_t& usage) {
  std::string dir = cgroup_v2_dir();
  while (true) {
    if (auto max = read_text(dir + "/memory.max")) {
      const auto l = parse_cgroup_limit(*max);
      if (l && (!limit || *l < *limit)) {
        limit = l;
        const auto cur = read_text(dir + "/memory.current");
        const auto u = cur ? parse_integer(trim(*cur)) : std::nullopt;
        usage = u && *u > 0 ? static_cast<uint64_t>(*u) : 0;
      }
    }
    if (dir == "/sys/fs/cgroup" || dir.size() <= 14) break;
    dir = dir.substr(0, dir.rfind('/'));
  }
  if (limit) return;
  if (auto v1 = read_text("/sys/fs/cgroup/memory/memory.limit_in_bytes")) {
    limit = parse_cgroup_limit(*v1);
    const auto cur = read_text("/sys/fs/cgroup/memory/memory.usage_in_bytes");
    const auto u = cur ? parse_integer(trim(*cur)) : std::nullopt;
    usage = u && *u > 0 ? static_cast<uint64_t>(*u) : 0;
  }
}

bool matches(const Visibility& v, const Device& gpu, int index) {
  if (v.mode == Visibility::Mode::kAll) return true;
  if (v.mode == Visibility::Mode::kNone) return false;
  if (std::find(v.indices.begin(), v.indices.end(), index) != v.indices.end()) return true;
  for (const std::string& u : v.uuids)
    if (!gpu.uuid.empty() && (u == gpu.uuid || "GPU-" + gpu.uuid == u || u == gpu.id)) return true;
  return false;
}

}  // namespace

Visibility parse_visibility(std::optional<std::string_view> value) {
  Visibility v;
  if (!value) return v;
  const std::string_view text = strip_quotes(*value);
  v.mode = Visibility::Mode::kList;
  size_t start = 0;
  while (start <= text.size()) {
    const size_t comma = std::min(text.find(',', start), text.size());
    const std::string_view item = strip_quotes(text.substr(start, comma - start));
    start = comma + 1;
    if (item.empty()) continue;
    const bool numeric = item.find_first_not_of("-+0123456789") == std::string_view::npos;
    if (numeric) {
      const auto n = parse_integer(item);
      if (!n || *n < 0 || *n > 1024) {
        v.why = fmt::format("\"{}\" is not a device index, so it and the entries after it select nothing", item);
        break;
      }
      v.indices.push_back(static_cast<int>(*n));
    } else {
      v.uuids.emplace_back(item);
    }
  }
  if (v.indices.empty() && v.uuids.empty()) {
    v.mode = Visibility::Mode::kNone;
    if (v.why.empty()) v.why = text.empty() ? "it is empty" : fmt::format("\"{}\" lists no device", text);
  }
  return v;
}

std::vector<Device> apply_visibility(const std::vector<Device>& gpus, const Env& env, std::vector<std::string>& notes) {
  std::vector<Device> kept = gpus;
  for (const VisibilityVariable& var : kVisibilityVariables) {
    const std::optional<std::string> raw = env.raw(var.name);
    if (!raw) continue;
    const Visibility vis = parse_visibility(*raw);
    std::vector<Device> next;
    std::vector<std::string> hidden;
    int index = 0;  // position among this variable's library's devices
    for (const Device& g : kept) {
      const bool applies = var.library.empty() || g.library == var.library;
      if (!applies || matches(vis, g, index))
        next.push_back(g);
      else
        hidden.push_back(g.id);
      if (applies) ++index;
    }
    const std::string what = var.library.empty() ? "GPU" : fmt::format("{} GPU", var.library);
    std::string note = fmt::format("{}=\"{}\"", var.name, *raw);
    if (vis.mode == Visibility::Mode::kNone)
      note += fmt::format(" hides every {} ({})", what, vis.why);
    else if (vis.mode == Visibility::Mode::kList) {
      std::vector<std::string> listed;
      for (int i : vis.indices) listed.push_back(std::to_string(i));
      listed.insert(listed.end(), vis.uuids.begin(), vis.uuids.end());
      note += fmt::format(" selects {} {}", what, fmt::join(listed, ","));
    }
    if (!vis.why.empty() && vis.mode == Visibility::Mode::kList) note += fmt::format(" ({})", vis.why);
    if (!hidden.empty()) note += fmt::format("; hidden: {}", fmt::join(hidden, ", "));
    if (gpus.empty()) note += "; no GPU is discoverable here anyway, so models run on the CPU";
    notes.push_back(std::move(note));
    kept = std::move(next);
  }
  return kept;
}

std::optional<uint64_t> meminfo_bytes(std::string_view meminfo, std::string_view key) {
  size_t pos = 0;
  while (pos < meminfo.size()) {
    const size_t eol = std::min(meminfo.find('\n', pos), meminfo.size());
    const std::string_view line = meminfo.substr(pos, eol - pos);
    pos = eol + 1;
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos || line.substr(0, colon) != key) continue;
    std::string_view rest = trim(line.substr(colon + 1));
    const bool kb = rest.size() >= 2 && rest.substr(rest.size() - 2) == "kB";
    if (kb) rest = trim(rest.substr(0, rest.size() - 2));
    const auto n = parse_integer(rest);
    if (!n || *n < 0) return std::nullopt;
    return static_cast<uint64_t>(*n) * (kb ? 1024 : 1);
  }
  return std::nullopt;
}

std::optional<uint64_t> parse_cgroup_limit(std::string_view text) {
  const std::string_view t = trim(text);
  const auto n = parse_integer(t);
  // v1 reports "no limit" as a page-rounded LLONG_MAX.
  if (!n || *n <= 0 || *n >= (1ll << 62)) return std::nullopt;
  return static_cast<uint64_t>(*n);
}

CpuMemory cpu_memory(std::string_view meminfo, std::optional<uint64_t> cgroup_limit, uint64_t cgroup_usage) {
  CpuMemory m;
  m.total = meminfo_bytes(meminfo, "MemTotal").value_or(0);
  m.available = meminfo_bytes(meminfo, "MemAvailable").value_or(meminfo_bytes(meminfo, "MemFree").value_or(0));
  if (cgroup_limit && *cgroup_limit < m.total) {
    const uint64_t left = *cgroup_limit > cgroup_usage ? *cgroup_limit - cgroup_usage : 0;
    m.note = fmt::format("cgroup memory limit {} (of {} RAM), {} used", human_bytes_binary(*cgroup_limit),
                         human_bytes_binary(m.total), human_bytes_binary(cgroup_usage));
    m.total = *cgroup_limit;
    m.available = std::min(m.available, left);
  }
  return m;
}

Inventory discover_devices(const Env& env) {
  Inventory inv;
  std::optional<uint64_t> limit;
  uint64_t usage = 0;
  read_cgroup(limit, usage);
  const CpuMemory mem = cpu_memory(read_text("/proc/meminfo").value_or(""), limit, usage);
  inv.cpu = Device{"CPU", "cpu", "cpu", "", DeviceKind::kCpu, mem.total, mem.available, physical_core_count()};
  if (!mem.note.empty()) inv.notes.push_back(mem.note);
  // No GPU backend exists yet; a Vulkan backend will list its devices here before the filter.
  const std::vector<Device> found;
  inv.gpus = apply_visibility(found, env, inv.notes);
  if (found.empty()) inv.notes.emplace_back("no GPU found (corral has no GPU backend yet): models run on the CPU");
  return inv;
}

Result<uint64_t> parse_memory_size(std::string_view text) {
  const std::string_view t = trim(text);
  size_t i = 0;
  while (i < t.size() && (std::isdigit(static_cast<unsigned char>(t[i])) || t[i] == '.')) ++i;
  const std::string number(t.substr(0, i));
  std::string unit(trim(t.substr(i)));
  for (char& c : unit) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  double value = -1;
  if (!number.empty()) {
    auto [p, ec] = std::from_chars(number.data(), number.data() + number.size(), value);
    if (ec != std::errc() || p != number.data() + number.size()) value = -1;
  }
  struct Unit {
    std::string_view name;
    double scale;
  };
  static constexpr Unit kUnits[] = {{"", 1},
                                    {"b", 1},
                                    {"k", 1024},
                                    {"kib", 1024},
                                    {"kb", 1e3},
                                    {"m", 1 << 20},
                                    {"mib", 1 << 20},
                                    {"mb", 1e6},
                                    {"g", 1 << 30},
                                    {"gib", 1 << 30},
                                    {"gb", 1e9},
                                    {"t", 1099511627776.0},
                                    {"tib", 1099511627776.0},
                                    {"tb", 1e12}};
  for (const Unit& u : kUnits)
    if (u.name == unit && value >= 0 && std::isfinite(value * u.scale) && value * u.scale < 1.8e19)
      return static_cast<uint64_t>(value * u.scale);
  return Error::format("\"{}\" is not a memory size (e.g. 16GiB, 512MiB, 8GB)", text);
}

}  // namespace corral::sched
