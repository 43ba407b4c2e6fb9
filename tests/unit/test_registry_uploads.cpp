// Uploads against MiniRegistry (registry_double.hpp), which checks the digest of every blob it
// stores: the streamed writer's fallback after its stream breaks, the chunked writer, closing
// PUTs that are lost or fail, Location forms, 416 and a forgotten session; and the OAuth2
// refresh-token flow of an identity token. Each test checks what the registry ended up holding
// and the requests that got it there.
#include "http_double.hpp"
#include "registry_double.hpp"
#include "test_support.hpp"

#include "registry/blob_upload.hpp"
#include "registry/registry_client.hpp"
#include "registry/sink_blob_writers.hpp"
#include "registry/upload_sources.hpp"

#include <ckimg/digest.hpp>
#include <ckimg/error.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

using namespace ckimg::registry;
using Catch::Matchers::Contains;
using ckimg::test::BodyCut;
using ckimg::test::HttpDouble;
using ckimg::test::MiniRegistry;
using ckimg::test::RecordedRequest;
using ckimg::test::Reply;
using Fault = MiniRegistry::Fault;

namespace {

constexpr std::size_t MiB = 1 << 20;

// A MiniRegistry behind an HttpDouble, and a session for it.
struct Registry {
    explicit Registry(ckimg::RegistryOptions options = ckimg::test::double_options(),
                      BodyCut cut = {})
        : server([this](const RecordedRequest& request) { return registry(request); },
                 std::move(cut)),
          session(ckimg::test::session_for(server, options)) {
        registry.base_url = server.base_url();
    }
    std::vector<RecordedRequest> sent(const std::string& method) const {
        return ckimg::test::only(server.requests(), method);
    }

    MiniRegistry registry;
    HttpDouble server;
    std::shared_ptr<RegistrySession> session;
};

ckimg::RegistryOptions chunked_options(std::uint64_t chunk_size) {
    auto options = ckimg::test::double_options();
    options.chunk_size = chunk_size;
    return options;
}

// A fault on the n-th request (0-based) of one method.
std::function<Fault(const RecordedRequest&, int)> on(const std::string& method, int n,
                                                     Fault fault) {
    return [=](const RecordedRequest& request, int count) {
        return request.method == method && count == n ? fault : Fault::none;
    };
}

// What the writers counted, one "outcome size" each ("uploaded 1234").
struct Outcomes {
    std::vector<std::string> seen;
    UploadContext context(RegistrySession& session) {
        return {session, [this](BlobOutcome outcome, std::uint64_t size) {
                    const char* names[] = {"skipped", "mounted", "uploaded"};
                    seen.push_back(names[static_cast<int>(outcome)] + (" " + std::to_string(size)));
                }};
    }
};

// Writes `data` into `writer` in pieces, as a compressor would, and commits it.
void produce(ckimg::BlobWriter& writer, const std::string& data) {
    constexpr std::size_t piece = 64 << 10;
    for (std::size_t at = 0; at < data.size(); at += piece)
        writer.write(reinterpret_cast<const std::uint8_t*>(data.data()) + at,
                     std::min(piece, data.size() - at));
    writer.finish();
    writer.commit(ckimg::sha256_of(data));
}

std::vector<std::string> content_ranges(const std::vector<RecordedRequest>& requests) {
    std::vector<std::string> out;
    for (const auto& request : requests)
        out.push_back(request.header("content-range").value_or("none"));
    return out;
}

// What may happen to a closing PUT: its answer lost after the registry stored the blob, the
// request lost before the registry read it, a 500.
auto closing_put_faults() {
    return Catch::Generators::values({Fault::lose_after, Fault::lose_before, Fault::fail_500});
}

using Ranges = std::vector<std::string>;
std::vector<std::string> uploaded(std::uint64_t size) {
    return {"uploaded " + std::to_string(size)};
}

} // namespace

// --- The streamed writer: one PATCH as the blob is produced; a copy on disk when it breaks.

TEST_CASE("a streamed upload cut mid-way is pushed again whole from the writer's spool", "[http]") {
    auto data = ckimg::test::pattern(3 * MiB + 123);
    auto digest = ckimg::sha256_of(data).str();
    Registry r(ckimg::test::double_options(), [](const RecordedRequest& head) {
        return head.method == "PATCH" ? std::optional<std::size_t>(MiB + MiB / 2) : std::nullopt;
    });
    Outcomes outcomes;
    auto writer = make_streamed_blob_writer(outcomes.context(*r.session), {});
    produce(*writer, data);
    CHECK(r.registry.blob(digest) == data);
    CHECK(outcomes.seen == uploaded(data.size()));
    auto patches = r.sent("PATCH");
    REQUIRE(patches.size() == 1);
    CHECK(patches[0].cut);
    CHECK_FALSE(patches[0].header("content-range"));
    // Then push_blob's way: HEAD (absent), a new session, the blob in one PUT.
    CHECK(r.sent("POST").size() == 2);
    auto puts = r.sent("PUT");
    REQUIRE(puts.size() == 1);
    CHECK(puts[0].target.rfind("/v2/team/app/blobs/uploads/u2?digest=", 0) == 0);
    CHECK(puts[0].body.size() == data.size());
}

TEST_CASE("a streamed upload cut mid-way is pushed again from the file its replay names",
          "[http]") {
    auto data = ckimg::test::pattern(2 * MiB + 7);
    auto digest = ckimg::sha256_of(data);
    ckimg::test::TempDir dir;
    auto file = dir.path / "blob";
    std::ofstream(file, std::ios::binary) << data;
    Registry r(ckimg::test::double_options(), [](const RecordedRequest& head) {
        return head.method == "PATCH" ? std::optional<std::size_t>(MiB + 1000) : std::nullopt;
    });
    std::vector<std::string> asked;
    Outcomes outcomes;
    auto writer =
        make_streamed_blob_writer(outcomes.context(*r.session), [&](const ckimg::Digest& of) {
            asked.push_back(of.str());
            return file;
        });
    produce(*writer, data);
    CHECK(asked == std::vector<std::string>{digest.str()});
    CHECK(r.registry.blob(digest.str()) == data);
    CHECK(outcomes.seen == uploaded(data.size()));
    CHECK(r.sent("PATCH").size() == 1);
    CHECK(r.sent("PUT").size() == 1);
}

TEST_CASE("a streamed PATCH refused with 413 is pushed again in chunks from the spool", "[http]") {
    auto data = ckimg::test::pattern(3 * MiB + 5);
    auto digest = ckimg::sha256_of(data).str();
    Registry r(chunked_options(MiB));
    r.registry.fault = [](const RecordedRequest& request, int) {
        bool streamed = request.method == "PATCH" && !request.header("content-range");
        return streamed ? Fault::refuse_413 : Fault::none;
    };
    Outcomes outcomes;
    produce(*make_streamed_blob_writer(outcomes.context(*r.session), {}), data);
    CHECK(r.registry.blob(digest) == data);
    CHECK(outcomes.seen == uploaded(data.size()));
    auto patches = r.sent("PATCH");
    REQUIRE(patches.size() == 5);
    CHECK(content_ranges(patches) ==
          Ranges{"none", "0-1048575", "1048576-2097151", "2097152-3145727", "3145728-3145732"});
    auto puts = r.sent("PUT");
    REQUIRE(puts.size() == 1);
    CHECK(puts[0].body.empty());
}

TEST_CASE("a registry refusing every PATCH gets a broken streamed blob in one PUT", "[http]") {
    auto data = ckimg::test::pattern(3 * MiB);
    auto digest = ckimg::sha256_of(data).str();
    Registry r(chunked_options(MiB));
    r.registry.fault = [](const RecordedRequest& request, int) {
        return request.method == "PATCH" ? Fault::refuse_413 : Fault::none;
    };
    Outcomes outcomes;
    produce(*make_streamed_blob_writer(outcomes.context(*r.session), {}), data);
    CHECK(r.registry.blob(digest) == data);
    CHECK(r.session->chunking_rejected);
    CHECK(r.sent("PATCH").size() == 2); // the stream, then the first chunk
    auto puts = r.sent("PUT");
    REQUIRE(puts.size() == 1);
    CHECK(puts[0].body == data);
}

TEST_CASE("a streamed upload whose closing PUT is lost or fails ends with one upload", "[http]") {
    auto fault = GENERATE(closing_put_faults());
    CAPTURE(MiniRegistry::name(fault));
    auto data = ckimg::test::pattern(MiB + MiB / 2);
    auto digest = ckimg::sha256_of(data).str();
    Registry r;
    r.registry.fault = on("PUT", 0, fault);
    Outcomes outcomes;
    produce(*make_streamed_blob_writer(outcomes.context(*r.session), {}), data);
    CHECK(r.registry.blob(digest) == data);
    CHECK(outcomes.seen == uploaded(data.size()));
    CHECK(r.sent("POST").size() == 1);
    CHECK(r.sent("PATCH").size() == 1);
    CHECK(r.sent("PUT").size() == 2);
    // A PUT that landed is found out by a HEAD; the others are sent again.
    CHECK(r.sent("HEAD").size() == (fault == Fault::lose_after ? 1u : 0u));
}

// --- push_blob's one-PUT upload (a blob below the chunk size).

TEST_CASE("a monolithic PUT that is lost or fails is not uploaded twice when it landed", "[http]") {
    auto fault = GENERATE(closing_put_faults());
    CAPTURE(MiniRegistry::name(fault));
    auto data = ckimg::test::pattern(5000);
    auto digest = ckimg::sha256_of(data);
    Registry r;
    r.registry.fault = on("PUT", 0, fault);
    // A PUT that landed is found out by a HEAD; else a new session gets the blob.
    std::size_t posts = fault == Fault::lose_after ? 1 : 2;
    RegistryClient client(*r.session);
    BufferReader reader(data, 0);
    ckimg::Descriptor blob{"application/octet-stream", digest, 5000, {}, {}, {}};
    CHECK(push_blob(client, reader, blob, {}, {}) == BlobOutcome::uploaded);
    CHECK(r.registry.blob(digest.str()) == data);
    CHECK(r.sent("POST").size() == posts);
    CHECK(r.sent("PUT").size() == posts);
    CHECK(r.sent("HEAD").size() == 2); // before, and after the failure
}

// --- The chunked writer: PATCHes of one chunk each while the next fills; the tail in the PUT.

TEST_CASE("the chunked writer PATCHes every chunk and closes with an empty PUT", "[http]") {
    auto data = ckimg::test::pattern(2 * MiB + 300);
    auto digest = ckimg::sha256_of(data).str();
    Registry r(chunked_options(MiB));
    SECTION("without a fault") {}
    SECTION("a cut PATCH resumed from the session's Range") {
        r.registry.fault = on("PATCH", 1, Fault::lose_before);
    }
    SECTION("a 416 answered to a PATCH resumed from the session's Range") {
        r.registry.fault = on("PATCH", 1, Fault::fail_416);
    }
    SECTION("a cut tail resumed from the session's Range") {
        r.registry.fault = on("PATCH", 2, Fault::lose_before);
    }
    Outcomes outcomes;
    produce(*make_chunked_blob_writer(outcomes.context(*r.session)), data);
    CHECK(r.registry.blob(digest) == data);
    CHECK(outcomes.seen == uploaded(data.size()));
    CHECK(r.sent("POST").size() == 1);
    auto patches = r.sent("PATCH");
    REQUIRE(patches.size() >= 3);
    CHECK(patches.front().header("content-range") == std::optional<std::string>("0-1048575"));
    CHECK(patches.back().header("content-range") == std::optional<std::string>("2097152-2097451"));
    // One GET of the session's Range for each PATCH sent again.
    CHECK(r.sent("GET").size() == patches.size() - 3);
    auto puts = r.sent("PUT");
    REQUIRE(puts.size() == 1);
    CHECK(puts[0].body.empty());
}

TEST_CASE("a chunked upload whose closing PUT is lost or fails ends with one upload", "[http]") {
    auto via = GENERATE(as<std::string>{}, "the chunked writer", "push_blob");
    auto fault = GENERATE(closing_put_faults());
    CAPTURE(via, MiniRegistry::name(fault));
    auto data = ckimg::test::pattern(2 * MiB + 300);
    auto digest = ckimg::sha256_of(data);
    Registry r(chunked_options(MiB));
    r.registry.fault = on("PUT", 0, fault);
    // A PUT that landed is found out by a HEAD; the others are sent again.
    std::size_t heads = fault == Fault::lose_after ? 1 : 0;
    if (via == "push_blob") {
        RegistryClient client(*r.session);
        BufferReader reader(data, 0);
        ckimg::Descriptor blob{
            "application/octet-stream", digest, static_cast<std::int64_t>(data.size()), {}, {}, {}};
        CHECK(push_blob(client, reader, blob, {}, {}) == BlobOutcome::uploaded);
        ++heads; // the one before the upload
    } else {
        Outcomes outcomes;
        produce(*make_chunked_blob_writer(outcomes.context(*r.session)), data);
        CHECK(outcomes.seen == uploaded(data.size()));
    }
    CHECK(r.registry.blob(digest.str()) == data);
    CHECK(r.sent("POST").size() == 1);
    CHECK(r.sent("PATCH").size() == 3);
    CHECK(r.sent("PUT").size() == 2);
    CHECK(r.sent("HEAD").size() == heads);
}

TEST_CASE("the chunked writer whose first PATCH is refused pushes the blob in one PUT", "[http]") {
    auto data = ckimg::test::pattern(2 * MiB + 300);
    auto digest = ckimg::sha256_of(data).str();
    Registry r(chunked_options(MiB));
    r.registry.fault = [](const RecordedRequest& request, int) {
        return request.method == "PATCH" ? Fault::refuse_413 : Fault::none;
    };
    Outcomes outcomes;
    produce(*make_chunked_blob_writer(outcomes.context(*r.session)), data);
    CHECK(r.registry.blob(digest) == data);
    CHECK(r.session->chunking_rejected);
    CHECK(r.sent("PATCH").size() == 1);
    auto puts = r.sent("PUT");
    REQUIRE(puts.size() == 1);
    CHECK(puts[0].body == data);
}

// --- Sessions: Location forms, a PATCH answer without Location, a session the registry forgot.

TEST_CASE("an upload follows absolute Locations and keeps a Location's query", "[http]") {
    auto data = ckimg::test::pattern(2 * MiB + 1);
    auto digest = ckimg::sha256_of(data);
    Registry r(chunked_options(MiB));
    std::string query;
    SECTION("absolute") {
        r.registry.locations = MiniRegistry::Locations::absolute;
    }
    SECTION("with a query") {
        r.registry.locations = MiniRegistry::Locations::with_query;
        query = "?_state=st-u1";
    }
    RegistryClient client(*r.session);
    BufferReader reader(data, 0);
    ckimg::Descriptor blob{"application/octet-stream", digest, 2 * MiB + 1, {}, {}, {}};
    CHECK(push_blob(client, reader, blob, {}, {}) == BlobOutcome::uploaded);
    CHECK(r.registry.blob(digest.str()) == data);
    for (const auto& patch : r.sent("PATCH"))
        CHECK(patch.target == "/v2/team/app/blobs/uploads/u1" + query);
    auto puts = r.sent("PUT");
    REQUIRE(puts.size() == 1);
    CHECK(puts[0].target == "/v2/team/app/blobs/uploads/u1" + (query.empty() ? "?" : query + "&") +
                                "digest=sha256%3A" + digest.hex());
}

TEST_CASE("a PATCH answered without Location leaves the upload where it was", "[http]") {
    auto data = ckimg::test::pattern(2 * MiB + 1);
    auto digest = ckimg::sha256_of(data);
    MiniRegistry registry;
    registry.locations = MiniRegistry::Locations::with_query;
    HttpDouble server([&](const RecordedRequest& request) {
        auto reply = registry(request);
        if (request.method == "PATCH")
            reply.headers.erase(
                std::remove_if(reply.headers.begin(), reply.headers.end(),
                               [](const auto& header) { return header.first == "Location"; }),
                reply.headers.end());
        return reply;
    });
    auto session = ckimg::test::session_for(server, chunked_options(MiB));
    RegistryClient client(*session);
    BufferReader reader(data, 0);
    ckimg::Descriptor blob{"application/octet-stream", digest, 2 * MiB + 1, {}, {}, {}};
    CHECK(push_blob(client, reader, blob, {}, {}) == BlobOutcome::uploaded);
    CHECK(registry.blob(digest.str()) == data);
    auto patches = ckimg::test::only(server.requests(), "PATCH");
    REQUIRE(patches.size() == 3);
    for (const auto& patch : patches)
        CHECK(patch.target == "/v2/team/app/blobs/uploads/u1?_state=st-u1");
}

TEST_CASE("an upload session opened without Location is a clear error", "[http]") {
    HttpDouble server([](const RecordedRequest& request) {
        if (request.method == "HEAD") return Reply{404};
        return Reply{request.method == "POST" ? 202 : 500};
    });
    auto session = ckimg::test::session_for(server);
    RegistryClient client(*session);
    auto data = ckimg::test::pattern(100);
    BufferReader reader(data, 0);
    ckimg::Descriptor blob{"application/octet-stream", ckimg::sha256_of(data), 100, {}, {}, {}};
    CHECK_THROWS_WITH(push_blob(client, reader, blob, {}, {}),
                      Contains("registry opened an upload without a Location"));
    CHECK(ckimg::test::only(server.requests(), "POST").size() == 1);
    CHECK(ckimg::test::only(server.requests(), "PUT").empty());
}

TEST_CASE("a cut upload whose session the registry forgot starts over in a new one", "[http]") {
    auto data = ckimg::test::pattern(3 * MiB);
    auto digest = ckimg::sha256_of(data);
    Registry r(chunked_options(MiB));
    r.registry.fault = [](const RecordedRequest& request, int n) {
        if (request.method == "PATCH" && n == 1) return Fault::lose_before;
        if (request.method == "GET" && n == 0) return Fault::unknown_404;
        return Fault::none;
    };
    ckimg::test::TempDir dir;
    auto file = dir.path / "blob";
    std::ofstream(file, std::ios::binary) << data;
    RegistryClient client(*r.session);
    ckimg::Descriptor blob{
        "application/octet-stream", digest, static_cast<std::int64_t>(data.size()), {}, {}, {}};
    CHECK(push_blob_file(client, file.string(), blob, {}, {}) == BlobOutcome::uploaded);
    CHECK(r.registry.blob(digest.str()) == data);
    CHECK(r.sent("POST").size() == 2);
    auto patches = r.sent("PATCH");
    REQUIRE(patches.size() == 5);
    CHECK(content_ranges(patches) == Ranges{"0-1048575", "1048576-2097151", "0-1048575",
                                            "1048576-2097151", "2097152-3145727"});
    CHECK(patches[2].target == "/v2/team/app/blobs/uploads/u2");
    auto puts = r.sent("PUT");
    REQUIRE(puts.size() == 1);
    CHECK(puts[0].target.rfind("/v2/team/app/blobs/uploads/u2?", 0) == 0);
}

// --- Token auth with an identity token (an OAuth2 refresh token), as docker login stores it.

namespace {

struct TokenServer {
    explicit TokenServer(Reply token_answer) : answer(std::move(token_answer)) {}
    Reply answer;
    std::string realm;
    HttpDouble server{[this](const RecordedRequest& request) {
        if (request.target.rfind("/token", 0) == 0) return answer;
        if (request.header("authorization") != std::optional<std::string>("Bearer acc-9"))
            return Reply{401,
                         {{"WWW-Authenticate",
                           "Bearer realm=\"" + realm +
                               "\",service=\"reg.test\",scope=\"repository:team/app:pull\""}}};
        return Reply{200, {{"Content-Length", "42"}}};
    }};
};

// An auth file holding what docker login writes for an identity token.
std::shared_ptr<RegistrySession> identity_session(const HttpDouble& server,
                                                  const ckimg::test::TempDir& dir) {
    auto path = dir.path / "auth.json";
    std::ofstream(path) << R"({"auths":{"127.0.0.1:)" << server.port()
                        << R"(":{"auth":"PHRva2VuPjo=","identitytoken":"rt-SECRET-1"}}})";
    auto options = ckimg::test::double_options();
    options.auth_file = path.string();
    return ckimg::test::session_for(server, options);
}

std::vector<std::string> form_fields(const std::string& body) {
    std::vector<std::string> fields;
    for (std::size_t pos = 0; pos <= body.size();) {
        auto end = std::min(body.find('&', pos), body.size());
        fields.push_back(body.substr(pos, end - pos));
        pos = end + 1;
    }
    std::sort(fields.begin(), fields.end());
    return fields;
}

} // namespace

TEST_CASE("an identity token is traded by an OAuth2 POST and the retry carries the access token",
          "[http]") {
    TokenServer t(Reply{200, {}, R"({"access_token":"acc-9","expires_in":300})"});
    t.realm = t.server.base_url() + "/token";
    ckimg::test::TempDir dir;
    auto session = identity_session(t.server, dir);
    RegistryClient client(*session);
    auto size = client.blob_size(ckimg::sha256_of("x"));
    REQUIRE(size);
    CHECK(*size == 42);
    auto requests = t.server.requests();
    REQUIRE(requests.size() == 3);
    CHECK_FALSE(requests[0].header("authorization"));
    CHECK(requests[1].method == "POST");
    CHECK(requests[1].target == "/token");
    CHECK(requests[1].header("content-type") ==
          std::optional<std::string>("application/x-www-form-urlencoded"));
    CHECK_FALSE(requests[1].header("authorization")); // the refresh token is the credential
    CHECK(form_fields(requests[1].body) ==
          std::vector<std::string>{
              "client_id=ckimg", "grant_type=refresh_token", "refresh_token=rt-SECRET-1",
              "scope=repository%3Ateam%2Fapp%3Apull%2Cpush", "service=reg.test"});
    CHECK(requests[2].method == "HEAD");
    CHECK(requests[2].header("authorization") == std::optional<std::string>("Bearer acc-9"));
}

TEST_CASE("a refused identity token is an error that does not show it", "[http]") {
    auto answer = GENERATE(
        Reply{401, {}, R"({"error":"invalid_grant"})"},
        // A token server that quotes the request back.
        Reply{400,
              {},
              R"({"errors":[{"code":"DENIED","message":"bad grant refresh_token=rt-SECRET-1"}]})"},
        Reply{200, {}, R"({"error":"rt-SECRET-1"})"});
    TokenServer t(answer);
    t.realm = t.server.base_url() + "/token";
    ckimg::test::TempDir dir;
    auto session = identity_session(t.server, dir);
    RegistryClient client(*session);
    try {
        client.blob_size(ckimg::sha256_of("x"));
        FAIL("no error");
    } catch (const ckimg::Error& error) {
        CHECK_THAT(error.what(), Contains("POST") && Contains("/token"));
        CHECK_THAT(error.what(), !Contains("rt-SECRET-1"));
    }
}
