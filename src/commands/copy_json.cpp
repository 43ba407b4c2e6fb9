// The --json of push, pull and copy: one schema per result type, built here so that the CLI and
// build --push's "push" print the same fields (README, "Machine-readable output").
#include <ckimg/copy.hpp>
#include <ckimg/pull.hpp>
#include <ckimg/registry.hpp>

namespace ckimg {

namespace {

nlohmann::json root_json(const Descriptor& root) {
    return {{"digest", root.digest.str()}, {"mediaType", root.media_type}, {"size", root.size}};
}

} // namespace

nlohmann::json to_json(const PushResult& result) {
    auto json = root_json(result.root);
    json["reference"] = result.reference;
    json["pushed"] = result.pushed;
    json["skipped"] = result.skipped;
    json["mounted"] = result.mounted;
    json["bytes"] = result.bytes;
    return json;
}

nlohmann::json to_json(const PullResult& result) {
    auto json = root_json(result.root);
    json["source"] = result.source;
    json["destination"] = result.destination;
    json["manifests"] = result.manifests;
    json["copied"] = result.copied;
    json["present"] = result.present;
    json["bytes"] = result.bytes;
    return json;
}

nlohmann::json to_json(const CopyResult& result) {
    auto json = root_json(result.root);
    json["source"] = result.source;
    json["destination"] = result.destination;
    json["manifests"] = result.manifests;
    json["copied"] = result.copied;
    json["present"] = result.present;
    json["mounted"] = result.mounted;
    json["bytes"] = result.bytes;
    return json;
}

} // namespace ckimg
