// TLS settings per host: system trust store plus --ca-file, per-registry certificates from
// /etc/containers/certs.d/HOST:PORT/ and /etc/docker/certs.d/HOST:PORT/ (*.crt CAs,
// client.cert + client.key), and --insecure for the registry named on the command line only.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace ckimg {
struct RegistryOptions;
}

namespace ckimg::registry {

// Certificates parsed once from PEM files; added to each TLS context curl creates.
class CaBundle {
public:
    explicit CaBundle(const std::vector<std::string>& pem_files);
    ~CaBundle();
    CaBundle(const CaBundle&) = delete;
    CaBundle& operator=(const CaBundle&) = delete;
    // Adds the certificates to an OpenSSL SSL_CTX's store (called from curl's SSL_CTX callback).
    void add_to(void* ssl_ctx) const;
    bool empty() const { return certs_.empty(); }

private:
    std::vector<void*> certs_; // X509*
};

struct TlsConfig {
    bool verify = true;
    std::shared_ptr<const CaBundle> extra_cas; // may be null
    std::string cert_file;
    std::string key_file;
};

class TlsPolicy {
public:
    // `insecure_host_port` is the registry given on the command line, "host:port".
    TlsPolicy(const RegistryOptions& options, std::string insecure_host_port);
    // The settings for a connection to host:port (port always present). Thread-safe.
    std::shared_ptr<const TlsConfig> for_host(const std::string& host_port) const;
    bool insecure_for(const std::string& host_port) const;

private:
    std::shared_ptr<const TlsConfig> build(const std::string& host_port) const;

    bool insecure_;
    std::string insecure_host_port_;
    std::string ca_file_, cert_file_, key_file_;
    std::vector<std::string> certs_dir_roots_;
    mutable std::mutex mutex_;
    mutable std::map<std::string, std::shared_ptr<const TlsConfig>> cache_;
};

} // namespace ckimg::registry
