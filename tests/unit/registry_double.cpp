#include "registry_double.hpp"

#include <ckimg/digest.hpp>

#include <algorithm>

namespace ckimg::test {

RegistryOptions double_options(const std::string& creds) {
    RegistryOptions options;
    options.insecure = true;
    options.creds = creds;
    options.retries = 3;
    options.auth_file = "/nonexistent/auth.json";
    return options;
}

std::shared_ptr<registry::RegistrySession> session_for(const HttpDouble& server,
                                                       const RegistryOptions& options) {
    auto target = Reference::parse("127.0.0.1:" + std::to_string(server.port()) + "/team/app:v1");
    auto session = std::make_shared<registry::RegistrySession>(target, options);
    session->set_base_url(server.base_url());
    return session;
}

std::shared_ptr<registry::RegistrySession> session_for(const HttpDouble& server,
                                                       const std::string& creds) {
    return session_for(server, double_options(creds));
}

std::string pattern(std::size_t size) {
    std::string bytes(size, '\0');
    for (std::size_t i = 0; i < size; ++i)
        bytes[i] = static_cast<char>((i * 131 + i / 7) & 0xff);
    return bytes;
}

std::vector<RecordedRequest> only(const std::vector<RecordedRequest>& all,
                                  const std::string& method) {
    std::vector<RecordedRequest> out;
    for (const auto& request : all)
        if (request.method == method) out.push_back(request);
    return out;
}

namespace {

const std::string kUploads = "/v2/team/app/blobs/uploads/";
const std::string kBlobs = "/v2/team/app/blobs/";

std::string range_of(const std::string& held) {
    return "0-" + std::to_string(held.empty() ? 0 : held.size() - 1);
}

// The value of `name` in the target's query, %3A decoded (all a digest needs).
std::string query_param(const std::string& target, const std::string& name) {
    auto query = target.find('?');
    if (query == std::string::npos) return {};
    for (auto pos = query + 1; pos < target.size();) {
        auto end = target.find('&', pos);
        if (end == std::string::npos) end = target.size();
        auto pair = target.substr(pos, end - pos);
        if (pair.rfind(name + "=", 0) == 0) {
            auto value = pair.substr(name.size() + 1);
            for (auto at = value.find("%3A"); at != std::string::npos; at = value.find("%3A"))
                value.replace(at, 3, ":");
            return value;
        }
        pos = end + 1;
    }
    return {};
}

} // namespace

const char* MiniRegistry::name(Fault fault) {
    switch (fault) {
    case Fault::none:
        return "none";
    case Fault::lose_before:
        return "lose_before";
    case Fault::lose_after:
        return "lose_after";
    case Fault::refuse_413:
        return "refuse_413";
    case Fault::fail_500:
        return "fail_500";
    case Fault::fail_416:
        return "fail_416";
    case Fault::unknown_404:
        return "unknown_404";
    }
    return "?";
}

std::string MiniRegistry::location_of(const std::string& id) const {
    switch (locations) {
    case Locations::absolute:
        return base_url + kUploads + id;
    case Locations::with_query:
        return kUploads + id + "?_state=st-" + id;
    case Locations::relative:
        break;
    }
    return kUploads + id;
}

Reply MiniRegistry::operator()(const RecordedRequest& request) {
    std::lock_guard lock(mutex_);
    auto fault_kind = fault ? fault(request, counts_[request.method]) : Fault::none;
    ++counts_[request.method];
    switch (fault_kind) {
    case Fault::lose_before:
        return Reply{0};
    case Fault::refuse_413:
        return Reply{413, {}, R"({"errors":[{"code":"SIZE_INVALID","message":"too large"}]})"};
    case Fault::fail_500:
        return Reply{500};
    case Fault::fail_416: {
        auto path = request.target.substr(0, request.target.find('?'));
        auto it = uploads_.find(path.substr(std::min(path.size(), kUploads.size())));
        return Reply{416, {{"Range", it == uploads_.end() ? "0-0" : range_of(it->second)}}};
    }
    case Fault::unknown_404: {
        auto path = request.target.substr(0, request.target.find('?'));
        uploads_.erase(path.substr(std::min(path.size(), kUploads.size())));
        return Reply{404, {}, R"({"errors":[{"code":"BLOB_UPLOAD_UNKNOWN"}]})"};
    }
    case Fault::none:
    case Fault::lose_after:
        break;
    }
    auto reply = handle(request);
    return fault_kind == Fault::lose_after ? Reply{0} : reply;
}

Reply MiniRegistry::handle(const RecordedRequest& request) {
    auto path = request.target.substr(0, request.target.find('?'));
    if (request.method == "POST" && path == kUploads) {
        auto id = "u" + std::to_string(++sessions_);
        uploads_[id];
        return Reply{202, {{"Location", location_of(id)}, {"Range", "0-0"}}};
    }
    if (path.rfind(kUploads, 0) == 0) {
        auto id = path.substr(kUploads.size());
        auto it = uploads_.find(id);
        if (it == uploads_.end()) {
            return Reply{404, {}, R"({"errors":[{"code":"BLOB_UPLOAD_UNKNOWN"}]})"};
        }
        auto& held = it->second;
        if (request.method == "GET")
            return Reply{204, {{"Location", location_of(id)}, {"Range", range_of(held)}}};
        if (request.method == "PATCH") {
            if (auto range = request.header("content-range")) {
                auto dash = range->find('-');
                auto first = std::stoull(range->substr(0, dash));
                auto last = std::stoull(range->substr(dash + 1));
                if (first != held.size() || last + 1 - first != request.body.size()) {
                    return Reply{416, {{"Range", range_of(held)}}};
                }
            }
            held += request.body;
            return Reply{202, {{"Location", location_of(id)}, {"Range", range_of(held)}}};
        }
        if (request.method == "PUT") {
            auto digest = query_param(request.target, "digest");
            auto whole = held + request.body;
            if (sha256_of(whole).str() != digest) {
                return Reply{400, {}, R"({"errors":[{"code":"DIGEST_INVALID"}]})"};
            }
            blobs_[digest] = whole;
            uploads_.erase(it);
            return Reply{201, {{"Location", kBlobs + digest}, {"Docker-Content-Digest", digest}}};
        }
    }
    if ((request.method == "HEAD" || request.method == "GET") && path.rfind(kBlobs, 0) == 0) {
        auto it = blobs_.find(path.substr(kBlobs.size()));
        if (it == blobs_.end()) return Reply{404};
        return Reply{200,
                     {{"Content-Length", std::to_string(it->second.size())},
                      {"Docker-Content-Digest", it->first}},
                     request.method == "GET" ? it->second : ""};
    }
    return Reply{404};
}

std::string MiniRegistry::blob(const std::string& digest) const {
    std::lock_guard lock(mutex_);
    auto it = blobs_.find(digest);
    return it == blobs_.end() ? std::string() : it->second;
}

std::size_t MiniRegistry::blob_count() const {
    std::lock_guard lock(mutex_);
    return blobs_.size();
}

} // namespace ckimg::test
