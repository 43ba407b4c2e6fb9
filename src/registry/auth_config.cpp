#include "registry/auth_config.hpp"

#include "registry/base64.hpp"
#include "registry/credential_helper.hpp"

#include <ckimg/error.hpp>
#include <ckimg/registry.hpp>

#include "core/json_limits.hpp"

#include <nlohmann/json.hpp>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <sys/stat.h>
#include <unistd.h>

namespace ckimg::registry {

namespace fs = std::filesystem;

namespace {

std::string env_or_empty(const char* name) {
    const char* value = std::getenv(name);
    return value == nullptr ? std::string() : std::string(value);
}

bool is_docker_hub(const std::string& host) {
    return host == "docker.io" || host == "index.docker.io" || host == "registry-1.docker.io" ||
           host == "registry.hub.docker.com";
}

void warn_if_readable_by_others(const std::string& path, const WarningSink& warn) {
    struct stat st {};
    if (!warn || ::stat(path.c_str(), &st) != 0 || (st.st_mode & 077) == 0) return;
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    warn("auth file " + path + " is readable by other users (mode " + mode +
         "); run chmod 600 on it");
}

// Reads an auth file; nullopt when it does not exist. A file that exists but cannot be parsed
// is an error: silently pushing anonymously would hide the real problem.
std::optional<nlohmann::json> read_auth_file(const std::string& path, const WarningSink& warn) {
    std::error_code ec;
    if (!fs::exists(path, ec)) return std::nullopt;
    std::ifstream in(path, std::ios::binary);
    if (!in) throw IoError(errno_message("cannot read auth file " + path));
    warn_if_readable_by_others(path, warn);
    std::stringstream text;
    text << in.rdbuf();
    nlohmann::json json;
    try {
        json = parse_untrusted_json(text.str(), "auth file " + path);
    } catch (const InputError&) {
        json = nullptr;
    }
    if (!json.is_object()) throw InputError("auth file " + path + " is not a JSON object");
    return json;
}

std::optional<Credentials> credentials_from_entry(const nlohmann::json& entry,
                                                  const std::string& path) {
    if (!entry.is_object()) return std::nullopt;
    Credentials creds;
    if (auto it = entry.find("auth");
        it != entry.end() && it->is_string() && !it->get_ref<const std::string&>().empty()) {
        auto decoded = base64_decode(it->get<std::string>());
        auto colon = decoded ? decoded->find(':') : std::string::npos;
        if (colon == std::string::npos)
            throw InputError("auth file " + path + ": malformed \"auth\" entry");
        creds.username = decoded->substr(0, colon);
        creds.password = decoded->substr(colon + 1);
    } else if (entry.contains("username") && entry["username"].is_string()) {
        creds.username = entry["username"].get<std::string>();
        if (auto password = entry.find("password");
            password != entry.end() && password->is_string())
            creds.password = password->get<std::string>();
    }
    if (auto it = entry.find("identitytoken"); it != entry.end() && it->is_string())
        creds.identity_token = it->get<std::string>();
    if (creds.empty()) return std::nullopt;
    return creds;
}

// The keys a registry entry may be filed under, most specific first: "host/ns/repo", "host/ns",
// "host" (containers-auth.json(5) allows repository-scoped entries).
std::vector<std::string> candidate_keys(const std::string& registry,
                                        const std::string& repository) {
    std::vector<std::string> keys;
    std::string scoped = normalize_registry_key(registry) + "/" + repository;
    while (true) {
        keys.push_back(scoped);
        auto slash = scoped.rfind('/');
        if (slash == std::string::npos) return keys;
        scoped.resize(slash);
    }
}

std::optional<Credentials> lookup_auths(const nlohmann::json& auths, const std::string& registry,
                                        const std::string& repository, const std::string& path) {
    if (!auths.is_object()) return std::nullopt;
    for (const auto& key : candidate_keys(registry, repository)) {
        for (const auto& [name, entry] : auths.items()) {
            if (normalize_registry_key(name) == key) return credentials_from_entry(entry, path);
        }
    }
    return std::nullopt;
}

std::string helper_for(const nlohmann::json& config, const std::string& registry) {
    if (auto helpers = config.find("credHelpers");
        helpers != config.end() && helpers->is_object()) {
        for (const auto& [name, helper] : helpers->items()) {
            if (normalize_registry_key(name) == normalize_registry_key(registry) &&
                helper.is_string())
                return helper.get<std::string>();
        }
    }
    return {};
}

// One file: credHelpers for the host, then its auths entry, then the default credsStore.
std::optional<Credentials> lookup_file(const nlohmann::json& config, const std::string& registry,
                                       const std::string& repository, const std::string& path) {
    if (auto helper = helper_for(config, registry); !helper.empty())
        return credential_helper_get(helper, helper_server_url(registry));
    if (auto creds =
            lookup_auths(config.value("auths", nlohmann::json()), registry, repository, path))
        return creds;
    if (auto store = config.find("credsStore"); store != config.end() && store->is_string() &&
                                                !store->get_ref<const std::string&>().empty())
        return credential_helper_get(store->get<std::string>(), helper_server_url(registry));
    return std::nullopt;
}

void write_file_atomically(const std::string& path, const std::string& text) {
    auto dir = fs::path(path).parent_path();
    std::error_code ec;
    if (!dir.empty()) fs::create_directories(dir, ec);
    std::string temp = path + ".tmp." + std::to_string(::getpid());
    int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) throw IoError(errno_message("cannot write auth file " + temp));
    bool ok = ::fchmod(fd, 0600) == 0 &&
              ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) &&
              ::fsync(fd) == 0;
    ok = (::close(fd) == 0) && ok;
    if (!ok || std::rename(temp.c_str(), path.c_str()) != 0) {
        auto message = errno_message("cannot write auth file " + path);
        ::unlink(temp.c_str());
        throw IoError(message);
    }
}

} // namespace

AuthEnvironment AuthEnvironment::from_process(const RegistryOptions& options) {
    AuthEnvironment env;
    env.creds = options.creds;
    env.auth_file = options.auth_file;
    env.registry_auth_file = env_or_empty("REGISTRY_AUTH_FILE");
    env.xdg_runtime_dir = env_or_empty("XDG_RUNTIME_DIR");
    env.docker_config = env_or_empty("DOCKER_CONFIG");
    env.home = env_or_empty("HOME");
    return env;
}

std::vector<std::string> AuthEnvironment::lookup_files() const {
    std::vector<std::string> files;
    if (!auth_file.empty()) files.push_back(auth_file);
    if (!registry_auth_file.empty()) files.push_back(registry_auth_file);
    if (!xdg_runtime_dir.empty()) files.push_back(xdg_runtime_dir + "/containers/auth.json");
    if (!docker_config.empty())
        files.push_back(docker_config + "/config.json");
    else if (!home.empty())
        files.push_back(home + "/.docker/config.json");
    return files;
}

std::string AuthEnvironment::write_file() const {
    if (!auth_file.empty()) return auth_file;
    if (!registry_auth_file.empty()) return registry_auth_file;
    if (!xdg_runtime_dir.empty()) return xdg_runtime_dir + "/containers/auth.json";
    if (!home.empty()) return home + "/.config/containers/auth.json";
    throw UsageError(
        "no auth file location: set --authfile, REGISTRY_AUTH_FILE or XDG_RUNTIME_DIR");
}

std::string normalize_registry_key(const std::string& key) {
    std::string out = key;
    if (auto scheme = out.find("://"); scheme != std::string::npos) out = out.substr(scheme + 3);
    // Legacy docker keys carry an API path ("https://index.docker.io/v1/"); scoped keys do not.
    for (const char* suffix : {"/v1/", "/v1", "/v2/", "/v2"}) {
        std::string_view s(suffix);
        if (out.size() > s.size() && out.compare(out.size() - s.size(), s.size(), s) == 0) {
            out.resize(out.size() - s.size());
            break;
        }
    }
    while (!out.empty() && out.back() == '/')
        out.pop_back();
    auto slash = out.find('/');
    auto host = out.substr(0, slash);
    if (is_docker_hub(host))
        out = "docker.io" + (slash == std::string::npos ? "" : out.substr(slash));
    return out;
}

std::string helper_server_url(const std::string& registry) {
    return is_docker_hub(registry) ? "https://index.docker.io/v1/" : registry;
}

std::optional<Credentials> find_credentials(const AuthEnvironment& env, const std::string& registry,
                                            const std::string& repository) {
    if (!env.creds.empty()) {
        auto colon = env.creds.find(':');
        Credentials creds{env.creds.substr(0, colon), "", ""};
        if (colon != std::string::npos) creds.password = env.creds.substr(colon + 1);
        return creds;
    }
    for (const auto& path : env.lookup_files()) {
        auto config = read_auth_file(path, env.warn);
        if (!config) continue;
        if (auto creds = lookup_file(*config, registry, repository, path)) return creds;
    }
    return std::nullopt;
}

void store_credentials(const std::string& path, const std::string& registry,
                       const Credentials& credentials) {
    auto config = read_auth_file(path, {}).value_or(nlohmann::json::object());
    if (!config["auths"].is_object()) config["auths"] = nlohmann::json::object();
    auto key = normalize_registry_key(registry);
    nlohmann::json entry = {
        {"auth", base64_encode(credentials.username + ":" + credentials.password)}};
    if (!credentials.identity_token.empty()) entry["identitytoken"] = credentials.identity_token;
    config["auths"][key] = entry;
    write_file_atomically(path, config.dump(1, '\t') + "\n");
}

bool remove_credentials(const std::string& path, const std::string& registry) {
    auto config = read_auth_file(path, {});
    if (!config || !(*config)["auths"].is_object()) return false;
    auto& auths = (*config)["auths"];
    auto key = normalize_registry_key(registry);
    std::vector<std::string> doomed;
    for (const auto& [name, entry] : auths.items()) {
        if (normalize_registry_key(name) == key) doomed.push_back(name);
    }
    for (const auto& name : doomed)
        auths.erase(name);
    if (doomed.empty()) return false;
    write_file_atomically(path, config->dump(1, '\t') + "\n");
    return true;
}

} // namespace ckimg::registry
