// Loading the keys of layer encryption: recipients' public keys (PEM SubjectPublicKeyInfo, or an
// X.509 certificate's key) and private keys (PKCS#8, PKCS#1 RSA, SEC1 EC; PEM or DER; encrypted
// PEM with a passphrase from a file or the terminal, never from the command line in clear).
#pragma once

#include "crypto/openssl_util.hpp"

#include <functional>
#include <string>

namespace ckimg::crypto {

using Warn = std::function<void(const std::string&)>;

// A key spec as given on the command line: PATH, PATH:file=PASSFILE or PATH:prompt.
struct PrivateKeySpec {
    std::string path;
    std::string passphrase_file; // empty: none
    bool prompt = false;         // read the passphrase from /dev/tty without echo
    // Parses the spec; a suffix that could be a passphrase in clear is a UsageError.
    static PrivateKeySpec parse(const std::string& text);
};

struct PrivateKey {
    Pkey key;
    std::string path; // for messages
};

// Reads a recipient's public key ("jwe:" prefix already removed); RSA or EC (P-256/384/521).
Pkey load_public_key(const std::string& path);
// Reads a private key; the file must not be group/world-readable, else `warn` is told (as for
// auth files). An encrypted key without a passphrase source is an InputError saying so.
PrivateKey load_private_key(const PrivateKeySpec& spec, const Warn& warn);
// Parses key bytes (tests, and keys read by other means); `passphrase` may be empty.
Pkey parse_private_key(const std::string& bytes, const Secret& passphrase, const std::string& name);
Pkey parse_public_key(const std::string& bytes, const std::string& name);

// Asks on /dev/tty without echo; InputError when there is no terminal.
Secret read_passphrase_from_terminal(const std::string& prompt);

// Reads a whole small file (a key, a passphrase), at most 1 MiB.
std::string read_small_file(const std::string& path, const std::string& what);

} // namespace ckimg::crypto
