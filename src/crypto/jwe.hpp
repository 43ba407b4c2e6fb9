// JWE (RFC 7516) as ocicrypt's "jwe" key wrapper uses it through go-jose: the private layer
// options encrypted with A256GCM under a random content key, that key wrapped for each recipient
// with RSA-OAEP (SHA-1, as go-jose's RSA_OAEP) or ECDH-ES+A256KW (EC keys), and the JSON
// serialization go-jose's FullSerialize writes: flattened for one recipient, general for more.
#pragma once

#include "crypto/openssl_util.hpp"

#include <optional>
#include <string>
#include <vector>

namespace ckimg::crypto {

// Encrypts `plaintext` to every key in `recipients` (RSA or EC public keys), one JWE object.
std::string jwe_encrypt(const std::string& plaintext,
                        const std::vector<const EVP_PKEY*>& recipients);

// Decrypts with `key`; nullopt when no recipient of the object can be opened with it. A JWE
// that is malformed or uses algorithms ocicrypt never writes is an InputError naming `where`.
std::optional<Secret> jwe_decrypt(const std::string& jwe, const EVP_PKEY* key,
                                  const std::string& where);

// One line per recipient ("RSA-OAEP", "ECDH-ES+A256KW P-256"), for inspect; no key is needed.
std::vector<std::string> jwe_recipients(const std::string& jwe, const std::string& where);

// Exposed for known-answer tests: NIST SP 800-56A Concat KDF with SHA-256 as RFC 7518 §4.6.2
// uses it, and RFC 3394 AES key wrap.
std::string concat_kdf_sha256(const std::string& z, const std::string& algorithm,
                              const std::string& apu, const std::string& apv, std::size_t size);
std::string aes_key_wrap(const std::string& kek, const std::string& key);
// nullopt when the integrity check fails (wrong key-encryption key).
std::optional<std::string> aes_key_unwrap(const std::string& kek, const std::string& wrapped);

} // namespace ckimg::crypto
