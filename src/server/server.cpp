// The HTTP server around httplib: middleware (host guard, CORS, limits), JSON errors, logging.
#include "server/server.h"

#include <fmt/format.h>

#include <chrono>
#include <regex>
#include <thread>
#include <vector>

#include "base/log.h"
#include "server/http_util.h"
#include "server/metrics.h"
#include "server/routes.h"

namespace corral::server {
namespace {

constexpr const char* kAllowMethods = "GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS";
constexpr const char* kAllowHeaders =
    "Authorization, Content-Type, User-Agent, Accept, X-Requested-With, OpenAI-Beta, x-stainless-arch, "
    "x-stainless-async, x-stainless-custom-poll-interval, x-stainless-helper-method, x-stainless-lang, "
    "x-stainless-os, x-stainless-package-version, x-stainless-poll-helper, x-stainless-retry-count, "
    "x-stainless-runtime, x-stainless-runtime-version, x-stainless-timeout";

// httplib handles a connection's requests one after another on one worker thread, so the start
// of the request in flight on this thread is what the logger measures from.
thread_local std::chrono::steady_clock::time_point t_request_start;

const std::vector<std::regex>& route_regexes() {
  static const std::vector<std::regex> regexes = [] {
    std::vector<std::regex> out;
    for (std::string_view p : known_route_patterns()) out.emplace_back(std::string(p));
    return out;
  }();
  return regexes;
}

std::optional<size_t> match_route(std::string_view path) {
  const auto& regexes = route_regexes();
  std::string p(path);
  for (size_t i = 0; i < regexes.size(); ++i)
    if (std::regex_match(p, regexes[i])) return i;
  return std::nullopt;
}

}  // namespace

std::string route_label(std::string_view path) {
  auto i = match_route(path);
  if (!i) return "unknown";
  std::string label(known_route_patterns()[*i]);
  // Turn a regex group into a readable parameter name: "/api/blobs/(.+)" -> "/api/blobs/:param".
  if (size_t open = label.find('('); open != std::string::npos) label = label.substr(0, open) + ":param";
  return label;
}

Server::Server(ServerContext& ctx, ServerLimits limits) : ctx_(ctx), limits_(limits), origins_(ctx.env) {
  // httplib takes ownership of the queue it gets from this factory.
  http_.new_task_queue = [n = limits_.threads] { return new httplib::ThreadPool(n); };
  http_.set_payload_max_length(limits_.max_blob_body);
  http_.set_read_timeout(limits_.read_timeout_seconds);
  http_.set_write_timeout(limits_.write_timeout_seconds);
  http_.set_tcp_nodelay(true);
  install_middleware();
  register_all_routes(http_, ctx_);
}

Server::~Server() {
  stop();
}

void Server::apply_cors(const httplib::Request& req, httplib::Response& res) const {
  std::string origin = req.get_header_value("Origin");
  if (origin.empty() || !origins_.allowed(origin)) return;
  res.set_header("Access-Control-Allow-Origin", origin);
  res.set_header("Vary", "Origin");
}

httplib::Server::HandlerResponse Server::pre_route(const httplib::Request& req, httplib::Response& res) {
  using HR = httplib::Server::HandlerResponse;
  t_request_start = std::chrono::steady_clock::now();
  if (guard_hosts_ && !host_header_allowed(req.get_header_value("Host"))) {
    send_error(res, 403, "host not allowed");
    return HR::Handled;
  }
  std::string origin = req.get_header_value("Origin");
  bool same_origin = origin == "http://" + req.get_header_value("Host");
  if (!origin.empty() && !same_origin) {
    if (!origins_.allowed(origin)) {  // gin-contrib/cors answers a foreign origin with 403
      send_error(res, 403, "origin not allowed");
      return HR::Handled;
    }
    apply_cors(req, res);
    if (req.method == "OPTIONS") {
      res.status = 204;
      res.set_header("Access-Control-Allow-Methods", kAllowMethods);
      res.set_header("Access-Control-Allow-Headers", kAllowHeaders);
      res.set_header("Access-Control-Max-Age", "43200");
      return HR::Handled;
    }
  }
  if (req.method == "OPTIONS") {
    res.status = match_route(req.path) ? 204 : 404;
    if (res.status == 204)
      res.set_header("Allow", kAllowMethods);
    else
      send_error(res, 404, "404 page not found");
    return HR::Handled;
  }
  bool blob_upload = req.path.rfind("/api/blobs/", 0) == 0;
  if (!blob_upload && req.has_header("Content-Length")) {
    auto length = std::strtoull(req.get_header_value("Content-Length").c_str(), nullptr, 10);
    if (length > limits_.max_json_body) {
      send_error(res, 413, fmt::format("request body too large (limit {} bytes)", limits_.max_json_body));
      return HR::Handled;
    }
  }
  return HR::Unhandled;
}

void Server::install_middleware() {
  using HR = httplib::Server::HandlerResponse;
  http_.set_pre_routing_handler(
      [this](const httplib::Request& req, httplib::Response& res) { return pre_route(req, res); });
  // Called for every response with status >= 400; fills in bodies httplib left empty (no route,
  // wrong method, body too large) so every error is {"error": ...}.
  http_.set_error_handler(httplib::Server::HandlerWithResponse([](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return HR::Unhandled;
    if (res.status == 404 && match_route(req.path)) {
      send_error(res, 405, "405 method not allowed");
    } else if (res.status == 404) {
      send_error(res, 404, "404 page not found");
    } else if (res.status == 413) {
      send_error(res, 413, "request body too large");
    } else {
      send_error(res, res.status, fmt::format("HTTP status {}", res.status));
    }
    return HR::Handled;
  }));
  http_.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
    std::string what = "internal error";
    try {
      std::rethrow_exception(ep);
    } catch (const std::exception& e) {
      what = e.what();
    } catch (...) {
    }
    LOG_ERROR("request failed: {}", what);
    send_error(res, 500, what);
  });
  http_.set_logger([this](const httplib::Request& req, const httplib::Response& res) {
    double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t_request_start).count();
    ctx_.metrics.record_request(route_label(req.path), res.status);
    if (!limits_.quiet) LOG_INFO("{} {} {} {:.3f}ms", req.method, req.path, res.status, ms);
  });
}

Status Server::bind(const BindAddress& address) {
  address_ = address;
  std::string host = address.host.empty() ? "0.0.0.0" : address.host;
  guard_hosts_ = is_loopback_host(host);
  if (address.port == 0) {
    port_ = http_.bind_to_any_port(host);
    if (port_ < 0) return Error::format("cannot listen on {}: no free port", host);
  } else {
    if (!http_.bind_to_port(host, address.port))
      return Error::format("cannot listen on {}:{} (address in use, or not an address of this machine?)", host,
                           address.port);
    port_ = address.port;
  }
  if (!limits_.quiet) LOG_INFO("listening on {}:{} (version {})", host, port_, ctx_.version);
  return {};
}

Status Server::run() {
  in_run_ = true;
  bool ok = stop_requested_ || http_.listen_after_bind() || stop_requested_;
  in_run_ = false;
  if (!ok) return Error("the HTTP server stopped unexpectedly");
  return {};
}

void Server::stop() {
  stop_requested_ = true;
  if (in_run_) {
    // run() may be between its check and httplib's loop: wait (briefly) until the loop runs.
    for (int i = 0; i < 1000 && !http_.is_running(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  if (http_.is_running()) http_.stop();
}

}  // namespace corral::server
