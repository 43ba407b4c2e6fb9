#include "crypto/pkcs7.hpp"

#include "core/hex.hpp"
#include "crypto/der.hpp"
#include "crypto/keys.hpp"

#include <ckimg/error.hpp>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

namespace ckimg::crypto {

namespace {

using namespace std::string_view_literals;

// OID contents (the bytes after tag and length).
constexpr std::string_view kOidEnvelopedData = "\x2a\x86\x48\x86\xf7\x0d\x01\x07\x03"sv;
constexpr std::string_view kOidData = "\x2a\x86\x48\x86\xf7\x0d\x01\x07\x01"sv;
constexpr std::string_view kOidRsaEncryption = "\x2a\x86\x48\x86\xf7\x0d\x01\x01\x01"sv;
constexpr std::string_view kOidAes128Gcm = "\x60\x86\x48\x01\x65\x03\x04\x01\x06"sv;
constexpr std::string_view kOidAes256Gcm = "\x60\x86\x48\x01\x65\x03\x04\x01\x2e"sv;

constexpr std::size_t kNonceSize = 12;
constexpr std::size_t kTagSize = 16;
constexpr std::size_t kMaxRecipients = 64;
constexpr const char* kWhat = "PKCS7 envelope";

// Go's asn1 `tag:4` on a []byte field: the nonce as [4] IMPLICIT OCTET STRING.
constexpr std::uint8_t kNonceTag = 0x84;
// Go's asn1.RawValue{Tag: TagSequence} without IsCompound: a primitive-tagged SEQUENCE.
constexpr std::uint8_t kGoParamsTag = 0x10;

const unsigned char* u8(std::string_view s) {
    return reinterpret_cast<const unsigned char*>(s.data());
}

struct Recipient {
    std::string_view issuer; // the Name, whole
    std::string_view serial; // the INTEGER's content
    std::string_view encrypted_key;
};

struct Envelope {
    std::vector<Recipient> recipients;
    bool aes256 = false;
    std::string_view nonce;
    std::string ciphertext; // with the GCM tag at its end
};

Recipient parse_recipient(der::Reader r) {
    unsigned version = 0;
    if (r.empty() || !der::integer_value(r.next(), version) || version != 0)
        r.fail("a recipient that is not named by issuer and serial number");
    auto ir = r.open(r.expect(der::kSequence, "the recipient's issuer and serial"));
    Recipient out;
    out.issuer = ir.expect(der::kSequence, "the issuer").whole;
    out.serial = ir.expect(der::kInteger, "the serial number").content;
    auto alg = r.open(r.expect(der::kSequence, "the key encryption algorithm"));
    if (alg.expect(der::kOid, "the key encryption algorithm").content != kOidRsaEncryption)
        r.fail("a recipient key wrapped other than with rsaEncryption, which ocicrypt uses");
    out.encrypted_key = r.expect(der::kOctetString, "the encrypted key").content;
    return out;
}

// The GCM parameters: Go's form (a primitive SEQUENCE around the encoded SEQUENCE, nonce [4])
// and RFC 5084's (a SEQUENCE, nonce OCTET STRING) are both read; the ICV must be 16 bytes.
void parse_gcm_parameters(const der::Element& params, Envelope& out, const der::Reader& outer) {
    if (params.tag != kGoParamsTag && params.tag != der::kSequence)
        outer.fail("GCM parameters that are not a SEQUENCE");
    der::Reader r = outer.open(params);
    if (!r.empty() && r.peek_tag() == der::kSequence) r = outer.open(r.next());
    auto nonce = r.next();
    if ((nonce.tag != kNonceTag && nonce.tag != der::kOctetString) ||
        nonce.content.size() != kNonceSize)
        outer.fail("a GCM nonce that is not 12 bytes");
    unsigned icv = 12; // RFC 5084's default
    if (!r.empty() && !der::integer_value(r.next(), icv)) outer.fail("a bad GCM ICV length");
    if (icv != kTagSize) outer.fail("a GCM ICV length of " + std::to_string(icv) + ", not 16");
    out.nonce = nonce.content;
}

void parse_content(der::Reader r, Envelope& out) {
    if (r.expect(der::kOid, "the content type").content != kOidData)
        r.fail("encrypted content that is not data");
    auto alg = r.open(r.expect(der::kSequence, "the content encryption algorithm"));
    auto oid = alg.expect(der::kOid, "the content encryption algorithm").content;
    if (oid != kOidAes128Gcm && oid != kOidAes256Gcm)
        r.fail("content encrypted other than with AES-GCM, which ocicrypt uses");
    out.aes256 = oid == kOidAes256Gcm;
    if (alg.empty()) r.fail("no GCM parameters");
    parse_gcm_parameters(alg.next(), out, alg);
    if (r.empty()) r.fail("no encrypted content");
    auto content = r.next();
    if (content.tag == der::kContext0) {
        out.ciphertext = std::string(content.content);
    } else if (content.tag == der::kContext0Constructed) { // fullsailor's: OCTET STRINGs inside
        auto parts = r.open(content);
        while (!parts.empty())
            out.ciphertext += parts.expect(der::kOctetString, "the encrypted content").content;
    } else {
        r.fail("encrypted content that is not [0]");
    }
    if (out.ciphertext.size() < kTagSize) r.fail("encrypted content shorter than its tag");
}

Envelope parse_envelope(const std::string& bytes, const std::string& where) {
    der::Reader top(bytes, where, kWhat);
    auto info = top.open(top.expect(der::kSequence, "ContentInfo"));
    if (info.expect(der::kOid, "the content type").content != kOidEnvelopedData)
        info.fail("not EnvelopedData");
    auto explicit0 = info.open(info.expect(der::kContext0Constructed, "the content"));
    auto envelope = explicit0.open(explicit0.expect(der::kSequence, "EnvelopedData"));
    envelope.expect(der::kInteger, "the version");
    auto set = envelope.open(envelope.expect(der::kSet, "the recipients"));
    Envelope out;
    while (!set.empty()) {
        if (out.recipients.size() == kMaxRecipients)
            set.fail("more than " + std::to_string(kMaxRecipients) + " recipients");
        out.recipients.push_back(
            parse_recipient(set.open(set.expect(der::kSequence, "a recipient"))));
    }
    if (out.recipients.empty()) set.fail("no recipient");
    parse_content(envelope.open(envelope.expect(der::kSequence, "the encrypted content info")),
                  out);
    return out;
}

std::optional<std::string> rsa_pkcs1(const EVP_PKEY* key, std::string_view in, bool encrypt) {
    PkeyCtx ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, const_cast<EVP_PKEY*>(key), nullptr));
    bool ok =
        ctx &&
        (encrypt ? EVP_PKEY_encrypt_init(ctx.get()) : EVP_PKEY_decrypt_init(ctx.get())) == 1 &&
        EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_PADDING) == 1;
    std::size_t size = 0;
    auto run = [&](unsigned char* out) {
        return encrypt ? EVP_PKEY_encrypt(ctx.get(), out, &size, u8(in), in.size())
                       : EVP_PKEY_decrypt(ctx.get(), out, &size, u8(in), in.size());
    };
    ok = ok && run(nullptr) == 1;
    std::string out(size, '\0');
    ok = ok && run(reinterpret_cast<unsigned char*>(out.data())) == 1;
    if (!ok) {
        if (encrypt) throw_openssl("RSA PKCS #1 v1.5 key wrap");
        ERR_clear_error();
        return std::nullopt;
    }
    out.resize(size);
    return out;
}

// AES-GCM in either direction over `in`; sealing appends the tag, opening checks it (nullopt).
std::optional<std::string> aes_gcm(const std::string& key, std::string_view nonce,
                                   std::string_view in, bool seal) {
    const EVP_CIPHER* cipher = key.size() == 32 ? EVP_aes_256_gcm() : EVP_aes_128_gcm();
    std::string_view body = seal ? in : in.substr(0, in.size() - kTagSize);
    std::string out(body.size() + (seal ? kTagSize : 0), '\0');
    auto* o = reinterpret_cast<unsigned char*>(out.data());
    CipherCtx ctx(EVP_CIPHER_CTX_new());
    int n = 0;
    int m = 0;
    bool ok =
        ctx &&
        EVP_CipherInit_ex(ctx.get(), cipher, nullptr, u8(key), u8(nonce), seal ? 1 : 0) == 1 &&
        EVP_CipherUpdate(ctx.get(), o, &n, u8(body), static_cast<int>(body.size())) == 1;
    if (ok && !seal)
        ok = EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTagSize,
                                 const_cast<char*>(in.data() + body.size())) == 1;
    ok = ok && EVP_CipherFinal_ex(ctx.get(), o + n, &m) == 1;
    if (ok && seal)
        ok = EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTagSize, o + body.size()) == 1;
    if (!ok) {
        if (seal) throw_openssl("AES-128-GCM");
        ERR_clear_error();
        return std::nullopt;
    }
    return out;
}

// The DER encoding of an OpenSSL object, through its i2d_ function.
template <typename T>
std::string der_of(const T* object, int (*encode)(const T*, unsigned char**), const char* what) {
    unsigned char* out = nullptr;
    int n = encode(object, &out);
    if (n <= 0) throw_openssl(what);
    std::string bytes(reinterpret_cast<char*>(out), static_cast<std::size_t>(n));
    OPENSSL_free(out);
    return bytes;
}

// The certificate's RSA key; null for any other (ocicrypt's PKCS7 wraps keys with RSA only).
const EVP_PKEY* rsa_key_of(const X509* cert) {
    const EVP_PKEY* key = X509_get0_pubkey(cert);
    return key != nullptr && EVP_PKEY_is_a(key, "RSA") ? key : nullptr;
}

std::string recipient_info(const X509* cert, const std::string& content_key) {
    const EVP_PKEY* key = rsa_key_of(cert);
    if (key == nullptr) throw InputError("a PKCS7 recipient's certificate has no RSA key");
    std::string serial =
        der_of(X509_get0_serialNumber(cert), i2d_ASN1_INTEGER, "certificate serial number");
    return der::sequence(der::small_integer(0) +
                         der::sequence(der_of<X509_NAME>(X509_get_issuer_name(cert), i2d_X509_NAME,
                                                         "certificate issuer") +
                                       serial) +
                         der::sequence(der::element(der::kOid, kOidRsaEncryption)) +
                         der::element(der::kOctetString, *rsa_pkcs1(key, content_key, true)));
}

Certificate parse_certificate(const std::string& bytes) {
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(
        BIO_new_mem_buf(bytes.data(), static_cast<int>(bytes.size())), &BIO_free);
    Certificate cert(bio ? PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr) : nullptr);
    if (!cert) {
        const auto* p = u8(bytes);
        cert.reset(d2i_X509(nullptr, &p, static_cast<long>(bytes.size())));
    }
    ERR_clear_error();
    return cert;
}

std::string issuer_text(std::string_view issuer) {
    const auto* p = u8(issuer);
    std::unique_ptr<X509_NAME, decltype(&X509_NAME_free)> name(
        d2i_X509_NAME(nullptr, &p, static_cast<long>(issuer.size())), &X509_NAME_free);
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), &BIO_free);
    if (!name || !bio || X509_NAME_print_ex(bio.get(), name.get(), 0, XN_FLAG_RFC2253) < 0) {
        ERR_clear_error();
        return "(unreadable name)";
    }
    char* data = nullptr;
    long n = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<std::size_t>(n)).substr(0, 200);
}

} // namespace

Certificate load_recipient_certificate(const std::string& path) {
    Certificate cert = parse_certificate(read_small_file(path, "certificate"));
    if (!cert) throw InputError(path + ": not an X.509 certificate (PEM or DER), as pkcs7: needs");
    if (rsa_key_of(cert.get()) == nullptr)
        throw InputError(path + ": the certificate's key is not RSA; ocicrypt's PKCS7 wraps "
                                "keys with RSA only (use jwe: for EC keys)");
    return cert;
}

bool is_certificate_file(const std::string& path) {
    try {
        // A PEM bundle of a key and its certificate is a key: the certificate beside it is skipped.
        std::string bytes = read_small_file(path, "key");
        return bytes.find("PRIVATE KEY-----") == std::string::npos &&
               parse_certificate(bytes) != nullptr;
    } catch (const Error&) {
        return false;
    }
}

std::string pkcs7_encrypt(const std::string& plaintext,
                          const std::vector<const X509*>& recipients) {
    if (recipients.empty() || recipients.size() > kMaxRecipients)
        throw UsageError("PKCS7 encryption needs 1 to 64 recipients");
    Secret key(random_bytes(16));
    std::string nonce = random_bytes(kNonceSize);
    std::string sealed = *aes_gcm(key.bytes(), nonce, plaintext, true);
    std::string params = der::element(
        kGoParamsTag, der::sequence(der::element(kNonceTag, nonce) + der::small_integer(kTagSize)));
    std::string content_info = der::sequence(
        der::element(der::kOid, kOidData) +
        der::sequence(der::element(der::kOid, kOidAes128Gcm) + params) +
        der::element(der::kContext0Constructed, der::element(der::kOctetString, sealed)));
    std::string infos;
    for (const X509* cert : recipients)
        infos += recipient_info(cert, key.bytes());
    std::string envelope =
        der::sequence(der::small_integer(0) + der::element(der::kSet, infos) + content_info);
    return der::sequence(der::element(der::kOid, kOidEnvelopedData) +
                         der::element(der::kContext0Constructed, envelope));
}

std::optional<Secret> pkcs7_decrypt(const std::string& der, const EVP_PKEY* key,
                                    const std::string& where) {
    Envelope envelope = parse_envelope(der, where);
    if (!EVP_PKEY_is_a(key, "RSA")) return std::nullopt;
    std::size_t key_size = envelope.aes256 ? 32 : 16;
    for (const Recipient& recipient : envelope.recipients) {
        auto content_key = rsa_pkcs1(key, recipient.encrypted_key, false);
        if (!content_key) continue;
        Secret secret(std::move(*content_key));
        if (secret.size() != key_size) continue;
        auto plain = aes_gcm(secret.bytes(), envelope.nonce, envelope.ciphertext, false);
        if (plain) return Secret(std::move(*plain));
    }
    return std::nullopt;
}

std::vector<std::string> pkcs7_recipients(const std::string& der, const std::string& where) {
    std::vector<std::string> out;
    for (const Recipient& recipient : parse_envelope(der, where).recipients)
        out.push_back("PKCS7 RSA issuer " + issuer_text(recipient.issuer) + " serial " +
                      to_hex(recipient.serial).substr(0, 64));
    return out;
}

} // namespace ckimg::crypto
