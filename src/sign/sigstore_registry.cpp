// Sigstore signatures in a registry (include/ckimg/signature.hpp): the "sha256-<hex>.sig" tag.
#include <ckimg/error.hpp>
#include <ckimg/signature.hpp>
#include <ckimg/source.hpp>
#include <ckimg/transport.hpp>

#include "crypto/keys.hpp"
#include "registry/registry_source.hpp"
#include "sign/sigstore_key.hpp"
#include "sign/sigstore_signature.hpp"

#include <nlohmann/json.hpp>

#include <chrono>

namespace ckimg {

namespace {

crypto::Secret passphrase_from(const std::string& file) {
    if (file.empty()) return crypto::read_passphrase_from_terminal("Passphrase for the key: ");
    std::string text = crypto::read_small_file(file, "passphrase file");
    auto newline = text.find('\n');
    if (newline != std::string::npos) text.resize(newline);
    if (!text.empty() && text.back() == '\r') text.pop_back();
    return crypto::Secret(std::move(text));
}

Reference signature_reference(const Reference& image, const Digest& manifest) {
    Reference out = image;
    out.digest.clear();
    out.tag = crypto::sigstore_attachment_tag(manifest);
    return out;
}

// The signature layers already under the tag (none when the tag does not exist), with the
// source that holds their blobs.
struct Existing {
    std::unique_ptr<ImageSource> source;
    std::vector<Descriptor> layers;
};

Existing existing_signatures(const Reference& tag, const RegistryOptions& registry,
                             const Context& context) {
    Existing out;
    try {
        out.source = open_registry_source(tag, registry, context);
    } catch (const RegistryError& e) {
        if (e.status() != 404) throw;
        return out;
    }
    auto node = read_manifest(*out.source, out.source->root());
    for (const auto& layer : node.json.value("layers", nlohmann::json::array()))
        out.layers.push_back(descriptor_from_json(layer, tag.str() + ": layer"));
    return out;
}

} // namespace

std::string sigstore_signature_tag(const Digest& manifest) {
    return crypto::sigstore_attachment_tag(manifest);
}

namespace {

// Adds the signature of `manifest` by `key` to its tag, keeping the signatures there.
void add_signature(const Reference& image, const Digest& manifest, const EVP_PKEY* key,
                   std::int64_t now, const RegistryOptions& registry, const Context& context) {
    Reference identity = image;
    identity.digest.clear();
    std::string payload = crypto::sigstore_payload(manifest, identity.str(),
                                                   std::string("ckimg ") + CKIMG_VERSION, now);
    std::string signature = crypto::sign_payload(key, payload);

    Reference tag = signature_reference(image, manifest);
    Existing existing = existing_signatures(tag, registry, context);
    RegistrySink sink(tag, registry, context);
    nlohmann::json layers = nlohmann::json::array();
    nlohmann::json diff_ids = nlohmann::json::array();
    for (const auto& layer : existing.layers) {
        // Kept as they are: the blob copied over in case this repository lacks it.
        sink.put_blob(layer.media_type,
                      existing.source->read_blob(layer, crypto::kMaxSignaturePayload));
        layers.push_back(to_json(layer));
        diff_ids.push_back(layer.digest.str());
    }
    auto layer = sink.put_blob(crypto::kSimpleSigningMediaType, payload);
    layer.annotations[crypto::kCosignSignatureAnnotation] = signature;
    layers.push_back(to_json(layer));
    diff_ids.push_back(layer.digest.str());
    nlohmann::json config = {{"architecture", ""},
                             {"os", ""},
                             {"config", nlohmann::json::object()},
                             {"rootfs", {{"type", "layers"}, {"diff_ids", diff_ids}}}};
    auto config_descriptor =
        sink.put_blob("application/vnd.oci.image.config.v1+json", config.dump());
    nlohmann::json document = {{"schemaVersion", 2},
                               {"mediaType", "application/vnd.oci.image.manifest.v1+json"},
                               {"config", to_json(config_descriptor)},
                               {"layers", layers}};
    auto root = sink.put_blob("application/vnd.oci.image.manifest.v1+json", document.dump());
    sink.tag(root, tag.tag);
}

} // namespace

void sign_image(const Reference& image, const Digest& manifest, const std::string& private_key,
                const std::string& passphrase_file, const RegistryOptions& registry,
                const Context& context) {
    std::string pem = crypto::read_small_file(private_key, "sigstore private key");
    auto key =
        crypto::load_sigstore_private_key(pem, passphrase_from(passphrase_file), private_key);
    auto now = std::chrono::duration_cast<std::chrono::seconds>(
                   std::chrono::system_clock::now().time_since_epoch())
                   .count();
    // An index and each manifest it lists: containers/image checks the signature of the index
    // and then of the instance it copies (skopeo 1.18 refuses an instance without one).
    Reference pushed = image;
    pushed.digest = manifest.str();
    auto source = open_registry_source(pushed, registry, context);
    for (const auto& node : read_image_graph(*source).manifests)
        add_signature(image, node.descriptor.digest, key.get(), now, registry, context);
}

VerifyResult verify_manifest_signature(const Reference& image, const Digest& manifest,
                                       const std::string& public_key,
                                       const RegistryOptions& registry, const Context& context) {
    auto key = crypto::load_public_key(public_key);
    VerifyResult result;
    result.reference = image.str();
    result.manifest = manifest;
    Reference tag = signature_reference(image, result.manifest);
    Existing existing = existing_signatures(tag, registry, context);
    if (!existing.source)
        throw InputError(image.str() + ": no sigstore signatures (no tag " + tag.tag + ")");
    std::string where = tag.str();
    std::string rejected;
    for (const auto& layer : existing.layers) {
        if (layer.media_type != crypto::kSimpleSigningMediaType) continue;
        ++result.signatures;
        auto signature = layer.annotations.find(crypto::kCosignSignatureAnnotation);
        if (signature == layer.annotations.end()) continue;
        std::string payload;
        try {
            payload = existing.source->read_blob(layer, crypto::kMaxSignaturePayload);
        } catch (const Error& e) {
            rejected = e.what();
            continue;
        }
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
        bool tag_matches = image.tag.empty() || named.tag == image.tag;
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

VerifyResult verify_image(const std::string& name, const std::string& public_key,
                          const RegistryOptions& registry, const Context& context) {
    std::string bare = name.rfind("docker://", 0) == 0 ? name.substr(9) : name;
    Reference image = Reference::parse(bare);
    auto source = open_registry_source(image, registry, context);
    return verify_manifest_signature(image, source->root().digest, public_key, registry, context);
}

void verify_source_signature(const std::string& name, ImageSource& source,
                             const std::string& public_key, const RegistryOptions& registry,
                             const Context& context) {
    if (public_key.empty()) return;
    if (is_local_target(name))
        throw UsageError("--verify-key checks the signatures a registry holds; " + name +
                         " is not a registry image");
    std::string bare = name.rfind("docker://", 0) == 0 ? name.substr(9) : name;
    verify_manifest_signature(Reference::parse(bare), source.root().digest, public_key, registry,
                              context);
}

} // namespace ckimg
