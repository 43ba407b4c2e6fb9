#include "crypto/layer_encryption.hpp"

#include "crypto/jwe.hpp"
#include "crypto/pkcs7.hpp"

#include <ckimg/error.hpp>

#include <nlohmann/json.hpp>

namespace ckimg::crypto {

namespace {

const std::string& annotation(const Descriptor& d, const char* name, std::size_t limit,
                              const std::string& layer) {
    auto it = d.annotations.find(name);
    if (it == d.annotations.end() || it->second.empty())
        throw InputError(layer + ": encrypted layer lacks the annotation " + name);
    if (it->second.size() > limit)
        throw InputError(layer + ": annotation " + name + " has " +
                         std::to_string(it->second.size()) + " bytes, over the limit of " +
                         std::to_string(limit));
    return it->second;
}

std::vector<std::string> split_commas(const std::string& text) {
    std::vector<std::string> out;
    std::size_t start = 0;
    while (true) {
        auto comma = text.find(',', start);
        out.push_back(text.substr(start, comma - start));
        if (comma == std::string::npos) return out;
        start = comma + 1;
    }
}

std::string decode_b64(const std::string& text, const std::string& what, const std::string& layer) {
    std::string out;
    if (!base64_decode(text, out)) throw InputError(layer + ": " + what + " is not base64");
    return out;
}

// Go encodes a []byte field as base64 and decodes null as empty.
std::string bytes_field(const nlohmann::json& object, const char* name, const std::string& what,
                        const std::string& layer) {
    auto it = object.find(name);
    if (it == object.end() || it->is_null()) return {};
    if (!it->is_string())
        throw InputError(layer + ": " + what + " \"" + name + "\" is not a string");
    return decode_b64(it->get<std::string>(), what + " \"" + name + "\"", layer);
}

struct PublicOptions {
    std::string cipher;
    std::string hmac;
    std::string nonce; // ocicrypt looks a cipher option up in the public options first
};

PublicOptions parse_public_options(const Descriptor& d, const std::string& layer) {
    std::string text = decode_b64(annotation(d, kPubOptsAnnotation, kMaxPubOptsAnnotation, layer),
                                  kPubOptsAnnotation, layer);
    auto j = nlohmann::json::parse(text, nullptr, false);
    if (!j.is_object()) throw InputError(layer + ": pubopts is not a JSON object");
    PublicOptions out;
    auto cipher = j.find("cipher");
    if (cipher == j.end() || !cipher->is_string())
        throw InputError(layer + ": pubopts names no cipher");
    out.cipher = cipher->get<std::string>();
    if (out.cipher != kLayerCipher)
        throw InputError(layer + ": unknown layer cipher \"" + out.cipher.substr(0, 40) +
                         "\" (ckimg knows " + kLayerCipher + ")");
    out.hmac = bytes_field(j, "hmac", "pubopts", layer);
    auto options = j.find("cipheroptions");
    if (options != j.end() && options->is_object())
        out.nonce = bytes_field(*options, "nonce", "pubopts cipheroptions", layer);
    return out;
}

UnwrappedLayer parse_private_options(const Secret& text, const PublicOptions& pub,
                                     const std::string& layer) {
    auto j = nlohmann::json::parse(text.bytes(), nullptr, false);
    if (!j.is_object()) throw InputError(layer + ": decrypted layer options are not JSON");
    UnwrappedLayer out;
    out.secrets.key = Secret(bytes_field(j, "symkey", "layer options", layer));
    out.secrets.hmac = pub.hmac;
    out.secrets.nonce = pub.nonce;
    auto options = j.find("cipheroptions");
    if (out.secrets.nonce.empty() && options != j.end() && options->is_object())
        out.secrets.nonce = bytes_field(*options, "nonce", "layer options", layer);
    if (out.secrets.key.size() != kLayerKeySize || out.secrets.nonce.size() != kLayerNonceSize)
        throw InputError(layer + ": layer options hold no valid key and nonce");
    auto digest = j.find("digest");
    if (digest == j.end() || !digest->is_string())
        throw InputError(layer + ": layer options lack the digest of the unencrypted layer");
    try {
        out.plain_digest = Digest::parse(digest->get<std::string>());
    } catch (const InputError& e) {
        throw InputError(layer + ": layer options: " + e.what());
    }
    return out;
}

enum class Wrapper { jwe, pkcs7 };

// The wrapped private options of each scheme the layer has (JWE first, then PKCS7), decoded,
// in the annotations' order.
std::vector<std::pair<Wrapper, std::string>> wrapped_keys(const Descriptor& d,
                                                          const std::string& layer) {
    std::vector<std::pair<Wrapper, std::string>> out;
    for (auto [wrapper, name] : {std::pair{Wrapper::jwe, kKeysJweAnnotation},
                                 std::pair{Wrapper::pkcs7, kKeysPkcs7Annotation}}) {
        if (d.annotations.count(name) == 0) continue;
        for (const std::string& part : split_commas(annotation(d, name, kMaxKeysAnnotation, layer)))
            out.emplace_back(wrapper, decode_b64(part, name, layer));
    }
    if (out.empty())
        throw InputError(layer + ": encrypted layer lacks the annotation " + kKeysJweAnnotation +
                         " (or " + kKeysPkcs7Annotation + ")");
    return out;
}

} // namespace

std::string private_options_json(const LayerSecrets& secrets, const Digest& plain_digest) {
    nlohmann::ordered_json j;
    j["symkey"] = base64_encode(secrets.key.bytes());
    j["digest"] = plain_digest.str();
    j["cipheroptions"] = {{"nonce", base64_encode(secrets.nonce)}};
    return j.dump();
}

std::string public_options_json(const LayerSecrets& secrets) {
    nlohmann::ordered_json j;
    j["cipher"] = kLayerCipher;
    j["hmac"] = base64_encode(secrets.hmac);
    j["cipheroptions"] = nlohmann::ordered_json::object();
    return j.dump();
}

Annotations encryption_annotations(const LayerSecrets& secrets, const Digest& plain_digest,
                                   const Recipients& recipients) {
    Secret private_options(private_options_json(secrets, plain_digest));
    Annotations out;
    if (!recipients.jwe.empty())
        out[kKeysJweAnnotation] =
            base64_encode(jwe_encrypt(private_options.bytes(), recipients.jwe));
    if (!recipients.pkcs7.empty())
        out[kKeysPkcs7Annotation] =
            base64_encode(pkcs7_encrypt(private_options.bytes(), recipients.pkcs7));
    out[kPubOptsAnnotation] = base64_encode(public_options_json(secrets));
    return out;
}

Annotations without_encryption_annotations(const Annotations& annotations) {
    Annotations out;
    for (const auto& [key, value] : annotations)
        if (key.rfind(kEncryptionAnnotationPrefix, 0) != 0) out.emplace(key, value);
    return out;
}

UnwrappedLayer unwrap_layer(const Descriptor& d, const std::vector<PrivateKey>& keys,
                            const std::string& layer) {
    PublicOptions pub = parse_public_options(d, layer);
    auto wrapped = wrapped_keys(d, layer);
    if (keys.empty()) throw InputError(layer + ": the layer is encrypted; give --decryption-key");
    for (const auto& [wrapper, blob] : wrapped)
        for (const auto& key : keys) {
            auto options = wrapper == Wrapper::jwe ? jwe_decrypt(blob, key.key.get(), layer)
                                                   : pkcs7_decrypt(blob, key.key.get(), layer);
            if (options) return parse_private_options(*options, pub, layer);
        }
    std::string names;
    for (const auto& key : keys)
        names += (names.empty() ? "" : ", ") + key.path;
    throw InputError(layer + ": none of the decryption keys (" + names +
                     ") is a recipient of the layer");
}

EncryptionSummary summarize_encryption(const Descriptor& d, const std::string& layer) {
    EncryptionSummary out;
    out.cipher = parse_public_options(d, layer).cipher;
    for (const auto& [wrapper, blob] : wrapped_keys(d, layer)) {
        auto lines =
            wrapper == Wrapper::jwe ? jwe_recipients(blob, layer) : pkcs7_recipients(blob, layer);
        out.recipients.insert(out.recipients.end(), lines.begin(), lines.end());
    }
    return out;
}

} // namespace ckimg::crypto
