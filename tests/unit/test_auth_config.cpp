// Credential lookup order and auth file handling, on auth files in a temporary directory.
#include "registry/auth_config.hpp"
#include "registry/base64.hpp"

#include <ckimg/error.hpp>
#include <ckimg/registry.hpp>

#include <catch2/catch.hpp>

#include "test_support.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <sys/stat.h>
#include <unistd.h>

namespace fs = std::filesystem;
using namespace ckimg::registry;

namespace {

using ckimg::test::TempDir;

void write(const fs::path& path, const std::string& text, mode_t mode = 0600) {
    fs::create_directories(path.parent_path());
    std::ofstream(path) << text;
    ::chmod(path.c_str(), mode);
}

std::string auths(const std::string& key, const std::string& user, const std::string& pass) {
    return R"({"auths":{")" + key + R"(":{"auth":")" + base64_encode(user + ":" + pass) + R"("}}})";
}

// Sets an environment variable for one scope and puts the old value back.
class ScopedEnv {
public:
    ScopedEnv(const char* name, const std::string& value) : name_(name) {
        if (const char* old = std::getenv(name)) old_ = old;
        ::setenv(name, value.c_str(), 1);
    }
    ~ScopedEnv() {
        if (old_)
            ::setenv(name_, old_->c_str(), 1);
        else
            ::unsetenv(name_);
    }

private:
    const char* name_;
    std::optional<std::string> old_;
};

} // namespace

TEST_CASE("explicit --creds win over every file", "[auth]") {
    TempDir dir;
    write(dir.path / "auth.json", auths("reg.example", "file", "pw"));
    AuthEnvironment env;
    env.creds = "cli:secret:with:colons";
    env.auth_file = (dir.path / "auth.json").string();
    auto creds = find_credentials(env, "reg.example", "team/app");
    REQUIRE(creds);
    CHECK(creds->username == "cli");
    CHECK(creds->password == "secret:with:colons");
}

TEST_CASE("lookup order: authfile, REGISTRY_AUTH_FILE, XDG, docker config", "[auth]") {
    TempDir dir;
    AuthEnvironment env;
    env.auth_file = (dir.path / "explicit.json").string();
    env.registry_auth_file = (dir.path / "registry-auth.json").string();
    env.xdg_runtime_dir = (dir.path / "run").string();
    env.docker_config = (dir.path / "docker").string();
    env.home = (dir.path / "home").string();

    write(dir.path / "docker/config.json", auths("https://reg.example/v1/", "docker", "1"));
    CHECK(find_credentials(env, "reg.example", "a")->username == "docker");
    write(dir.path / "run/containers/auth.json", auths("reg.example", "xdg", "2"));
    CHECK(find_credentials(env, "reg.example", "a")->username == "xdg");
    write(dir.path / "registry-auth.json", auths("reg.example", "envfile", "3"));
    CHECK(find_credentials(env, "reg.example", "a")->username == "envfile");
    write(dir.path / "explicit.json", auths("reg.example", "explicit", "4"));
    CHECK(find_credentials(env, "reg.example", "a")->username == "explicit");
    CHECK_FALSE(find_credentials(env, "other.example", "a"));
}

TEST_CASE("HOME/.docker/config.json is used without DOCKER_CONFIG", "[auth]") {
    TempDir dir;
    AuthEnvironment env;
    env.home = dir.path.string();
    write(dir.path / ".docker/config.json", auths("reg.example:5000", "home", "pw"));
    auto creds = find_credentials(env, "reg.example:5000", "a");
    REQUIRE(creds);
    CHECK(creds->password == "pw");
}

TEST_CASE("Docker Hub's legacy key is understood", "[auth]") {
    TempDir dir;
    AuthEnvironment env;
    env.docker_config = dir.path.string();
    write(dir.path / "config.json", auths("https://index.docker.io/v1/", "hubuser", "hubpw"));
    auto creds = find_credentials(env, "docker.io", "library/ubuntu");
    REQUIRE(creds);
    CHECK(creds->username == "hubuser");
    CHECK(normalize_registry_key("registry-1.docker.io") == "docker.io");
    CHECK(helper_server_url("docker.io") == "https://index.docker.io/v1/");
    CHECK(helper_server_url("ghcr.io") == "ghcr.io");
}

TEST_CASE("identitytoken and repository-scoped entries", "[auth]") {
    TempDir dir;
    AuthEnvironment env;
    env.auth_file = (dir.path / "auth.json").string();
    write(dir.path / "auth.json", R"({"auths":{"reg.example":{"auth":")" + base64_encode("host:1") +
                                      R"("},"reg.example/team":{"auth":")" +
                                      base64_encode("team:2") +
                                      R"("},"tok.example":{"identitytoken":"refresh-me"}}})");
    CHECK(find_credentials(env, "reg.example", "team/app")->username == "team");
    CHECK(find_credentials(env, "reg.example", "other/app")->username == "host");
    auto token = find_credentials(env, "tok.example", "x");
    REQUIRE(token);
    CHECK(token->identity_token == "refresh-me");
}

TEST_CASE("broken auth files are errors, not silent anonymity", "[auth]") {
    TempDir dir;
    AuthEnvironment env;
    env.auth_file = (dir.path / "auth.json").string();
    write(dir.path / "auth.json", "{not json");
    CHECK_THROWS_AS(find_credentials(env, "reg.example", "a"), ckimg::InputError);
    write(dir.path / "auth.json", R"({"auths":{"reg.example":{"auth":"bm9jb2xvbg=="}}})");
    CHECK_THROWS_AS(find_credentials(env, "reg.example", "a"), ckimg::InputError);
}

TEST_CASE("world-readable auth files are warned about", "[auth]") {
    TempDir dir;
    std::string warning;
    AuthEnvironment env;
    env.auth_file = (dir.path / "auth.json").string();
    env.warn = [&](const std::string& text) { warning = text; };
    write(dir.path / "auth.json", auths("reg.example", "u", "p"), 0644);
    CHECK(find_credentials(env, "reg.example", "a"));
    CHECK(warning.find("readable by other users") != std::string::npos);
    CHECK(warning.find("p") != std::string::npos);                  // names the path...
    CHECK(warning.find(base64_encode("u:p")) == std::string::npos); // ...never the secret
}

TEST_CASE("store and remove credentials: mode 0600, other entries kept", "[auth]") {
    TempDir dir;
    auto path = (dir.path / "sub/auth.json").string();
    store_credentials(path, "one.example", {"alice", "pw1", ""});
    store_credentials(path, "two.example:5000", {"bob", "pw2", ""});
    struct stat st {};
    REQUIRE(::stat(path.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
    AuthEnvironment env;
    env.auth_file = path;
    CHECK(find_credentials(env, "one.example", "x")->password == "pw1");
    CHECK(find_credentials(env, "two.example:5000", "x")->username == "bob");
    CHECK(remove_credentials(path, "one.example"));
    CHECK_FALSE(remove_credentials(path, "one.example"));
    CHECK_FALSE(find_credentials(env, "one.example", "x"));
    CHECK(find_credentials(env, "two.example:5000", "x"));
}

TEST_CASE("from_process reads the environment; write_file follows the same order", "[auth]") {
    TempDir dir;
    ScopedEnv xdg("XDG_RUNTIME_DIR", (dir.path / "run").string());
    ScopedEnv reg("REGISTRY_AUTH_FILE", (dir.path / "reg.json").string());
    ckimg::RegistryOptions options;
    auto env = AuthEnvironment::from_process(options);
    CHECK(env.xdg_runtime_dir == (dir.path / "run").string());
    CHECK(env.write_file() == (dir.path / "reg.json").string());
    env.registry_auth_file.clear();
    CHECK(env.write_file() == (dir.path / "run/containers/auth.json").string());
    options.auth_file = "/explicit.json";
    CHECK(AuthEnvironment::from_process(options).write_file() == "/explicit.json");
}
