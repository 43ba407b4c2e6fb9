#include <ckimg/error.hpp>
#include <ckimg/kubelet.hpp>

#include <regex>

namespace ckimg {

namespace {

// Kubernetes' DNS-1123 label (namespaces, containers) and subdomain (pods): nothing that could
// change the API path it goes into ("/", "..", "?", "%").
bool is_label(const std::string& text) {
    static const std::regex label("[a-z0-9]([-a-z0-9]*[a-z0-9])?");
    return text.size() <= 63 && std::regex_match(text, label);
}

bool is_subdomain(const std::string& text) {
    static const std::regex subdomain(
        "[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");
    return text.size() <= 253 && std::regex_match(text, subdomain);
}

void check(bool ok, const std::string& text, const char* what, const char* rule) {
    if (!ok)
        throw UsageError("\"" + text + "\": " + what + " is not a Kubernetes name (" + rule + ")");
}

} // namespace

PodContainer PodContainer::parse(const std::string& text) {
    auto first = text.find('/');
    auto second = first == std::string::npos ? first : text.find('/', first + 1);
    if (second == std::string::npos || text.find('/', second + 1) != std::string::npos)
        throw UsageError("\"" + text + "\": expected NAMESPACE/POD/CONTAINER");
    PodContainer out{text.substr(0, first), text.substr(first + 1, second - first - 1),
                     text.substr(second + 1)};
    const char* label = "lowercase letters, digits and '-', at most 63";
    check(is_label(out.pod_namespace), text, "the namespace", label);
    check(is_subdomain(out.pod), text, "the pod",
          "lowercase letters, digits, '-' and '.', at most 253");
    check(is_label(out.container), text, "the container", label);
    return out;
}

std::string PodContainer::str() const {
    return pod_namespace + "/" + pod + "/" + container;
}

} // namespace ckimg
