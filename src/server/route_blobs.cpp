// HEAD /api/blobs/:digest (200 when the blob exists, 404 when not, 400 for a bad digest) and
// POST /api/blobs/:digest (the body streamed to a temporary file while hashed, never held in
// memory; 201 created, 200 already present, 400 digest mismatch).
#include <fmt/format.h>

#include "base/log.h"
#include "server/http_util.h"
#include "server/routes.h"
#include "store/blob_store.h"
#include "store/layout.h"

namespace corral::server {
namespace {

constexpr const char* kBlobPattern = "/api/blobs/([^/]+)";

bool blob_exists(const store::Store& st, const std::string& digest) {
  std::error_code ec;
  return std::filesystem::is_regular_file(st.blob_path(digest), ec);
}

void head_blob(ServerContext& ctx, const httplib::Request& req, httplib::Response& res) {
  std::string param = req.matches[1];
  if (req.method != "HEAD") return send_error(res, 405, "405 method not allowed");
  auto digest = store::parse_digest(param);
  if (!digest.ok()) return send_error(res, 400, digest.error().to_string());
  if (!blob_exists(ctx.store, *digest)) return send_error(res, 404, fmt::format("blob \"{}\" not found", param));
  res.status = 200;
}

void post_blob(ServerContext& ctx, const httplib::Request& req, httplib::Response& res,
               const httplib::ContentReader& reader) {
  std::string param = req.matches[1];
  auto discard_body = [&] { reader([](const char*, size_t) { return true; }); };
  auto digest = store::parse_digest(param);
  if (!digest.ok()) {
    discard_body();
    return send_error(res, 400, digest.error().to_string());
  }
  if (blob_exists(ctx.store, *digest)) {
    discard_body();  // keeps the connection usable; clients ask with HEAD first anyway
    res.status = 200;
    return;
  }
  auto writer = store::BlobWriter::create(ctx.store);
  if (!writer.ok()) {
    discard_body();
    return send_error(res, 500, writer.error().to_string());
  }
  // After a failed write (a full disk) the rest of the body is still read and dropped, so the
  // client, which is still sending, gets the error answer instead of a broken connection.
  Status write_status;
  bool complete = reader([&](const char* data, size_t n) {
    if (write_status.ok()) write_status = writer->write(std::string_view(data, n));
    return true;
  });
  if (!write_status.ok()) return send_error(res, 500, write_status.error().to_string());
  if (!complete) return send_error(res, 400, "the upload ended before the whole body arrived");
  std::string got = writer->finish_digest();
  if (got != *digest)
    return send_error(res, 400, fmt::format("digest mismatch, expected \"{}\", got \"{}\"", param, got));
  auto info = writer->commit(got);
  if (!info.ok()) return send_error(res, 500, info.error().to_string());
  LOG_INFO("stored blob {} ({} bytes)", got, info->size);
  res.status = info->existed ? 200 : 201;
}

}  // namespace

void register_blob_routes(httplib::Server& http, ServerContext& ctx) {
  // httplib routes HEAD to GET handlers; GET itself answers 405 like Ollama.
  http.Get(kBlobPattern, [&ctx](const httplib::Request& req, httplib::Response& res) { head_blob(ctx, req, res); });
  http.Post(kBlobPattern, [&ctx](const httplib::Request& req, httplib::Response& res,
                                 const httplib::ContentReader& reader) { post_blob(ctx, req, res, reader); });
}

}  // namespace corral::server
