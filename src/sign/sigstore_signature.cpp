#include "sign/sigstore_signature.hpp"

#include <ckimg/error.hpp>

#include <nlohmann/json.hpp>
#include <openssl/err.h>

namespace ckimg::crypto {

std::string sigstore_payload(const Digest& manifest, const std::string& docker_reference,
                             const std::string& creator, std::int64_t timestamp) {
    // Go marshals maps with sorted keys; nlohmann::json's objects are sorted too.
    nlohmann::json payload = {{"critical",
                               {{"identity", {{"docker-reference", docker_reference}}},
                                {"image", {{"docker-manifest-digest", manifest.str()}}},
                                {"type", kCosignSignatureType}}},
                              {"optional", {{"creator", creator}, {"timestamp", timestamp}}}};
    return payload.dump();
}

namespace {

const nlohmann::json& exact_object(const nlohmann::json& parent, const char* name,
                                   std::initializer_list<const char*> fields,
                                   const std::string& where) {
    auto it = parent.find(name);
    if (it == parent.end() || !it->is_object())
        throw InputError(where + ": signature payload lacks \"" + name + "\"");
    if (it->size() != fields.size())
        throw InputError(where + ": signature payload \"" + name + "\" has unexpected fields");
    for (const char* field : fields)
        if (!it->contains(field))
            throw InputError(where + ": signature payload \"" + name + "\" lacks \"" + field +
                             "\"");
    return *it;
}

std::string text(const nlohmann::json& object, const char* name, const std::string& where) {
    const auto& value = object.at(name);
    if (!value.is_string())
        throw InputError(where + ": signature payload \"" + name + "\" is not a string");
    return value.get<std::string>();
}

} // namespace

SignedClaims parse_sigstore_payload(const std::string& payload, const std::string& where) {
    auto j = nlohmann::json::parse(payload, nullptr, false);
    if (!j.is_object()) throw InputError(where + ": signature payload is not a JSON object");
    const auto& critical = exact_object(j, "critical", {"type", "image", "identity"}, where);
    if (text(critical, "type", where) != kCosignSignatureType)
        throw InputError(where + ": signature payload type is not \"" +
                         std::string(kCosignSignatureType) + "\"");
    const auto& image = exact_object(critical, "image", {"docker-manifest-digest"}, where);
    const auto& identity = exact_object(critical, "identity", {"docker-reference"}, where);
    SignedClaims claims;
    try {
        claims.manifest = Digest::parse(text(image, "docker-manifest-digest", where));
    } catch (const InputError& e) {
        throw InputError(where + ": signature payload: " + e.what());
    }
    claims.docker_reference = text(identity, "docker-reference", where);
    return claims;
}

std::string sign_payload(const EVP_PKEY* key, const std::string& payload) {
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
    std::size_t size = 0;
    if (!ctx ||
        EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, const_cast<EVP_PKEY*>(key)) !=
            1 ||
        EVP_DigestSign(ctx.get(), nullptr, &size,
                       reinterpret_cast<const unsigned char*>(payload.data()), payload.size()) != 1)
        throw_openssl("signing");
    std::string signature(size, '\0');
    if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()), &size,
                       reinterpret_cast<const unsigned char*>(payload.data()), payload.size()) != 1)
        throw_openssl("signing");
    signature.resize(size);
    return base64_encode(signature);
}

bool verify_payload(const EVP_PKEY* key, const std::string& payload,
                    const std::string& base64_signature) {
    std::string signature;
    if (!base64_decode(base64_signature, signature)) return false;
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
    bool ok =
        ctx &&
        EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr,
                             const_cast<EVP_PKEY*>(key)) == 1 &&
        EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()),
                         signature.size(), reinterpret_cast<const unsigned char*>(payload.data()),
                         payload.size()) == 1;
    ERR_clear_error();
    return ok;
}

std::string sigstore_attachment_tag(const Digest& manifest) {
    return manifest.algorithm() + "-" + manifest.hex() + ".sig";
}

} // namespace ckimg::crypto
