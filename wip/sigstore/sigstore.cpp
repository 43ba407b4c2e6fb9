// Sigstore signing and verification over the registry (see include/ckimg/signature.hpp).
#include <ckimg/error.hpp>
#include <ckimg/image.hpp>
#include <ckimg/signature.hpp>
#include <ckimg/source.hpp>

#include "crypto/keys.hpp"
#include "crypto/sigstore_key.hpp"
#include "crypto/sigstore_signature.hpp"
#include "registry/registry_source.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>

namespace ckimg {

namespace {

crypto::Secret passphrase_for(const std::string& file, const std::string& what, bool twice) {
    if (!file.empty()) {
        std::string text = crypto::read_small_file(file, "passphrase file");
        auto newline = text.find('\n');
        if (newline != std::string::npos) text.resize(newline);
        if (!text.empty() && text.back() == '\r') text.pop_back();
        return crypto::Secret(std::move(text));
    }
    crypto::Secret first = crypto::read_passphrase_from_terminal("Passphrase for " + what + ": ");
    if (twice) {
        crypto::Secret again = crypto::read_passphrase_from_terminal("Passphrase again: ");
        if (again.bytes() != first.bytes()) throw UsageError("the passphrases differ");
    }
    return first;
}

// Writes `text` to a new file (never over an existing one), mode `mode`.
void write_new_file(const std::string& path, const std::string& text, mode_t mode) {
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    if (fd < 0) throw IoError(errno_message("cannot create " + path));
    bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
    ok = ::fsync(fd) == 0 && ok;
    ok = ::close(fd) == 0 && ok;
    if (!ok) {
        ::unlink(path.c_str());
        throw IoError(errno_message("cannot write " + path));
    }
}

std::string signed_identity(const Reference& image) {
    Reference named = image;
    named.digest.clear();
    return named.str();
}

// The OCI manifest of a signature tag holding one payload, and its config, as containers/image
// makes them (an image config whose rootfs lists the payloads).
void push_signature(const Reference& image, const Digest& manifest, const std::string& payload,
                    const std::string& signature, const RegistryOptions& registry) {
    Reference attachments = image;
    attachments.digest.clear();
    attachments.tag = crypto::sigstore_attachment_tag(manifest);
    PushOptions options;
    options.registry = registry;
    RegistrySink sink(attachments, options);
    Digest payload_digest = sha256_of(payload);
    nlohmann::json config = {{"architecture", ""},
                             {"os", ""},
                             {"config", nlohmann::json::object()},
                             {"rootfs", {{"type", "layers"}, {"diff_ids", {payload_digest.str()}}}}};
    auto config_descriptor =
        sink.put_blob("application/vnd.oci.image.config.v1+json", config.dump());
    auto layer = sink.put_blob(crypto::kSimpleSigningMediaType, payload);
    layer.annotations[crypto::kCosignSignatureAnnotation] = signature;
    nlohmann::json document = {{"schemaVersion", 2},
                               {"mediaType", "application/vnd.oci.image.manifest.v1+json"},
                               {"config", to_json(config_descriptor)},
                               {"layers", {to_json(layer)}}};
    auto root = sink.put_blob("application/vnd.oci.image.manifest.v1+json", document.dump());
    sink.tag(root, attachments.tag);
}

} // namespace

void generate_sigstore_key(const SigstoreKeyFiles& files, const std::string& passphrase_file) {
    for (const auto& path : {files.private_key, files.public_key})
        if (::access(path.c_str(), F_OK) == 0)
            throw UsageError(path + " exists; ckimg does not overwrite keys");
    auto passphrase = passphrase_for(passphrase_file, "the new key", true);
    auto pair = crypto::generate_sigstore_key(passphrase);
    write_new_file(files.private_key, pair.private_pem, 0600);
    try {
        write_new_file(files.public_key, pair.public_pem, 0644);
    } catch (...) {
        ::unlink(files.private_key.c_str());
        throw;
    }
}

void sign_pushed_image(const Reference& image, const std::vector<Digest>& manifests,
                       const SignOptions& options, const RegistryOptions& registry) {
    crypto::Secret pem(crypto::read_small_file(options.private_key, "sigstore private key"));
    auto passphrase = passphrase_for(options.passphrase_file, options.private_key, false);
    auto key = crypto::load_sigstore_private_key(pem.bytes(), passphrase, options.private_key);
    auto now = std::chrono::duration_cast<std::chrono::seconds>(
                   std::chrono::system_clock::now().time_since_epoch())
                   .count();
    for (const auto& manifest : manifests) {
        auto payload = crypto::sigstore_payload(manifest, signed_identity(image),
                                                std::string("ckimg ") + CKIMG_VERSION, now);
        push_signature(image, manifest, payload, crypto::sign_payload(key.get(), payload),
                       registry);
    }
}

VerifyResult verify_image(const std::string& name, const std::string& public_key,
                          const RegistryOptions& registry) {
    auto key = crypto::load_public_key(public_key);
    Reference image = Reference::parse(name);
    auto source = open_image_source(name, registry);
    VerifyResult result;
    result.reference = image.str();
    result.manifest = source->root().digest;
    Reference attachments = image;
    attachments.digest.clear();
    attachments.tag = crypto::sigstore_attachment_tag(result.manifest);
    std::unique_ptr<ImageSource> signatures;
    try {
        signatures = open_registry_source(attachments, registry, nullptr);
    } catch (const RegistryError& e) {
        if (e.status() != 404) throw;
        throw InputError(image.str() + ": no sigstore signatures (no tag " + attachments.tag + ")");
    }
    auto node = read_manifest(*signatures, signatures->root());
    std::string where = attachments.str();
    std::string rejected;
    for (const auto& layer : node.json.value("layers", nlohmann::json::array())) {
        Descriptor descriptor = descriptor_from_json(layer, where + ": layer");
        if (descriptor.media_type != crypto::kSimpleSigningMediaType) continue;
        ++result.signatures;
        auto signature = descriptor.annotations.find(crypto::kCosignSignatureAnnotation);
        if (signature == descriptor.annotations.end()) continue;
        std::string payload = signatures->read_blob(descriptor, crypto::kMaxSignaturePayload);
        if (!crypto::verify_payload(key.get(), payload, signature->second)) {
            rejected = "not signed by " + public_key;
            continue;
        }
        auto claims = crypto::parse_sigstore_payload(payload, where);
        if (claims.manifest != result.manifest) {
            rejected = "a signature by the key names another manifest, " + claims.manifest.str();
            continue;
        }
        Reference named = Reference::parse(claims.docker_reference);
        bool same_repository =
            named.registry == image.registry && named.repository == image.repository;
        bool tag_matches = image.tag.empty() || !image.digest.empty() || named.tag == image.tag;
        if (!same_repository || !tag_matches) {
            rejected = "a signature by the key is for " + claims.docker_reference;
            continue;
        }
        result.identity = claims.docker_reference;
        return result;
    }
    throw InputError(image.str() + ": no valid sigstore signature by " + public_key +
                     (rejected.empty() ? "" : " (" + rejected + ")"));
}

} // namespace ckimg
