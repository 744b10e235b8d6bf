// Times as the server sends them (RFC 3339) and as Ollama's CLI prints them (format.HumanTime:
// "3 days ago", "4 minutes from now", "Forever"), for `list`, `ps` and `doctor`.
#pragma once

#include <optional>
#include <string>

namespace corral::cli {

// Seconds since the epoch of an RFC 3339 time ("2026-11-22T20:36:15.123Z", "...+01:00").
std::optional<double> parse_rfc3339(const std::string& text);

// Ollama's format.HumanTime of a time `t` (seconds since the epoch) seen at `now`: "N units ago",
// "N units from now", "Forever" beyond 20 years ahead; `zero` when the text did not parse.
std::string human_time(const std::string& rfc3339, double now, const std::string& zero = "Never");

// Now, in seconds since the epoch.
double epoch_now();

}  // namespace corral::cli
