#include "registry/tls_config.hpp"

#include <ckimg/error.hpp>
#include <ckimg/registry.hpp>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>

namespace ckimg::registry {

namespace fs = std::filesystem;

namespace {

void read_pem_certs(const std::string& path, std::vector<void*>& out) {
    std::FILE* file = std::fopen(path.c_str(), "r");
    if (file == nullptr) throw IoError(errno_message("cannot read CA file " + path));
    std::size_t before = out.size();
    while (X509* cert = PEM_read_X509(file, nullptr, nullptr, nullptr))
        out.push_back(cert);
    std::fclose(file);
    ERR_clear_error(); // the loop ends on an expected "no start line"
    if (out.size() == before) throw InputError("CA file " + path + " holds no PEM certificate");
}

// certs.d directory names are "host:port", or just "host" for the scheme's default port.
std::vector<fs::path> certs_dirs(const std::vector<std::string>& roots,
                                 const std::string& host_port) {
    std::vector<std::string> names{host_port};
    if (host_port.size() > 4 && host_port.compare(host_port.size() - 4, 4, ":443") == 0)
        names.push_back(host_port.substr(0, host_port.size() - 4));
    std::vector<fs::path> dirs;
    std::error_code ec;
    for (const auto& root : roots) {
        for (const auto& name : names) {
            fs::path dir = fs::path(root) / name;
            if (fs::is_directory(dir, ec)) dirs.push_back(dir);
        }
    }
    return dirs;
}

std::vector<fs::path> sorted_entries(const fs::path& dir) {
    std::vector<fs::path> entries;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(dir, ec))
        entries.push_back(entry.path());
    std::sort(entries.begin(), entries.end());
    return entries;
}

} // namespace

CaBundle::CaBundle(const std::vector<std::string>& pem_files) {
    try {
        for (const auto& file : pem_files)
            read_pem_certs(file, certs_);
    } catch (...) {
        for (void* cert : certs_)
            X509_free(static_cast<X509*>(cert));
        throw;
    }
}

CaBundle::~CaBundle() {
    for (void* cert : certs_)
        X509_free(static_cast<X509*>(cert));
}

void CaBundle::add_to(void* ssl_ctx) const {
    X509_STORE* store = SSL_CTX_get_cert_store(static_cast<SSL_CTX*>(ssl_ctx));
    for (void* cert : certs_)
        X509_STORE_add_cert(store, static_cast<X509*>(cert));
    ERR_clear_error(); // "cert already in hash table" is harmless
}

TlsPolicy::TlsPolicy(const RegistryOptions& options, std::string insecure_host_port)
    : insecure_(options.insecure), insecure_host_port_(std::move(insecure_host_port)),
      ca_file_(options.ca_file), cert_file_(options.cert_file), key_file_(options.key_file) {
    if (options.certs_dir_root.empty())
        certs_dir_roots_ = {"/etc/containers/certs.d", "/etc/docker/certs.d"};
    else
        certs_dir_roots_ = {options.certs_dir_root};
    if (cert_file_.empty() != key_file_.empty())
        throw UsageError("--cert and --key must be given together");
}

bool TlsPolicy::insecure_for(const std::string& host_port) const {
    return insecure_ && host_port == insecure_host_port_;
}

std::shared_ptr<const TlsConfig> TlsPolicy::for_host(const std::string& host_port) const {
    std::lock_guard lock(mutex_);
    auto& slot = cache_[host_port];
    if (!slot) slot = build(host_port);
    return slot;
}

std::shared_ptr<const TlsConfig> TlsPolicy::build(const std::string& host_port) const {
    auto config = std::make_shared<TlsConfig>();
    config->verify = !insecure_for(host_port);
    config->cert_file = cert_file_;
    config->key_file = key_file_;
    std::vector<std::string> ca_files;
    if (!ca_file_.empty()) ca_files.push_back(ca_file_);
    for (const auto& dir : certs_dirs(certs_dir_roots_, host_port)) {
        for (const auto& path : sorted_entries(dir)) {
            if (path.extension() == ".crt") ca_files.push_back(path.string());
            auto key = fs::path(path).replace_extension(".key");
            std::error_code ec;
            if (path.extension() == ".cert" && config->cert_file.empty() && fs::exists(key, ec)) {
                config->cert_file = path.string();
                config->key_file = key.string();
            }
        }
    }
    if (!ca_files.empty()) config->extra_cas = std::make_shared<CaBundle>(ca_files);
    return config;
}

} // namespace ckimg::registry
