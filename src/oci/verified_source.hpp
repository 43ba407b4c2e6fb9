// Blob streams that check what they deliver: the size and the digest its descriptor gives.
// Every source hands out its blobs through one of these, so that no unverified byte reaches a
// layout, an archive or a format.
#pragma once

#include <ckimg/descriptor.hpp>
#include <ckimg/stream.hpp>

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

namespace ckimg {

// Passes `inner` through, hashing and counting. Throws InputError naming `where` as soon as more
// bytes come than the descriptor's size, and at the end (read() returning 0) when fewer came or
// the digest differs. Only sha256 digests can be checked; others are refused up front.
class VerifiedSource final : public ByteSource {
public:
    VerifiedSource(std::unique_ptr<ByteSource> inner, const Descriptor& expected,
                   std::string where);
    ~VerifiedSource() override;
    std::size_t read(std::uint8_t* buffer, std::size_t capacity) override;

private:
    void check_end();

    struct State;
    std::unique_ptr<State> state_;
};

// Throws InputError unless the blob's digest is one VerifiedSource can check (sha256).
void check_digest_algorithm(const Descriptor& blob, const std::string& where);

// A file's bytes (a layout's blob). Throws InputError "WHERE: blob D is missing" when the file
// does not exist, IoError on other failures.
std::unique_ptr<ByteSource> open_blob_file(const std::filesystem::path& path,
                                           const Descriptor& blob, const std::string& where);

// Checks bytes held whole (a manifest fetched in one response) the way VerifiedSource checks a
// stream, with the same messages.
void verify_bytes(std::string_view bytes, const Descriptor& blob, const std::string& where);

// Reads a verified stream whole; `blob.size` must already be within the caller's limit.
std::string read_all(ByteSource& source, const Descriptor& blob);

// "WHERE: blob sha256:... is N bytes, over the M MiB limit" unless blob.size <= limit.
void check_size_limit(const Descriptor& blob, std::size_t limit, const std::string& where,
                      const char* what = "blob");

} // namespace ckimg
