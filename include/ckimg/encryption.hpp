// Layer encryption as containers/ocicrypt defines it (skopeo, Podman, buildah, CRI-O and
// containerd's imgcrypt read and write it): each chosen layer's stored (compressed) bytes are
// encrypted with AES_256_CTR_HMAC_SHA256 under a fresh key, and that key is wrapped in a JWE for
// the recipients' public keys and in a PKCS7 envelope for their X.509 certificates, in the
// layer's annotations. The config and the diff IDs stay as
// they are, so an image decrypts to exactly the unencrypted one.
#pragma once

#include <ckimg/source.hpp>

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace ckimg {

struct EncryptionOptions {
    // Recipients' public key files (PEM or DER SubjectPublicKeyInfo, or an X.509 certificate;
    // RSA or EC), as `--encryption-key jwe:FILE` names them.
    std::vector<std::string> recipients;
    // Recipients' X.509 certificates (RSA keys), as `--encryption-key pkcs7:FILE` names them.
    std::vector<std::string> certificates;
    // Which layers (0-based, negative from the end as skopeo's --encrypt-layer); empty: all.
    std::vector<int> layers;
    bool enabled() const { return !recipients.empty() || !certificates.empty(); }
    // "jwe:FILE" adds FILE to recipients, "pkcs7:FILE" to certificates; any other scheme is a
    // UsageError.
    void add_recipient(const std::string& flag);
    // Does `index` of `count` layers get encrypted?
    bool encrypts(int index, int count) const;
};

struct DecryptionOptions {
    // Private keys as `--decryption-key` gives them: FILE, FILE:file=PASSFILE or FILE:prompt.
    // An X.509 certificate among them is skipped: ocicrypt needs one for PKCS7 and takes it
    // there; ckimg finds a PKCS7 recipient with the private key alone.
    std::vector<std::string> keys;
    // Told about key files readable by other users.
    std::function<void(const std::string&)> warn;
};

// An ImageSource that shows `inner`'s image as it was before encryption: encrypted layers get
// their original media type, digest and annotations, manifests and indexes are rewritten to
// match, and their blobs are decrypted as they stream (HMAC and original digest checked at the
// end, where an ImageSource stream checks its digest: a consumer that commits only after the
// stream's end never keeps unauthenticated bytes). Without encrypted layers it changes nothing.
// Throws InputError naming the layer when an encrypted layer cannot be opened with the keys.
std::unique_ptr<ImageSource> decrypting_source(std::unique_ptr<ImageSource> inner,
                                               const DecryptionOptions& options);

// An ImageSource that shows `inner`'s image with layers encrypted as ocicrypt does (skopeo copy
// --encryption-key): the layers options.layers names (negative: from the end of each manifest),
// or without it every layer but a descriptive one (the oci-checkpoint metadata layer, left
// readable as build leaves it: Format::is_descriptive_layer). Layers already encrypted stay as
// they are; Docker manifests cannot be encrypted (InputError); configs and diff IDs are
// unchanged, so decrypting_source gives the same image back. Each chosen layer is read once,
// here, and encrypted into a file in a private temporary directory (streaming; removed with the
// source), as its digest is known only then; the manifests and indexes are rewritten to match,
// children first. The context's cancel token stops the encryption (Cancelled), its progress
// gets each layer's bytes.
std::unique_ptr<ImageSource> encrypting_source(std::unique_ptr<ImageSource> inner,
                                               const EncryptionOptions& options,
                                               const Context& context = {});

// What inspect shows of an encrypted layer, read from its annotations without any key.
struct LayerEncryptionInfo {
    std::string cipher; // AES_256_CTR_HMAC_SHA256
    // "RSA-OAEP", "ECDH-ES+A256KW P-256", "PKCS7 RSA issuer CN=... serial 01", ...
    std::vector<std::string> recipients;
};
// nullopt for a layer that is not encrypted; InputError naming `where` if it is and its
// annotations are malformed.
std::optional<LayerEncryptionInfo> layer_encryption_info(const Descriptor& layer,
                                                         const std::string& where);

} // namespace ckimg
