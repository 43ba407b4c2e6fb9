// A repository of an OCI distribution registry as an ImageSource: manifests with GET
// /v2/<name>/manifests/<reference> (size-limited while they arrive, verified), blobs with GET
// /v2/<name>/blobs/<digest> (streamed, verified at the end). Redirects to blob storage are
// followed by RegistryClient, which never sends the registry's credentials to another origin.
#include "registry/registry_source.hpp"

#include "core/json_limits.hpp"
#include "oci/verified_source.hpp"
#include "registry/blob_download.hpp"
#include "registry/registry_client.hpp"
#include "registry/registry_error.hpp"
#include "registry/retry.hpp"

#include <ckimg/error.hpp>
#include <ckimg/media_types.hpp>

namespace ckimg {

namespace {

using registry::HttpRequest;
using registry::HttpResponse;
using registry::RegistryClient;
using registry::RegistrySession;

const std::string kAccept = std::string("Accept: ") + media_type::oci_index + ", " +
                            media_type::oci_manifest + ", " + media_type::docker_manifest_list +
                            ", " + media_type::docker_manifest;

// "application/vnd.oci.image.manifest.v1+json; charset=utf-8" -> without the parameters.
std::string bare_media_type(const std::string& content_type) {
    auto end = content_type.find(';');
    auto type = content_type.substr(0, end);
    while (!type.empty() && type.back() == ' ')
        type.pop_back();
    return type;
}

// The Content-Length header's value; 0 when absent or not a number.
std::uint64_t content_length(const HttpResponse& head) {
    auto text = head.header("content-length").value_or("");
    if (text.empty() || text.size() > 18 || text.find_first_not_of("0123456789") != text.npos)
        return 0;
    return std::stoull(text);
}

class RegistrySource final : public ImageSource {
public:
    RegistrySource(const Reference& reference, const RegistryOptions& options,
                   const Context& context)
        : reference_(reference), name_(reference.str()),
          session_(std::make_shared<RegistrySession>(reference, options, context, false)),
          client_(*session_) {
        client_.probe();
        fetch_root();
    }

    Descriptor root() const override { return root_; }

    std::string read_blob(const Descriptor& blob, std::size_t limit) override {
        check_size_limit(blob, limit, name_);
        if (blob.digest == root_.digest) return root_bytes_; // fetched and checked already
        bool manifest = registry::is_manifest_media_type(blob.media_type);
        std::string body;
        auto url = client_.repo_url((manifest ? "/manifests/" : "/blobs/") + blob.digest.str());
        auto response = get_limited(url, static_cast<std::size_t>(blob.size), body,
                                    name_ + ": blob " + blob.digest.str() + " is larger than the " +
                                        std::to_string(blob.size) + " bytes its descriptor gives");
        if (response.status != 200) throw client_.failure(response, "GET", url);
        verify_bytes(body, blob, name_);
        return body;
    }

    std::unique_ptr<ByteSource> open_blob(const Descriptor& blob) override {
        check_digest_algorithm(blob, name_); // before a download starts for nothing
        return std::make_unique<VerifiedSource>(registry::download_blob(session_, blob, name_),
                                                blob, name_);
    }

    std::string describe() const override { return name_; }
    void cancel() override { session_->cancel.cancel(); }

private:
    // GET with the body kept up to `limit` bytes: a larger answer (by its Content-Length, or as
    // it arrives) aborts the transfer with InputError(`excess`), so that a hostile registry
    // cannot make us hold more.
    HttpResponse get_limited(const std::string& url, std::size_t limit, std::string& body,
                             const std::string& excess) {
        HttpRequest request;
        request.url = url;
        request.headers.push_back(kAccept);
        request.body_sink = [&](const HttpResponse& head, std::string_view piece) {
            if (body.empty() && content_length(head) > limit) throw InputError(excess);
            if (body.size() + piece.size() > limit) throw InputError(excess);
            body.append(piece);
        };
        registry::Backoff backoff(session_->retry_policy(), &session_->cancel);
        return registry::send_with_retries(backoff, [&] {
            body.clear(); // a retried attempt starts over
            return client_.send(request, false);
        });
    }

    void fetch_root() {
        const auto& wanted = reference_.digest.empty() ? reference_.tag : reference_.digest;
        auto url = client_.repo_url("/manifests/" + wanted);
        auto response = get_limited(url, kMaxManifestSize, root_bytes_,
                                    name_ + ": the manifest is larger than the " +
                                        std::to_string(kMaxManifestSize >> 20) + " MiB limit");
        if (response.status != 200) throw client_.failure(response, "GET", url);
        root_.digest = sha256_of(root_bytes_);
        root_.size = static_cast<std::int64_t>(root_bytes_.size());
        if (!reference_.digest.empty() && root_.digest.str() != reference_.digest)
            throw InputError(name_ + ": the registry's manifest hashes to " + root_.digest.str() +
                             ", not to the digest the reference names");
        auto claimed = response.header("docker-content-digest");
        if (claimed && claimed->rfind("sha256:", 0) == 0 && *claimed != root_.digest.str())
            throw InputError(name_ + ": the registry says the manifest is " +
                             registry::quote_network(*claimed) + " but it hashes to " +
                             root_.digest.str());
        root_.media_type = root_media_type(response);
    }

    // The Content-Type, unless it is something generic ("application/json" from old registries
    // and proxies) and the document names its own type.
    std::string root_media_type(const HttpResponse& response) const {
        auto type = bare_media_type(response.header("content-type").value_or(""));
        if (registry::is_manifest_media_type(type)) return type;
        auto json = parse_untrusted_json(root_bytes_, name_ + ": manifest");
        if (json.is_object() && json.contains("mediaType") && json["mediaType"].is_string())
            return json["mediaType"].get<std::string>();
        return type;
    }

    Reference reference_;
    std::string name_;
    std::shared_ptr<RegistrySession> session_;
    RegistryClient client_;
    Descriptor root_;
    std::string root_bytes_;
};

} // namespace

std::unique_ptr<ImageSource> open_registry_source(const Reference& reference,
                                                  const RegistryOptions& options,
                                                  const Context& context) {
    return std::make_unique<RegistrySource>(reference, options, context);
}

} // namespace ckimg
