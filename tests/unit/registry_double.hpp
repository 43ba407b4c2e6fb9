// What the registry tests share: a session pointed at an HttpDouble, test bytes, and
// MiniRegistry, a handler for HttpDouble that keeps blob uploads as a distribution registry does
// (sessions by POST, PATCHes checked against Content-Range, PUT ?digest= checked against the
// digest of everything the session holds, HEAD of stored blobs), with faults a test chooses.
#pragma once

#include "http_double.hpp"

#include "registry/registry_client.hpp"

#include <ckimg/registry.hpp>

#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace ckimg::test {

// insecure (plain HTTP to loopback), 3 retries, no auth file, `creds` as --creds.
RegistryOptions double_options(const std::string& creds = "");
// A session for 127.0.0.1:PORT/team/app:v1 whose base URL is the double's (no probe).
std::shared_ptr<registry::RegistrySession> session_for(const HttpDouble& server,
                                                       const RegistryOptions& options);
std::shared_ptr<registry::RegistrySession> session_for(const HttpDouble& server,
                                                       const std::string& creds = "");
// `size` bytes that are not all alike.
std::string pattern(std::size_t size);
// The requests of one method, in order.
std::vector<RecordedRequest> only(const std::vector<RecordedRequest>& all,
                                  const std::string& method);

class MiniRegistry {
public:
    // What a fault does to one request.
    enum class Fault {
        none,        // answered as a registry would
        lose_before, // connection closed, the request not carried out
        lose_after,  // carried out, then the connection closed without an answer
        refuse_413,  // 413, not carried out
        fail_500,    // 500, not carried out
        fail_416,    // 416 with the session's Range, not carried out
        unknown_404, // 404 BLOB_UPLOAD_UNKNOWN: the session is forgotten
    };
    static const char* name(Fault fault);
    // How Locations of upload sessions are written.
    enum class Locations { relative, absolute, with_query };

    // Asked about every request first; `n` counts the requests of its method so far (0-based).
    std::function<Fault(const RecordedRequest& request, int n)> fault;
    Locations locations = Locations::relative;
    std::string base_url; // for absolute Locations: the double's

    Reply operator()(const RecordedRequest& request);

    // The stored blob with this digest ("sha256:..."), "" when there is none.
    std::string blob(const std::string& digest) const;
    std::size_t blob_count() const;

private:
    Reply handle(const RecordedRequest& request);
    std::string location_of(const std::string& id) const;

    mutable std::mutex mutex_;
    std::map<std::string, int> counts_;          // by method
    std::map<std::string, std::string> uploads_; // session id -> bytes it holds
    std::map<std::string, std::string> blobs_;   // digest -> bytes
    int sessions_ = 0;
};

} // namespace ckimg::test
