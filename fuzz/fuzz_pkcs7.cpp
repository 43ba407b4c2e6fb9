// ocicrypt's PKCS7 envelope (org.opencontainers.image.enc.keys.pkcs7) as an attacker writes it:
// the DER reader, the recipient listing inspect prints without a key, and decryption with the
// key of the skopeo fixture, so that the seed (skopeo's own envelope) reaches the GCM opening.
#include "fuzz_common.hpp"

#include "crypto/keys.hpp"
#include "crypto/pkcs7.hpp"

#include <fstream>
#include <sstream>

namespace {

const EVP_PKEY* fixture_key() {
    // Read once per process: the key is the same for every input.
    static const ckimg::crypto::Pkey key = [] {
        std::ifstream in(CKIMG_FIXTURES_DIR "/skopeo-1.9-pkcs7/key.pem", std::ios::binary);
        std::ostringstream pem;
        pem << in.rdbuf();
        return ckimg::crypto::parse_private_key(pem.str(), ckimg::crypto::Secret(), "key.pem");
    }();
    return key.get();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string der(ckimg::fuzz::as_text(data, size));
    const EVP_PKEY* key = fixture_key();
    ckimg::fuzz::expect_only_errors([&] {
        for (const auto& line : ckimg::crypto::pkcs7_recipients(der, "layer 1"))
            if (line.empty()) std::abort();
    });
    ckimg::fuzz::expect_only_errors(
        [&] { (void)ckimg::crypto::pkcs7_decrypt(der, key, "layer 1"); });
    return 0;
}
