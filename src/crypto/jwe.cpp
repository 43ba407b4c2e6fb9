#include "crypto/jwe.hpp"

#include <ckimg/error.hpp>

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/params.h>
#include <openssl/rsa.h>

#include <nlohmann/json.hpp>

#include <climits>

namespace ckimg::crypto {

namespace {

using ordered = nlohmann::ordered_json;
using nlohmann::json;

constexpr std::size_t kMaxRecipients = 64;

std::string be32(std::uint32_t v) {
    return {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8),
            static_cast<char>(v)};
}

std::string length_prefixed(const std::string& data) {
    return be32(static_cast<std::uint32_t>(data.size())) + data;
}

const unsigned char* bytes(const std::string& s) {
    return reinterpret_cast<const unsigned char*>(s.data());
}
unsigned char* bytes(std::string& s) {
    return reinterpret_cast<unsigned char*>(s.data());
}

const EVP_CIPHER* key_wrap_cipher(std::size_t size) {
    switch (size) {
    case 16:
        return EVP_aes_128_wrap();
    case 24:
        return EVP_aes_192_wrap();
    case 32:
        return EVP_aes_256_wrap();
    default:
        return nullptr;
    }
}

// AES-KW in either direction; nullopt when unwrapping fails its integrity check.
std::optional<std::string> key_wrap(const std::string& kek, const std::string& in, bool wrap) {
    const EVP_CIPHER* cipher = key_wrap_cipher(kek.size());
    if (cipher == nullptr || in.size() % 8 != 0 || in.size() < (wrap ? 16u : 24u) ||
        in.size() > 4096)
        return std::nullopt;
    CipherCtx ctx(EVP_CIPHER_CTX_new());
    if (!ctx) throw_openssl("AES key wrap");
    EVP_CIPHER_CTX_set_flags(ctx.get(), EVP_CIPHER_CTX_FLAG_WRAP_ALLOW);
    std::string out(in.size() + 8, '\0');
    int n = 0;
    int m = 0;
    bool ok =
        EVP_CipherInit_ex(ctx.get(), cipher, nullptr, bytes(kek), nullptr, wrap ? 1 : 0) == 1 &&
        EVP_CipherUpdate(ctx.get(), bytes(out), &n, bytes(in), static_cast<int>(in.size())) == 1 &&
        EVP_CipherFinal_ex(ctx.get(), bytes(out) + n, &m) == 1;
    ERR_clear_error();
    if (!ok) return std::nullopt;
    out.resize(static_cast<std::size_t>(n) + static_cast<std::size_t>(m));
    return out;
}

struct GcmParts {
    std::string iv, ciphertext, tag;
};

const EVP_CIPHER* gcm_cipher(const std::string& enc) {
    if (enc == "A256GCM") return EVP_aes_256_gcm();
    if (enc == "A192GCM") return EVP_aes_192_gcm();
    if (enc == "A128GCM") return EVP_aes_128_gcm();
    return nullptr;
}

GcmParts gcm_encrypt(const Secret& cek, const std::string& aad, const std::string& plaintext) {
    GcmParts parts{random_bytes(12), std::string(plaintext.size(), '\0'), std::string(16, '\0')};
    CipherCtx ctx(EVP_CIPHER_CTX_new());
    int n = 0;
    int m = 0;
    if (!ctx || plaintext.size() > INT_MAX ||
        EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, cek.data(), bytes(parts.iv)) !=
            1 ||
        EVP_EncryptUpdate(ctx.get(), nullptr, &n, bytes(aad), static_cast<int>(aad.size())) != 1 ||
        EVP_EncryptUpdate(ctx.get(), bytes(parts.ciphertext), &n, bytes(plaintext),
                          static_cast<int>(plaintext.size())) != 1 ||
        EVP_EncryptFinal_ex(ctx.get(), bytes(parts.ciphertext) + n, &m) != 1 ||
        EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, 16, bytes(parts.tag)) != 1)
        throw_openssl("A256GCM");
    return parts;
}

std::optional<Secret> gcm_decrypt(const std::string& enc, const Secret& cek, const std::string& aad,
                                  const GcmParts& parts) {
    const EVP_CIPHER* cipher = gcm_cipher(enc);
    if (cipher == nullptr ||
        cek.size() != static_cast<std::size_t>(EVP_CIPHER_key_length(cipher)) ||
        parts.iv.size() != 12 || parts.tag.size() != 16)
        return std::nullopt;
    Secret plain(std::string(parts.ciphertext.size(), '\0'));
    CipherCtx ctx(EVP_CIPHER_CTX_new());
    int n = 0;
    int m = 0;
    std::string tag = parts.tag;
    bool ok =
        ctx && EVP_DecryptInit_ex(ctx.get(), cipher, nullptr, cek.data(), bytes(parts.iv)) == 1 &&
        EVP_DecryptUpdate(ctx.get(), nullptr, &n, bytes(aad), static_cast<int>(aad.size())) == 1 &&
        EVP_DecryptUpdate(ctx.get(), bytes(plain.bytes()), &n, bytes(parts.ciphertext),
                          static_cast<int>(parts.ciphertext.size())) == 1 &&
        EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, 16, bytes(tag)) == 1 &&
        EVP_DecryptFinal_ex(ctx.get(), bytes(plain.bytes()) + n, &m) == 1;
    ERR_clear_error();
    if (!ok) return std::nullopt;
    return plain;
}

// ---- RSA-OAEP ----

void set_oaep(EVP_PKEY_CTX* ctx, const EVP_MD* md) {
    if (EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_OAEP_PADDING) <= 0 ||
        EVP_PKEY_CTX_set_rsa_oaep_md(ctx, md) <= 0 || EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, md) <= 0)
        throw_openssl("RSA-OAEP");
}

std::string rsa_oaep_encrypt(const EVP_PKEY* key, const Secret& cek) {
    PkeyCtx ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, const_cast<EVP_PKEY*>(key), nullptr));
    if (!ctx || EVP_PKEY_encrypt_init(ctx.get()) <= 0) throw_openssl("RSA-OAEP");
    set_oaep(ctx.get(), EVP_sha1());
    std::size_t size = 0;
    if (EVP_PKEY_encrypt(ctx.get(), nullptr, &size, cek.data(), cek.size()) <= 0)
        throw_openssl("RSA-OAEP");
    std::string out(size, '\0');
    if (EVP_PKEY_encrypt(ctx.get(), bytes(out), &size, cek.data(), cek.size()) <= 0)
        throw_openssl("RSA-OAEP");
    out.resize(size);
    return out;
}

std::optional<Secret> rsa_oaep_decrypt(const EVP_PKEY* key, const EVP_MD* md,
                                       const std::string& wrapped) {
    PkeyCtx ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, const_cast<EVP_PKEY*>(key), nullptr));
    if (!ctx || EVP_PKEY_decrypt_init(ctx.get()) <= 0) throw_openssl("RSA-OAEP");
    set_oaep(ctx.get(), md);
    Secret out(std::string(static_cast<std::size_t>(EVP_PKEY_get_size(key)), '\0'));
    std::size_t size = out.size();
    bool ok =
        EVP_PKEY_decrypt(ctx.get(), bytes(out.bytes()), &size, bytes(wrapped), wrapped.size()) > 0;
    ERR_clear_error();
    if (!ok) return std::nullopt;
    out.bytes().resize(size);
    return out;
}

// ---- ECDH-ES ----

std::string curve_of(const EVP_PKEY* key) {
    char name[64] = {};
    std::size_t length = 0;
    if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, name, sizeof name,
                                       &length) != 1)
        throw_openssl("EC key curve");
    std::string group(name, length);
    if (group == "prime256v1" || group == "P-256") return "P-256";
    if (group == "secp384r1" || group == "P-384") return "P-384";
    if (group == "secp521r1" || group == "P-521") return "P-521";
    throw InputError("EC key on curve " + group + ": JWE supports P-256, P-384 and P-521");
}

std::size_t coordinate_size(const std::string& crv) {
    return crv == "P-256" ? 32 : crv == "P-384" ? 48 : 66;
}

std::string group_name(const std::string& crv) {
    return crv == "P-256" ? "prime256v1" : crv == "P-384" ? "secp384r1" : "secp521r1";
}

std::string coordinate(const EVP_PKEY* key, const char* param, std::size_t size) {
    BIGNUM* bn = nullptr;
    if (EVP_PKEY_get_bn_param(key, param, &bn) != 1) throw_openssl("EC key coordinate");
    std::string out(size, '\0');
    int ok = BN_bn2binpad(bn, bytes(out), static_cast<int>(size));
    BN_free(bn);
    if (ok < 0) throw_openssl("EC key coordinate");
    return out;
}

ordered epk_of(const EVP_PKEY* key) {
    std::string crv = curve_of(key);
    std::size_t size = coordinate_size(crv);
    ordered jwk;
    jwk["kty"] = "EC";
    jwk["crv"] = crv;
    jwk["x"] = base64url_encode(coordinate(key, OSSL_PKEY_PARAM_EC_PUB_X, size));
    jwk["y"] = base64url_encode(coordinate(key, OSSL_PKEY_PARAM_EC_PUB_Y, size));
    return jwk;
}

Pkey ec_key_from_jwk(const json& jwk, const std::string& where) {
    auto field = [&](const char* name) -> std::string {
        auto it = jwk.find(name);
        if (it == jwk.end() || !it->is_string())
            throw InputError(where + ": JWE epk lacks \"" + name + "\"");
        return it->get<std::string>();
    };
    if (!jwk.is_object() || field("kty") != "EC")
        throw InputError(where + ": JWE epk is not an EC key");
    std::string crv = field("crv");
    if (crv != "P-256" && crv != "P-384" && crv != "P-521")
        throw InputError(where + ": JWE epk curve \"" + crv.substr(0, 20) + "\" is not supported");
    std::string x;
    std::string y;
    std::size_t size = coordinate_size(crv);
    if (!base64url_decode(field("x"), x) || !base64url_decode(field("y"), y) || x.size() != size ||
        y.size() != size)
        throw InputError(where + ": JWE epk coordinates are malformed");
    std::string point = "\x04" + x + y;
    std::string group = group_name(crv);
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, group.data(), 0),
        OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size()),
        OSSL_PARAM_construct_end()};
    PkeyCtx ctx(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
    EVP_PKEY* raw = nullptr;
    if (!ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
        EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params) != 1) {
        ERR_clear_error();
        throw InputError(where + ": JWE epk is not a point on " + crv);
    }
    Pkey key(raw);
    PkeyCtx check(EVP_PKEY_CTX_new_from_pkey(nullptr, key.get(), nullptr));
    if (!check || EVP_PKEY_public_check(check.get()) != 1) {
        ERR_clear_error();
        throw InputError(where + ": JWE epk is not a point on " + crv);
    }
    return key;
}

Secret ecdh(const EVP_PKEY* mine, const EVP_PKEY* peer) {
    PkeyCtx ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, const_cast<EVP_PKEY*>(mine), nullptr));
    std::size_t size = 0;
    if (!ctx || EVP_PKEY_derive_init(ctx.get()) != 1 ||
        EVP_PKEY_derive_set_peer(ctx.get(), const_cast<EVP_PKEY*>(peer)) != 1 ||
        EVP_PKEY_derive(ctx.get(), nullptr, &size) != 1)
        throw_openssl("ECDH");
    Secret z(std::string(size, '\0'));
    if (EVP_PKEY_derive(ctx.get(), bytes(z.bytes()), &size) != 1) throw_openssl("ECDH");
    z.bytes().resize(size);
    return z;
}

Pkey ephemeral_key_like(const EVP_PKEY* peer) {
    std::string group = group_name(curve_of(peer));
    EVP_PKEY* raw = EVP_EC_gen(group.c_str());
    if (raw == nullptr) throw_openssl("EC key generation");
    return Pkey(raw);
}

struct Wrapped {
    ordered header;
    std::string encrypted_key;
};

Wrapped wrap_for(const EVP_PKEY* key, const Secret& cek) {
    Wrapped out;
    if (EVP_PKEY_is_a(key, "RSA")) {
        out.header["alg"] = "RSA-OAEP";
        out.encrypted_key = rsa_oaep_encrypt(key, cek);
        return out;
    }
    if (!EVP_PKEY_is_a(key, "EC")) throw InputError("JWE recipients must be RSA or EC keys");
    Pkey ephemeral = ephemeral_key_like(key);
    Secret z = ecdh(ephemeral.get(), key);
    Secret kek(concat_kdf_sha256(z.bytes(), "ECDH-ES+A256KW", "", "", 32));
    out.header["alg"] = "ECDH-ES+A256KW";
    out.header["epk"] = epk_of(ephemeral.get());
    out.encrypted_key = *key_wrap(kek.bytes(), cek.bytes(), true);
    return out;
}

std::string b64field(const json& object, const char* name, const std::string& where,
                     bool required) {
    auto it = object.find(name);
    if (it == object.end()) {
        if (required) throw InputError(where + ": JWE lacks \"" + name + "\"");
        return {};
    }
    std::string out;
    if (!it->is_string() || !base64url_decode(it->get<std::string>(), out))
        throw InputError(where + ": JWE \"" + name + "\" is not base64url");
    return out;
}

struct Parsed {
    json protected_header;
    std::string protected_b64;
    json unprotected;
    std::vector<std::pair<json, std::string>> recipients; // header, encrypted key
    std::string aad;                                      // as additional authenticated data
    GcmParts parts;
};

json object_or_empty(const json& j, const char* name, const std::string& where) {
    auto it = j.find(name);
    if (it == j.end()) return json::object();
    if (!it->is_object()) throw InputError(where + ": JWE \"" + name + "\" is not an object");
    return *it;
}

Parsed parse(const std::string& text, const std::string& where) {
    json j = json::parse(text, nullptr, false);
    if (!j.is_object()) throw InputError(where + ": JWE is not a JSON object");
    Parsed p;
    auto prot = j.find("protected");
    if (prot != j.end()) {
        std::string decoded;
        if (!prot->is_string() || !base64url_decode(prot->get<std::string>(), decoded))
            throw InputError(where + ": JWE \"protected\" is not base64url");
        p.protected_b64 = prot->get<std::string>();
        p.protected_header = json::parse(decoded, nullptr, false);
        if (!p.protected_header.is_object())
            throw InputError(where + ": JWE protected header is not a JSON object");
    } else {
        p.protected_header = json::object();
    }
    p.unprotected = object_or_empty(j, "unprotected", where);
    auto recipients = j.find("recipients");
    if (recipients != j.end() && recipients->is_array() && !recipients->empty()) {
        if (recipients->size() > kMaxRecipients)
            throw InputError(where + ": JWE has over " + std::to_string(kMaxRecipients) +
                             " recipients");
        for (const auto& r : *recipients) {
            if (!r.is_object()) throw InputError(where + ": JWE recipient is not an object");
            p.recipients.emplace_back(object_or_empty(r, "header", where),
                                      b64field(r, "encrypted_key", where, false));
        }
    } else {
        p.recipients.emplace_back(object_or_empty(j, "header", where),
                                  b64field(j, "encrypted_key", where, false));
    }
    p.aad = p.protected_b64;
    if (j.contains("aad")) {
        if (!j["aad"].is_string()) throw InputError(where + ": JWE \"aad\" is not a string");
        p.aad += '.'; // in two steps: see jwe_recipients on GCC 12's -Wrestrict
        p.aad += j["aad"].get<std::string>();
    }
    p.parts.iv = b64field(j, "iv", where, true);
    p.parts.ciphertext = b64field(j, "ciphertext", where, true);
    p.parts.tag = b64field(j, "tag", where, true);
    return p;
}

json merged(const Parsed& p, const json& recipient_header) {
    json out = p.protected_header;
    for (const auto& [k, v] : p.unprotected.items())
        out[k] = v;
    for (const auto& [k, v] : recipient_header.items())
        out[k] = v;
    return out;
}

std::string string_of(const json& header, const char* name) {
    auto it = header.find(name);
    return it != header.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::optional<Secret> unwrap(const json& header, const std::string& encrypted_key,
                             const EVP_PKEY* key, const std::string& where) {
    std::string alg = string_of(header, "alg");
    bool rsa = EVP_PKEY_is_a(key, "RSA");
    if (alg == "RSA-OAEP" || alg == "RSA-OAEP-256") {
        if (!rsa) return std::nullopt;
        return rsa_oaep_decrypt(key, alg == "RSA-OAEP" ? EVP_sha1() : EVP_sha256(), encrypted_key);
    }
    std::size_t size = alg == "ECDH-ES+A128KW"   ? 16
                       : alg == "ECDH-ES+A192KW" ? 24
                       : alg == "ECDH-ES+A256KW" ? 32
                                                 : 0;
    if (size == 0)
        throw InputError(where + ": JWE key algorithm \"" + alg.substr(0, 30) +
                         "\" is not one ocicrypt uses");
    if (rsa || !header.contains("epk")) return std::nullopt;
    Pkey epk = ec_key_from_jwk(header["epk"], where);
    if (curve_of(epk.get()) != curve_of(key)) return std::nullopt;
    std::string apu;
    std::string apv;
    if (header.contains("apu") &&
        (!header["apu"].is_string() || !base64url_decode(header["apu"].get<std::string>(), apu)))
        throw InputError(where + ": JWE \"apu\" is not base64url");
    if (header.contains("apv") &&
        (!header["apv"].is_string() || !base64url_decode(header["apv"].get<std::string>(), apv)))
        throw InputError(where + ": JWE \"apv\" is not base64url");
    Secret z = ecdh(key, epk.get());
    Secret kek(concat_kdf_sha256(z.bytes(), alg, apu, apv, size));
    auto cek = key_wrap(kek.bytes(), encrypted_key, false);
    if (!cek) return std::nullopt;
    return Secret(std::move(*cek));
}

} // namespace

std::string concat_kdf_sha256(const std::string& z, const std::string& algorithm,
                              const std::string& apu, const std::string& apv, std::size_t size) {
    std::string other = length_prefixed(algorithm) + length_prefixed(apu) + length_prefixed(apv) +
                        be32(static_cast<std::uint32_t>(size * 8));
    std::string out;
    for (std::uint32_t counter = 1; out.size() < size; ++counter) {
        Secret round(be32(counter) + z + other);
        out += sha256_raw(round.bytes());
    }
    out.resize(size);
    return out;
}

std::string aes_key_wrap(const std::string& kek, const std::string& key) {
    auto out = key_wrap(kek, key, true);
    if (!out) throw Error("AES key wrap: bad key sizes");
    return *out;
}

std::optional<std::string> aes_key_unwrap(const std::string& kek, const std::string& wrapped) {
    return key_wrap(kek, wrapped, false);
}

std::string jwe_encrypt(const std::string& plaintext,
                        const std::vector<const EVP_PKEY*>& recipients) {
    if (recipients.empty()) throw Error("JWE: no recipients");
    Secret cek(random_bytes(32));
    std::vector<Wrapped> wrapped;
    wrapped.reserve(recipients.size());
    for (const EVP_PKEY* key : recipients)
        wrapped.push_back(wrap_for(key, cek));
    // go-jose moves the only recipient's header into the protected one (keys sorted, as Go
    // marshals a map); with several, "enc" alone is protected.
    ordered protected_header;
    if (wrapped.size() == 1) {
        protected_header["alg"] = wrapped[0].header["alg"];
        protected_header["enc"] = "A256GCM";
        if (wrapped[0].header.contains("epk")) protected_header["epk"] = wrapped[0].header["epk"];
    } else {
        protected_header["enc"] = "A256GCM";
    }
    std::string protected_b64 = base64url_encode(protected_header.dump());
    GcmParts parts = gcm_encrypt(cek, protected_b64, plaintext);
    ordered out;
    out["protected"] = protected_b64;
    if (wrapped.size() > 1) {
        ordered list = ordered::array();
        for (const auto& w : wrapped)
            list.push_back(ordered{{"header", w.header},
                                   {"encrypted_key", base64url_encode(w.encrypted_key)}});
        out["recipients"] = list;
    }
    // go-jose writes the first recipient's key at the top level in both forms.
    out["encrypted_key"] = base64url_encode(wrapped[0].encrypted_key);
    out["iv"] = base64url_encode(parts.iv);
    out["ciphertext"] = base64url_encode(parts.ciphertext);
    out["tag"] = base64url_encode(parts.tag);
    return out.dump();
}

std::optional<Secret> jwe_decrypt(const std::string& jwe, const EVP_PKEY* key,
                                  const std::string& where) {
    Parsed p = parse(jwe, where);
    for (const auto& [header, encrypted_key] : p.recipients) {
        json h = merged(p, header);
        if (h.contains("zip")) throw InputError(where + ": compressed JWE is not supported");
        std::string enc = string_of(h, "enc");
        if (gcm_cipher(enc) == nullptr)
            throw InputError(where + ": JWE content encryption \"" + enc.substr(0, 30) +
                             "\" is not supported (A128GCM, A192GCM, A256GCM)");
        auto cek = unwrap(h, encrypted_key, key, where);
        if (!cek) continue;
        auto plain = gcm_decrypt(enc, *cek, p.aad, p.parts);
        if (plain) return plain;
    }
    return std::nullopt;
}

std::vector<std::string> jwe_recipients(const std::string& jwe, const std::string& where) {
    Parsed p = parse(jwe, where);
    std::vector<std::string> out;
    for (const auto& [header, encrypted_key] : p.recipients) {
        json h = merged(p, header);
        std::string line = string_of(h, "alg");
        if (h.contains("epk") && h["epk"].is_object()) {
            // Appended in two steps: GCC 12 -O3 flags `line += " " + x` (-Wrestrict, a false
            // positive in its inlined std::string operator+).
            line += ' ';
            line += string_of(h["epk"], "crv");
        }
        out.push_back(line.empty() ? "unknown" : line);
    }
    return out;
}

} // namespace ckimg::crypto
