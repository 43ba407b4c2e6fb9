// The auth-file reader (containers auth.json / docker config.json): lookups for a few registries,
// then login's and logout's rewrite of the file. Credential helpers named by the file cannot run:
// PATH points nowhere.
#include "fuzz_common.hpp"

#include "registry/auth_config.hpp"

#include <cstdio>
#include <filesystem>

namespace {

std::string scratch_dir;

} // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    ::setenv("PATH", "/nonexistent-ckimg-fuzz", 1);
    std::string pattern = (std::filesystem::temp_directory_path() / "ckimg-fuzz-auth-XXXXXX");
    if (::mkdtemp(pattern.data()) == nullptr) std::abort();
    scratch_dir = pattern;
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    ckimg::fuzz::MemoryFile file(data, size);
    ckimg::registry::AuthEnvironment env;
    env.auth_file = file.path();
    env.warn = [](const std::string&) {};
    for (const auto& target : {std::pair{"registry.example.com:5000", "team/app"},
                               {"docker.io", "library/ubuntu"},
                               {"[::1]:5000", "a/b/c"}}) {
        ckimg::fuzz::expect_only_errors(
            [&] { (void)ckimg::registry::find_credentials(env, target.first, target.second); });
    }
    auto copy = scratch_dir + "/auth.json";
    if (auto* out = std::fopen(copy.c_str(), "wb")) {
        std::fwrite(data, 1, size, out);
        std::fclose(out);
    }
    ckimg::fuzz::expect_only_errors([&] {
        ckimg::registry::store_credentials(copy, "registry.example.com", {"user", "pw", ""});
        (void)ckimg::registry::remove_credentials(copy, "registry.example.com");
    });
    std::remove(copy.c_str());
    return 0;
}
