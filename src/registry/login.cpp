// login/logout: check the credentials against the registry (the same probe and token flow a
// push uses), then write them to the containers auth file.
#include "registry/auth_config.hpp"
#include "registry/registry_client.hpp"

#include <ckimg/error.hpp>
#include <ckimg/registry.hpp>

namespace ckimg {

namespace {

// "https://index.docker.io/v1/", "docker.io", "host:5000/" -> the registry as references name it.
Reference registry_reference(const std::string& registry) {
    auto key = registry::normalize_registry_key(registry);
    if (key.empty() || key.find('/') != std::string::npos)
        throw UsageError("invalid registry \"" + registry + "\": expected HOST[:PORT]");
    Reference ref;
    ref.registry = key;
    return ref;
}

} // namespace

void login(const std::string& registry, const std::string& username, const std::string& password,
           const RegistryOptions& options, const Context& context) {
    if (username.empty()) throw UsageError("login needs a username (-u)");
    auto target = registry_reference(registry);
    auto checked = options;
    checked.creds = username + ":" + password;
    registry::RegistrySession session(target, checked, context);
    registry::RegistryClient client(session);
    client.probe();
    client.verify_credentials();
    auto env = registry::AuthEnvironment::from_process(options);
    registry::store_credentials(env.write_file(), target.registry, {username, password, ""});
}

void logout(const std::string& registry, const RegistryOptions& options) {
    auto target = registry_reference(registry);
    auto env = registry::AuthEnvironment::from_process(options);
    auto path = env.write_file();
    if (!registry::remove_credentials(path, target.registry))
        throw UsageError("not logged in to " + target.registry + " (" + path + ")");
}

} // namespace ckimg
