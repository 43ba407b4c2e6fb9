// The docker-credential-NAME protocol, against a helper script written by the test.
#include "registry/auth_config.hpp"
#include "registry/base64.hpp"
#include "registry/credential_helper.hpp"

#include <ckimg/error.hpp>

#include <catch2/catch.hpp>

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

// A temporary directory on $PATH holding docker-credential-test, which answers per server URL
// and records what it was asked.
class HelperFixture {
public:
    HelperFixture() {
        std::string pattern = (fs::temp_directory_path() / "ckimg-helper-test.XXXXXX").string();
        dir_ = ::mkdtemp(pattern.data());
        auto script = dir_ / "docker-credential-test";
        std::ofstream(script)
            << "#!/bin/sh\n"
               "[ \"$1\" = get ] || exit 2\n"
               "read -r server\n"
               "echo \"$server\" >> \""
            << (dir_ / "asked").string()
            << "\"\n"
               "case \"$server\" in\n"
               "  reg.example) echo "
               "'{\"ServerURL\":\"reg.example\",\"Username\":\"alice\",\"Secret\":\"s3cret\"}' ;;\n"
               "  https://index.docker.io/v1/) echo '{\"Username\":\"hub\",\"Secret\":\"hubpw\"}' "
               ";;\n"
               "  token.example) echo '{\"Username\":\"<token>\",\"Secret\":\"refresh\"}' ;;\n"
               "  broken.example) echo 'garbage' ;;\n"
               "  failing.example) echo 'keychain locked' ; exit 1 ;;\n"
               "  *) echo 'credentials not found in native keychain' ; exit 1 ;;\n"
               "esac\n";
        ::chmod(script.c_str(), 0755);
        if (const char* path = std::getenv("PATH")) old_path_ = path;
        ::setenv("PATH", (dir_.string() + ":" + old_path_.value_or("/usr/bin:/bin")).c_str(), 1);
    }
    ~HelperFixture() {
        if (old_path_)
            ::setenv("PATH", old_path_->c_str(), 1);
        else
            ::unsetenv("PATH");
        fs::remove_all(dir_);
    }
    const fs::path& dir() const { return dir_; }
    std::string asked() const {
        std::ifstream in(dir_ / "asked");
        return std::string(std::istreambuf_iterator<char>(in), {});
    }

private:
    fs::path dir_;
    std::optional<std::string> old_path_;
};

} // namespace

TEST_CASE("a helper's credentials are returned", "[credential-helper]") {
    HelperFixture fixture;
    auto creds = credential_helper_get("test", "reg.example");
    REQUIRE(creds);
    CHECK(creds->username == "alice");
    CHECK(creds->password == "s3cret");
    CHECK(fixture.asked() == "reg.example\n");
}

TEST_CASE("<token> usernames are identity tokens", "[credential-helper]") {
    HelperFixture fixture;
    auto creds = credential_helper_get("test", "token.example");
    REQUIRE(creds);
    CHECK(creds->username.empty());
    CHECK(creds->identity_token == "refresh");
}

TEST_CASE("helper failures", "[credential-helper]") {
    HelperFixture fixture;
    CHECK_FALSE(credential_helper_get("test", "unknown.example"));
    CHECK_THROWS_AS(credential_helper_get("test", "broken.example"), ckimg::RegistryError);
    CHECK_THROWS_AS(credential_helper_get("test", "failing.example"), ckimg::RegistryError);
    CHECK_THROWS_AS(credential_helper_get("does-not-exist", "reg.example"), ckimg::RegistryError);
}

TEST_CASE("credHelpers and credsStore in a docker config", "[credential-helper]") {
    HelperFixture fixture;
    auto config = fixture.dir() / "docker";
    fs::create_directories(config);
    std::ofstream(config / "config.json")
        << R"({"auths":{"plain.example":{"auth":")" << base64_encode("file:pw") << R"("}},)"
        << R"("credHelpers":{"reg.example":"test"},"credsStore":"test"})";
    ::chmod((config / "config.json").c_str(), 0600);
    AuthEnvironment env;
    env.docker_config = config.string();
    CHECK(find_credentials(env, "reg.example", "a")->username == "alice");     // credHelpers
    CHECK(find_credentials(env, "plain.example", "a")->username == "file");    // auths first
    CHECK(find_credentials(env, "docker.io", "library/x")->username == "hub"); // credsStore
    CHECK_FALSE(find_credentials(env, "nowhere.example", "a"));
    CHECK(fixture.asked().find("https://index.docker.io/v1/\n") != std::string::npos);
}
