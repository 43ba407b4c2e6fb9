#include "cli/build_flags.hpp"
#include "cli/command.hpp"

#include <ckimg/error.hpp>
#include <ckimg/kubelet.hpp>

#include <sys/stat.h>

#include <cstdlib>

namespace ckimg::cli {

namespace {

// Where a pod's service account token is mounted: used when no credential is given, as
// client-go's in-cluster configuration does. $CKIMG_SERVICE_ACCOUNT_TOKEN_FILE names another
// place (a projected token mounted elsewhere; the tests' stand-in for a pod).
constexpr const char* service_account_token = "/var/run/secrets/kubernetes.io/serviceaccount/token";

std::string service_account_token_file() {
    const char* path = std::getenv("CKIMG_SERVICE_ACCOUNT_TOKEN_FILE");
    return path != nullptr && *path != '\0' ? path : service_account_token;
}

struct CheckpointFlags {
    std::string target;
    KubeletOptions kubelet;
    bool remove_archive = false;
    BuildFlags build;
};

void default_credentials(KubeletOptions& kubelet) {
    if (!kubelet.cert_file.empty() || !kubelet.token_file.empty()) return;
    auto token = service_account_token_file();
    struct stat st {};
    if (::stat(token.c_str(), &st) == 0) kubelet.token_file = token;
}

int run_checkpoint(const CheckpointFlags& flags, const CancelToken* cancel) {
    KubeletCheckpointOptions options;
    options.target = PodContainer::parse(flags.target);
    options.kubelet = flags.kubelet;
    default_credentials(options.kubelet);
    options.remove_archive = flags.remove_archive;
    // Every flag is checked before the kubelet is asked: a checkpoint pauses the container.
    options.build = to_build_options(flags.build, "", cancel);
    ProgressDisplay progress(!flags.build.json && !flags.build.quiet);
    auto result = checkpoint_container(
        options, command_context(cancel, flags.build.registry, progress.callback()));
    nlohmann::json extra = {{"archive", result.archive},
                            {"container", options.target.str()},
                            {"removed", result.removed}};
    if (!flags.build.json && !flags.build.quiet)
        print_human("Checkpoint archive " + printable(result.archive));
    report_build(result.build, flags.build, extra);
    if (!result.remove_error.empty()) {
        print_human("ckimg: " + printable(result.remove_error));
        return 1;
    }
    if (result.removed && !flags.build.json && !flags.build.quiet)
        print_human("Removed " + printable(result.archive));
    return 0;
}

} // namespace

void add_checkpoint_command(CLI::App& app, Invocation& invocation) {
    auto flags = std::make_shared<CheckpointFlags>();
    auto* cmd = app.add_subcommand(
        "checkpoint", "Checkpoint a running container through the kubelet, then build (and push)");
    cmd->footer(
        "Examples:\n  ckimg checkpoint default/counters/counter --kubelet https://node-1:10250 \\\n"
        "      --cert admin.crt --key admin.key --ca-file kubelet-ca.crt \\\n"
        "      --push registry.example.com/ckpt/counter:v1\n"
        "  ckimg checkpoint default/counters/counter --token-file /var/run/secrets/"
        "kubernetes.io/serviceaccount/token --push registry.example.com/ckpt/counter:v1 --rm\n"
        "--ca-file, --cert and --key are the kubelet's; the registry's are --registry-ca-file,\n"
        "--registry-cert and --registry-key. Without --cert or --token-file, a pod's service\n"
        "account token is used when mounted ($CKIMG_SERVICE_ACCOUNT_TOKEN_FILE, default\n"
        "/var/run/secrets/kubernetes.io/serviceaccount/token).");
    cmd->add_option("container", flags->target, "The container, NAMESPACE/POD/CONTAINER")
        ->required();
    // Build's first: its registry --ca-file, --cert and --key become --registry-*, and these
    // names are the kubelet's.
    add_build_flags(*cmd, flags->build, "registry-");
    cmd->add_option("--kubelet", flags->kubelet.url, "The kubelet's URL (default the local one)")
        ->envname("CKIMG_KUBELET")
        ->default_str(flags->kubelet.url);
    cmd->add_option("--cert", flags->kubelet.cert_file, "Client certificate for the kubelet (PEM)")
        ->envname("CKIMG_KUBELET_CERT");
    cmd->add_option("--key", flags->kubelet.key_file, "Its key (PEM)")
        ->envname("CKIMG_KUBELET_KEY");
    cmd->add_option("--token-file", flags->kubelet.token_file,
                    "Bearer token for the kubelet (e.g. a service account's), read from FILE")
        ->envname("CKIMG_KUBELET_TOKEN_FILE");
    cmd->add_option("--ca-file", flags->kubelet.ca_file,
                    "Trust the CA certificates in FILE for the kubelet too")
        ->envname("CKIMG_KUBELET_CA_FILE");
    cmd->add_flag("--kubelet-insecure-tls", flags->kubelet.insecure_tls,
                  "Do not verify the kubelet's certificate (a token could go to anyone)");
    cmd->add_option("--kubelet-timeout", flags->kubelet.timeout_seconds,
                    "Seconds the runtime may take to checkpoint (?timeout=; default the "
                    "kubelet's); ckimg waits 30 s more for the answer")
        ->check(CLI::Range(1, 86400));
    cmd->add_option("--checkpoints-dir", flags->kubelet.checkpoints_dir,
                    "Where the kubelet writes checkpoints, as mounted here")
        ->default_str(flags->kubelet.checkpoints_dir);
    cmd->add_flag("--rm", flags->remove_archive,
                  "Remove the archive once the registry has the image (needs --push)");
    cmd->callback([flags, &invocation] {
        invocation.run = [flags, cancel = invocation.cancel] {
            return run_checkpoint(*flags, cancel);
        };
    });
}

} // namespace ckimg::cli
