// The HTTP side of `ckimg checkpoint`: one POST to the kubelet, its answer read as the API's
// JSON or turned into one line that says what to do. The kubelet double in
// tests/e2e/lib/kubelet_double.py answers as pkg/kubelet/server/server.go does.
#include "core/redact.hpp"
#include "registry/http_client.hpp"
#include "registry/url.hpp"

#include <ckimg/error.hpp>
#include <ckimg/kubelet.hpp>
#include <ckimg/registry.hpp>

#include <cctype>
#include <chrono>
#include <condition_variable>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

namespace ckimg {

namespace {

constexpr std::size_t max_token = std::size_t{64} * 1024;
constexpr std::size_t max_answer = std::size_t{64} * 1024;
constexpr long answer_margin_seconds = 30;
constexpr long kubelet_default_timeout_seconds = 120; // the kubelet's runtime-request-timeout

std::string read_token(const std::string& file) {
    std::ifstream in(file, std::ios::binary);
    if (!in) throw IoError(errno_message("cannot read the token file " + file));
    std::string token(max_token + 1, '\0');
    in.read(token.data(), static_cast<std::streamsize>(token.size()));
    token.resize(static_cast<std::size_t>(in.gcount()));
    if (token.size() > max_token)
        throw InputError("token file " + file + " is larger than 64 KiB: not a token");
    while (!token.empty() && std::isspace(static_cast<unsigned char>(token.back())))
        token.pop_back();
    if (token.empty()) throw InputError("token file " + file + " is empty");
    for (char c : token) // it goes into a header line: no CR/LF, nothing invisible
        if (c <= ' ' || c == 0x7f)
            throw InputError("token file " + file + " holds more than one token-like word");
    return token;
}

std::string credentials_used(const KubeletOptions& options) {
    if (!options.cert_file.empty()) return "the client certificate " + options.cert_file;
    if (!options.token_file.empty()) return "the token in " + options.token_file;
    return "no credentials (anonymous; give --cert/--key or --token-file)";
}

// What the kubelet wrote, fit for one line of ours: short, and never the token even when a
// confused or hostile kubelet echoes the request.
std::string quoted(std::string text, const std::string& token) {
    text = replace_secret(std::move(text), token, "<token>");
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())))
        text.pop_back();
    if (text.size() > 300) text = text.substr(0, 300) + "...";
    return "\"" + text + "\"";
}

[[noreturn]] void throw_status(const registry::HttpResponse& response, const PodContainer& target,
                               const KubeletOptions& options, const std::string& token) {
    const std::string where = "kubelet " + registry::redact_url(options.url);
    const std::string said = "; the kubelet said " + quoted(response.body, token);
    const long status = response.status;
    switch (status) {
    case 401:
        throw RegistryError(where + " did not accept " + credentials_used(options) +
                                " (401 Unauthorized): it must trust the certificate's CA "
                                "(--client-ca-file) or, for a token, have webhook "
                                "authentication on" +
                                said,
                            status);
    case 403:
        throw RegistryError(where + " authenticated " + credentials_used(options) +
                                " but refused it (403 Forbidden): grant verb \"create\" on "
                                "resource \"nodes/checkpoint\" (a ClusterRole, see "
                                "examples/kubernetes/rbac.yaml)" +
                                said,
                            status);
    case 404:
        if (response.body.find("pod does not exist") != std::string::npos)
            throw RegistryError(where + " runs no pod " + target.pod_namespace + "/" + target.pod +
                                    " (404; is the pod on this node?)",
                                status);
        if (response.body.find("container") != std::string::npos &&
            response.body.find("does not exist") != std::string::npos)
            throw RegistryError(where + ": pod " + target.pod_namespace + "/" + target.pod +
                                    " has no container \"" + target.container + "\" (404)",
                                status);
        throw RegistryError(where +
                                " has no checkpoint API (404): the ContainerCheckpoint "
                                "feature gate is off (on by default from Kubernetes 1.30), "
                                "or no such pod or container" +
                                said,
                            status);
    case 500: {
        bool deadline = response.body.find("DeadlineExceeded") != std::string::npos ||
                        response.body.find("deadline exceeded") != std::string::npos;
        throw RegistryError(
            where + ": the runtime could not checkpoint " + target.str() +
                (deadline ? " in time (500; a longer --kubelet-timeout may help)" : " (500)") +
                said,
            status);
    }
    default:
        throw RegistryError(where + " answered HTTP " + std::to_string(status) + said, status);
    }
}

std::string archive_path(const std::string& body, const std::string& where) {
    nlohmann::json json;
    try {
        json = nlohmann::json::parse(body);
    } catch (const nlohmann::json::exception&) {
        throw InputError(where + " answered with something that is not JSON; expected "
                                 "{\"items\":[\"PATH\"]}");
    }
    if (!json.is_object() || !json.contains("items") || !json["items"].is_array() ||
        json["items"].size() != 1 || !json["items"][0].is_string() ||
        json["items"][0].get<std::string>().empty())
        throw InputError(where + " answered JSON that is not the checkpoint API's "
                                 "{\"items\":[\"PATH\"]}");
    return json["items"][0].get<std::string>();
}

std::shared_ptr<const registry::HttpSettings> settings_for(const KubeletOptions& options,
                                                           const registry::Url& url, bool trace) {
    RegistryOptions tls;
    tls.insecure = options.insecure_tls;
    tls.ca_file = options.ca_file;
    tls.cert_file = options.cert_file;
    tls.key_file = options.key_file;
    // /dev/null/HOST:PORT is never a directory: the registries' certificates in certs.d are not
    // the kubelet's, and no registry client certificate goes to it.
    tls.certs_dir_root = "/dev/null";
    auto settings = std::make_shared<registry::HttpSettings>();
    settings->tls = std::make_shared<registry::TlsPolicy>(tls, url.host_port());
    long runtime =
        options.timeout_seconds > 0 ? options.timeout_seconds : kubelet_default_timeout_seconds;
    settings->stall_timeout_seconds = runtime + answer_margin_seconds;
    settings->verbose = trace;
    return settings;
}

// The whole wait for the answer is bounded, not only a stall (a kubelet that dribbles a byte a
// minute must not hold ckimg forever): a timer cancels the client's token, a child of the
// caller's, at the deadline. The caller's own cancel reaches the client through the parent.
class Deadline {
public:
    Deadline(std::chrono::seconds limit, const CancelToken* parent)
        : end_(std::chrono::steady_clock::now() + limit), stop_(parent),
          timer_([this] { wait(); }) {}
    ~Deadline() {
        {
            std::lock_guard lock(mutex_);
            done_ = true;
        }
        wake_.notify_all();
        timer_.join();
    }
    Deadline(const Deadline&) = delete;
    Deadline& operator=(const Deadline&) = delete;
    const CancelToken* token() const { return &stop_; }
    bool passed() const { return std::chrono::steady_clock::now() >= end_; }

private:
    void wait() {
        std::unique_lock lock(mutex_);
        if (!wake_.wait_until(lock, end_, [this] { return done_; })) stop_.cancel();
    }

    std::chrono::steady_clock::time_point end_;
    CancelToken stop_;
    std::mutex mutex_;
    std::condition_variable wake_;
    bool done_ = false;
    std::thread timer_;
};

} // namespace

std::string request_checkpoint(const PodContainer& target, const KubeletOptions& options,
                               const Context& context) {
    auto url = registry::Url::parse(options.url);
    if (url.scheme() != "https")
        throw UsageError("--kubelet " + registry::redact_url(options.url) +
                         ": the kubelet serves its API over https only");
    if (!options.cert_file.empty() && !options.token_file.empty())
        throw UsageError("give either --cert/--key or --token-file, not both");
    std::string token = options.token_file.empty() ? "" : read_token(options.token_file);
    auto settings = settings_for(options, url, context.trace);
    Deadline deadline(std::chrono::seconds(settings->stall_timeout_seconds), context.cancel);
    registry::HttpClient client(settings, deadline.token());

    registry::HttpRequest request;
    request.method = "POST";
    request.url = url.origin() + "/checkpoint/" + target.str();
    if (options.timeout_seconds > 0)
        request.url += "?timeout=" + std::to_string(options.timeout_seconds);
    request.headers.push_back("Accept: application/json");
    if (!token.empty()) request.headers.push_back("Authorization: Bearer " + token);
    request.max_response = max_answer;
    const std::string where = "kubelet " + url.origin();

    registry::HttpResponse response;
    try {
        response = client.send(request);
    } catch (const Cancelled&) {
        if (context.cancelled()) throw;
        throw RegistryError(where + " gave no answer to the checkpoint of " + target.str() +
                            " within " + std::to_string(settings->stall_timeout_seconds) +
                            " s (--kubelet-timeout, the runtime's, plus 30 s)");
    } catch (const registry::TransportError& e) {
        if (context.cancelled()) throw Cancelled();
        if (deadline.passed())
            throw RegistryError(where + " gave no answer to the checkpoint of " + target.str() +
                                " within " + std::to_string(settings->stall_timeout_seconds) +
                                " s (--kubelet-timeout, the runtime's, plus 30 s)");
        throw RegistryError(
            "cannot reach " + where + ": " + quoted(e.what(), token) +
            (e.tls_problem() ? " (TLS: give the kubelet's CA with --ca-file)" : ""));
    }
    if (response.status != 200) throw_status(response, target, options, token);
    return archive_path(response.body, where);
}

} // namespace ckimg
