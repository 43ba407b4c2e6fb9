// Registry references in the docker reference grammar (distribution/reference).
#pragma once

#include <string>

namespace ckimg {

struct Reference {
    std::string registry;   // as named: "docker.io", "localhost:5000", "[::1]:5000"
    std::string repository; // "library/ubuntu", "team/counter-ckpt"
    std::string tag;        // empty when not given (and no digest: "latest" is filled in)
    std::string digest;     // "sha256:..." or empty

    // Parses with or without a "docker://" prefix; normalises Docker Hub names
    // ("ubuntu" -> docker.io/library/ubuntu:latest). Throws UsageError with the reason.
    static Reference parse(const std::string& text);
    // The host to connect to: "registry-1.docker.io" for docker.io, else `registry`.
    std::string api_host() const;
    // "registry/repository[:tag][@digest]"
    std::string str() const;
    // The tag or, without one, the digest: what a manifest PUT/GET names.
    std::string tag_or_digest() const;
};

} // namespace ckimg
