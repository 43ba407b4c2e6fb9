#include "crypto/keys.hpp"

#include <ckimg/error.hpp>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <cstdio>
#include <memory>

namespace ckimg::crypto {

namespace {

constexpr std::size_t kMaxKeyFile = 1 << 20;

struct BioFree {
    void operator()(BIO* bio) const { BIO_free(bio); }
};
using Bio = std::unique_ptr<BIO, BioFree>;

Bio memory_bio(const std::string& bytes) {
    Bio bio(BIO_new_mem_buf(bytes.data(), static_cast<int>(bytes.size())));
    if (!bio) throw_openssl("memory BIO");
    return bio;
}

struct PassContext {
    const Secret* passphrase;
    bool asked = false;
};

int pass_callback(char* buffer, int size, int /*rwflag*/, void* user) {
    auto* context = static_cast<PassContext*>(user);
    context->asked = true;
    const auto& bytes = context->passphrase->bytes();
    if (bytes.empty() || bytes.size() > static_cast<std::size_t>(size)) return -1;
    std::copy(bytes.begin(), bytes.end(), buffer);
    return static_cast<int>(bytes.size());
}

bool key_type_supported(const EVP_PKEY* key) {
    return EVP_PKEY_is_a(key, "RSA") || EVP_PKEY_is_a(key, "EC");
}

Pkey checked(Pkey key, const std::string& name) {
    if (!key_type_supported(key.get()))
        throw InputError(name + ": only RSA and EC keys can wrap layer keys");
    return key;
}

std::string strip_trailing_newline(std::string text) {
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r'))
        text.pop_back();
    return text;
}

} // namespace

Secret read_passphrase_from_terminal(const std::string& prompt) {
    int fd = ::open("/dev/tty", O_RDWR | O_CLOEXEC);
    if (fd < 0) throw InputError("no terminal to read the passphrase from (" + prompt + ")");
    (void)!::write(fd, prompt.data(), prompt.size());
    termios old{};
    bool restore = ::tcgetattr(fd, &old) == 0;
    if (restore) {
        termios quiet = old;
        quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
        ::tcsetattr(fd, TCSAFLUSH, &quiet);
    }
    Secret passphrase;
    char c = 0;
    while (::read(fd, &c, 1) == 1 && c != '\n' && passphrase.size() < 4096)
        passphrase.bytes() += c;
    if (restore) ::tcsetattr(fd, TCSAFLUSH, &old);
    (void)!::write(fd, "\n", 1);
    ::close(fd);
    return passphrase;
}

std::string read_small_file(const std::string& path, const std::string& what) {
    std::unique_ptr<FILE, int (*)(FILE*)> file(std::fopen(path.c_str(), "rbe"), &std::fclose);
    if (!file) throw IoError(errno_message("cannot read " + what + " " + path));
    std::string out;
    char buffer[8192];
    std::size_t n = 0;
    while ((n = std::fread(buffer, 1, sizeof buffer, file.get())) > 0) {
        out.append(buffer, n);
        if (out.size() > kMaxKeyFile) throw InputError(what + " " + path + " is over 1 MiB");
    }
    if (std::ferror(file.get())) throw IoError(errno_message("cannot read " + what + " " + path));
    return out;
}

PrivateKeySpec PrivateKeySpec::parse(const std::string& text) {
    PrivateKeySpec spec;
    spec.path = text;
    auto colon = text.rfind(':');
    if (colon == std::string::npos) return spec;
    std::string suffix = text.substr(colon + 1);
    std::string head = text.substr(0, colon);
    auto file_at = text.rfind(":file=");
    if (file_at != std::string::npos) {
        spec.path = text.substr(0, file_at);
        spec.passphrase_file = text.substr(file_at + 6);
        if (spec.passphrase_file.empty())
            throw UsageError("--decryption-key " + spec.path + ":file= needs a file name");
    } else if (suffix == "prompt") {
        spec.path = head;
        spec.prompt = true;
    } else if (::access(text.c_str(), F_OK) != 0) {
        // Not a file name with a colon in it: refuse rather than take it as a passphrase.
        throw UsageError("--decryption-key " + head +
                         ":...: a passphrase is not accepted on the command line; use " + head +
                         ":file=PASSFILE or " + head + ":prompt");
    }
    return spec;
}

Pkey parse_public_key(const std::string& bytes, const std::string& name) {
    auto bio = memory_bio(bytes);
    Pkey key(PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr));
    if (!key) {
        ERR_clear_error();
        bio = memory_bio(bytes);
        std::unique_ptr<X509, decltype(&X509_free)> cert(
            PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr), &X509_free);
        if (cert) key.reset(X509_get_pubkey(cert.get()));
    }
    if (!key) {
        ERR_clear_error();
        const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
        key.reset(d2i_PUBKEY(nullptr, &p, static_cast<long>(bytes.size())));
    }
    ERR_clear_error();
    if (!key)
        throw InputError(name + ": not a public key (PEM or DER SubjectPublicKeyInfo, or an "
                                "X.509 certificate)");
    return checked(std::move(key), name);
}

Pkey load_public_key(const std::string& path) {
    return parse_public_key(read_small_file(path, "public key"), path);
}

Pkey parse_private_key(const std::string& bytes, const Secret& passphrase,
                       const std::string& name) {
    PassContext context{&passphrase};
    auto bio = memory_bio(bytes);
    Pkey key(PEM_read_bio_PrivateKey(bio.get(), nullptr, pass_callback, &context));
    if (!key && !context.asked) {
        ERR_clear_error();
        const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
        key.reset(d2i_AutoPrivateKey(nullptr, &p, static_cast<long>(bytes.size())));
    }
    ERR_clear_error();
    if (!key && context.asked && passphrase.size() == 0)
        throw InputError(name + ": the key is encrypted; give its passphrase with " + name +
                         ":file=PASSFILE or " + name + ":prompt");
    if (!key && context.asked) throw InputError(name + ": wrong passphrase for the key");
    if (!key) throw InputError(name + ": not a private key (PKCS#8, PKCS#1 or SEC1; PEM or DER)");
    return checked(std::move(key), name);
}

PrivateKey load_private_key(const PrivateKeySpec& spec, const Warn& warn) {
    struct stat st {};
    if (::stat(spec.path.c_str(), &st) == 0 && (st.st_mode & 077) != 0 && warn) {
        char mode[8];
        std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
        warn("private key " + spec.path + " is readable by other users (mode " + mode +
             "); chmod 600 it");
    }
    Secret bytes(read_small_file(spec.path, "private key"));
    Secret passphrase;
    if (!spec.passphrase_file.empty())
        passphrase = Secret(
            strip_trailing_newline(read_small_file(spec.passphrase_file, "passphrase file")));
    else if (spec.prompt)
        passphrase = read_passphrase_from_terminal("Passphrase for " + spec.path + ": ");
    return PrivateKey{parse_private_key(bytes.bytes(), passphrase, spec.path), spec.path};
}

} // namespace ckimg::crypto
