// Downloading a blob as a stream the reader pulls, while libcurl pushes: a thread runs the GET
// and hands the body over through a bounded buffer, so memory stays at about 1 MiB per blob
// whatever its size. A broken connection is resumed with a Range request from the last byte
// delivered (or, when the server ignores Range, by skipping what was already delivered).
#pragma once

#include "registry/registry_client.hpp"

#include <ckimg/descriptor.hpp>
#include <ckimg/stream.hpp>

#include <memory>
#include <string>

namespace ckimg::registry {

// The blob's bytes as the registry (or the storage it redirects to) sends them, unverified:
// wrap it in a VerifiedSource. Once the session's cancel token is cancelled (by the caller's, or
// by the session), libcurl's progress callback aborts the transfer and read() throws Cancelled.
// `where` names the source in errors.
std::unique_ptr<ByteSource> download_blob(std::shared_ptr<RegistrySession> session,
                                          const Descriptor& blob, std::string where);

} // namespace ckimg::registry
