// Where credentials come from (issue 3, "Auth and TLS"), first match wins: --creds, --authfile,
// $REGISTRY_AUTH_FILE, ${XDG_RUNTIME_DIR}/containers/auth.json, $DOCKER_CONFIG/config.json or
// ~/.docker/config.json. Files may hold `auths` (auth = base64 "user:pass", identitytoken),
// `credHelpers` and `credsStore` (docker-credential-NAME helpers).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace ckimg {
struct RegistryOptions;
}

namespace ckimg::registry {

struct Credentials {
    std::string username;
    std::string password;
    std::string identity_token; // an OAuth2 refresh token, traded at the token realm

    bool empty() const { return username.empty() && password.empty() && identity_token.empty(); }
};

using WarningSink = std::function<void(const std::string&)>;

// The inputs of the lookup, captured once from options and environment so that tests (and
// threads) never depend on the process environment changing under them.
struct AuthEnvironment {
    std::string creds;              // --creds USER[:PASS]
    std::string auth_file;          // --authfile
    std::string registry_auth_file; // $REGISTRY_AUTH_FILE
    std::string xdg_runtime_dir;    // $XDG_RUNTIME_DIR
    std::string docker_config;      // $DOCKER_CONFIG
    std::string home;               // $HOME
    WarningSink warn;               // where "auth file is world-readable" goes; may be empty

    static AuthEnvironment from_process(const RegistryOptions& options);
    // The files to read, in lookup order (missing ones are skipped when read).
    std::vector<std::string> lookup_files() const;
    // The file login/logout write: --authfile, $REGISTRY_AUTH_FILE,
    // ${XDG_RUNTIME_DIR}/containers/auth.json, else ~/.config/containers/auth.json.
    std::string write_file() const;
};

// "docker.io" for Docker Hub's many spellings (https://index.docker.io/v1/, registry-1...),
// else the key without scheme and trailing "/" or "/v1/", "/v2/".
std::string normalize_registry_key(const std::string& key);
// What a credential helper is asked for: https://index.docker.io/v1/ for Docker Hub, else host.
std::string helper_server_url(const std::string& registry);

// Credentials for `registry` (as named in references: "docker.io", "host:5000") and
// `repository`; nullopt means anonymous.
std::optional<Credentials> find_credentials(const AuthEnvironment& env, const std::string& registry,
                                            const std::string& repository);

// Writes or removes `registry`'s entry in a containers auth file, atomically and with mode 0600.
void store_credentials(const std::string& path, const std::string& registry,
                       const Credentials& credentials);
// Returns false when the file held no entry for `registry`.
bool remove_credentials(const std::string& path, const std::string& registry);

} // namespace ckimg::registry
