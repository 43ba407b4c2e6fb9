// The public face of src/sign (include/ckimg/signature.hpp).
#include <ckimg/signature.hpp>

#include "crypto/keys.hpp"
#include "sign/sigstore_key.hpp"
#include "sign/sigstore_signature.hpp"

namespace ckimg {

SigstoreKeyPair generate_sigstore_key_pair(const std::string& passphrase) {
    auto pair = crypto::generate_sigstore_key(crypto::Secret(passphrase));
    return {pair.private_pem, pair.public_pem};
}

std::string sigstore_payload(const Digest& manifest, const std::string& docker_reference,
                             const std::string& creator, std::int64_t timestamp) {
    return crypto::sigstore_payload(manifest, docker_reference, creator, timestamp);
}

std::string sign_sigstore_payload(const std::string& private_pem, const std::string& passphrase,
                                  const std::string& key_name, const std::string& payload) {
    auto key = crypto::load_sigstore_private_key(private_pem, crypto::Secret(passphrase), key_name);
    return crypto::sign_payload(key.get(), payload);
}

bool verify_sigstore_payload(const std::string& public_pem, const std::string& payload,
                             const std::string& signature) {
    auto key = crypto::parse_public_key(public_pem, "sigstore public key");
    return crypto::verify_payload(key.get(), payload, signature);
}

} // namespace ckimg
