// The registry code's edge behaviour against HttpDouble (an in-process HTTP server whose answers
// each test chooses): token auth, chunked upload and its resume, streamed upload refusal, and a
// download resumed after a cut. Each test checks the requests the code sent, not only its result.
#include "http_double.hpp"
#include "registry_double.hpp"

#include "oci/verified_source.hpp"
#include "registry/blob_download.hpp"
#include "registry/blob_upload.hpp"
#include "registry/registry_client.hpp"
#include "registry/upload_sources.hpp"

#include <ckimg/digest.hpp>
#include <ckimg/error.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstring>
#include <memory>
#include <string>

using namespace ckimg::registry;
using Catch::Matchers::Contains;
using ckimg::test::HttpDouble;
using ckimg::test::only;
using ckimg::test::pattern;
using ckimg::test::RecordedRequest;
using ckimg::test::Reply;
using ckimg::test::session_for;

namespace {

std::string read_all(ckimg::ByteSource& source) {
    std::string out;
    std::uint8_t buffer[8192];
    while (auto n = source.read(buffer, sizeof buffer))
        out.append(reinterpret_cast<const char*>(buffer), n);
    return out;
}

} // namespace

TEST_CASE("a Bearer challenge sends a GET to the realm and the retry carries the token", "[http]") {
    std::string realm;
    HttpDouble server([&](const RecordedRequest& request) {
        if (request.target.rfind("/token", 0) == 0) return Reply{200, {}, R"({"token":"tok-123"})"};
        if (request.header("authorization") != std::optional<std::string>("Bearer tok-123"))
            return Reply{401,
                         {{"WWW-Authenticate",
                           "Bearer realm=\"" + realm +
                               "\",service=\"reg.test\",scope=\"repository:team/app:pull\""}},
                         ""};
        return Reply{200, {{"Content-Length", "42"}}, ""};
    });
    realm = server.base_url() + "/token";
    auto session = session_for(server, "alice:s3cret-pw");
    RegistryClient client(*session);
    auto size = client.blob_size(ckimg::sha256_of("x"));
    REQUIRE(size);
    CHECK(*size == 42);
    auto requests = server.requests();
    REQUIRE(requests.size() == 3);
    CHECK(requests[0].method == "HEAD");
    CHECK_FALSE(requests[0].header("authorization"));
    CHECK(requests[1].method == "GET");
    CHECK_THAT(requests[1].target, Contains("/token?service=reg.test") &&
                                       Contains("scope=repository%3Ateam%2Fapp%3Apull%2Cpush"));
    CHECK(requests[1].header("authorization").value_or("").rfind("Basic ", 0) == 0);
    CHECK(requests[2].method == "HEAD");
    CHECK(requests[2].header("authorization") == std::optional<std::string>("Bearer tok-123"));
}

TEST_CASE("a token answer without a token is a clear error without the password", "[http]") {
    std::string realm;
    HttpDouble server([&](const RecordedRequest& request) {
        if (request.target.rfind("/token", 0) == 0) return Reply{200, {}, R"({"expires_in":300})"};
        return Reply{
            401, {{"WWW-Authenticate", "Bearer realm=\"" + realm + "\",service=reg.test"}}, ""};
    });
    realm = server.base_url() + "/token";
    auto session = session_for(server, "alice:s3cret-pw");
    RegistryClient client(*session);
    try {
        client.blob_size(ckimg::sha256_of("x"));
        FAIL("no error");
    } catch (const ckimg::Error& error) {
        CHECK_THAT(error.what(), Contains("token server answered without a token"));
        CHECK_THAT(error.what(), !Contains("s3cret-pw"));
    }
}

namespace {

// A registry's upload session: holds what PATCHes brought, in order.
struct UploadRegistry {
    std::string held;
    int patches = 0;
    int cut_patch = -1;       // this PATCH (0-based) is cut: the registry keeps half of it
    std::string resync_range; // when set, the Range the GET of the session answers
    std::string patch_range;  // when set, the Range every PATCH answers

    Reply operator()(const RecordedRequest& request) {
        std::string range = "0-" + std::to_string(held.empty() ? 0 : held.size() - 1);
        if (request.method == "POST")
            return Reply{
                202, {{"Location", "/v2/team/app/blobs/uploads/u1"}, {"Range", "0-0"}}, ""};
        if (request.method == "PATCH") {
            if (patches++ == cut_patch) {
                held += request.body.substr(0, request.body.size() / 2);
                return Reply{0, {}, ""};
            }
            held += request.body;
            range = patch_range.empty() ? "0-" + std::to_string(held.size() - 1) : patch_range;
            return Reply{
                202, {{"Location", "/v2/team/app/blobs/uploads/u1"}, {"Range", range}}, ""};
        }
        if (request.method == "GET")
            return Reply{204, {{"Range", resync_range.empty() ? range : resync_range}}, ""};
        if (request.method == "PUT") return Reply{201, {}, ""};
        return Reply{404, {}, ""};
    }
};

// An upload session opened against an UploadRegistry, over `size` bytes of pattern().
struct UploadFixture {
    explicit UploadFixture(std::size_t size, UploadRegistry preset = {})
        : registry(std::move(preset)), data(pattern(size)) {
        upload.start();
    }
    std::vector<RecordedRequest> sent(const std::string& method) const {
        return only(server.requests(), method);
    }

    UploadRegistry registry;
    std::string data;
    HttpDouble server{[this](const RecordedRequest& request) { return registry(request); }};
    std::shared_ptr<RegistrySession> session = session_for(server);
    RegistryClient client{*session};
    BufferReader reader{data, 0};
    BlobUpload upload{client, {}};
};

} // namespace

TEST_CASE("chunked upload: PATCHes carry Content-Range and the PUT names the digest", "[http]") {
    UploadFixture f(2500);
    f.upload.send_chunks(f.reader, f.data.size(), 1000);
    auto digest = ckimg::sha256_of(f.data);
    f.upload.finish(digest, nullptr, f.data.size());
    CHECK(f.registry.held == f.data);
    auto patches = f.sent("PATCH");
    REQUIRE(patches.size() == 3);
    CHECK(patches[0].header("content-range") == std::optional<std::string>("0-999"));
    CHECK(patches[1].header("content-range") == std::optional<std::string>("1000-1999"));
    CHECK(patches[2].header("content-range") == std::optional<std::string>("2000-2499"));
    auto puts = f.sent("PUT");
    REQUIRE(puts.size() == 1);
    CHECK(puts[0].target == "/v2/team/app/blobs/uploads/u1?digest=sha256%3A" + digest.hex());
    CHECK(puts[0].body.empty());
}

TEST_CASE("a cut PATCH resumes from the Range the upload's GET reports", "[http]") {
    UploadRegistry preset;
    preset.cut_patch = 1; // the second chunk: the registry keeps 1000 + 500 bytes
    UploadFixture f(3000, preset);
    f.upload.send_chunks(f.reader, f.data.size(), 1000);
    CHECK(f.registry.held == f.data);
    auto gets = f.sent("GET");
    REQUIRE(gets.size() == 1);
    CHECK(gets[0].target == "/v2/team/app/blobs/uploads/u1");
    auto patches = f.sent("PATCH");
    REQUIRE(patches.size() == 4);
    CHECK(patches[1].header("content-range") == std::optional<std::string>("1000-1999"));
    CHECK(patches[2].header("content-range") == std::optional<std::string>("1500-2499"));
    CHECK(patches[3].header("content-range") == std::optional<std::string>("2500-2999"));
}

TEST_CASE("an upload whose registry claims more than was sent is refused", "[http]") {
    UploadRegistry preset;
    preset.cut_patch = 0;
    preset.resync_range = "0-4999"; // of a 3000-byte blob
    UploadFixture f(3000, preset);
    CHECK_THROWS_WITH(f.upload.send_chunks(f.reader, f.data.size(), 1000),
                      Contains("the registry claims 5000 bytes of a 3000-byte blob"));
}

TEST_CASE("a PATCH answer whose Range goes backwards is not believed", "[http]") {
    // Every answer says the registry holds 11 bytes. After the first PATCH that is a chunk taken
    // in part (sent again from byte 11); after the second it is a step back, which is not
    // believed: the client's own count goes on.
    UploadRegistry preset;
    preset.patch_range = "0-10";
    UploadFixture f(3000, preset);
    f.upload.send_chunks(f.reader, f.data.size(), 1000);
    CHECK(f.upload.offset() == 3000);
    auto patches = f.sent("PATCH");
    REQUIRE(patches.size() == 4);
    CHECK(patches[0].header("content-range") == std::optional<std::string>("0-999"));
    CHECK(patches[1].header("content-range") == std::optional<std::string>("11-1010"));
    CHECK(patches[2].header("content-range") == std::optional<std::string>("1011-2010"));
    CHECK(patches[3].header("content-range") == std::optional<std::string>("2011-2999"));
    CHECK(patches[1].body == f.data.substr(11, 1000));
}

namespace {

class StringStream : public StreamBody {
public:
    explicit StringStream(std::string bytes) : bytes_(std::move(bytes)) {}
    std::size_t read(char* buffer, std::size_t capacity) override {
        auto n = std::min(capacity, bytes_.size() - static_cast<std::size_t>(sent_));
        std::memcpy(buffer, bytes_.data() + sent_, n);
        sent_ += n;
        return n;
    }
    void rewind() override { sent_ = 0; }

private:
    std::string bytes_;
};

} // namespace

TEST_CASE("a streamed upload is one PATCH without Content-Range", "[http]") {
    UploadFixture f(200000);
    StringStream body(f.data);
    f.upload.send_stream(body);
    CHECK(f.upload.offset() == f.data.size());
    auto patches = f.sent("PATCH");
    REQUIRE(patches.size() == 1);
    CHECK_FALSE(patches[0].header("content-range"));
    CHECK(patches[0].header("transfer-encoding") == std::optional<std::string>("chunked"));
    CHECK(patches[0].body == f.data);
}

TEST_CASE("a registry refusing a streamed PATCH with 413 makes it ChunkingRejected", "[http]") {
    HttpDouble server([&](const RecordedRequest& request) {
        if (request.method == "POST")
            return Reply{202, {{"Location", "/v2/team/app/blobs/uploads/u1"}}, ""};
        return Reply{413, {}, ""};
    });
    auto session = session_for(server);
    RegistryClient client(*session);
    BlobUpload upload(client, {});
    upload.start();
    StringStream body(pattern(5000));
    CHECK_THROWS_AS(upload.send_stream(body), ChunkingRejected);
    CHECK(only(server.requests(), "PATCH").size() == 1);
}

TEST_CASE("a download cut mid-blob resumes with a Range from the last byte delivered", "[http]") {
    auto data = pattern(300000);
    auto digest = ckimg::sha256_of(data);
    bool corrupt = false;
    HttpDouble server([&](const RecordedRequest& request) {
        auto range = request.header("range");
        if (!range) return Reply{200, {}, data, std::size_t{100000}};
        auto start = std::stoul(range->substr(6));
        auto rest = data.substr(start);
        if (corrupt) rest[rest.size() / 2] ^= 1;
        return Reply{206,
                     {{"Content-Range", "bytes " + std::to_string(start) + "-" +
                                            std::to_string(data.size() - 1) + "/" +
                                            std::to_string(data.size())}},
                     rest};
    });
    ckimg::Descriptor blob;
    blob.digest = digest;
    blob.size = static_cast<std::int64_t>(data.size());
    blob.media_type = "application/octet-stream";
    SECTION("the bytes arrive whole") {
        auto session = session_for(server);
        ckimg::VerifiedSource source(download_blob(session, blob, "test"), blob, "test");
        CHECK(read_all(source) == data);
        auto requests = server.requests();
        REQUIRE(requests.size() == 2);
        CHECK_FALSE(requests[0].header("range"));
        CHECK(requests[1].header("range") == std::optional<std::string>("bytes=100000-"));
    }
    SECTION("a wrong byte after the resume fails the digest") {
        corrupt = true;
        auto session = session_for(server);
        ckimg::VerifiedSource source(download_blob(session, blob, "test"), blob, "test");
        CHECK_THROWS_WITH(read_all(source), Contains("digest") || Contains("sha256"));
    }
}
