// inspect: an archive is validated as a build would read it (streaming, nothing kept); an image
// is resolved to its manifest, its config read for the platform, and the detected format asked
// for the checkpoint facts it records (Format::describe reads only small blobs).
#include <ckimg/compression.hpp>
#include <ckimg/encryption.hpp>
#include <ckimg/error.hpp>
#include <ckimg/format.hpp>
#include <ckimg/inspect.hpp>
#include <ckimg/media_types.hpp>
#include <ckimg/transport.hpp>

#include "core/checked_math.hpp"
#include "core/json_limits.hpp"

#include <filesystem>
#include <limits>

namespace fs = std::filesystem;

namespace ckimg {

namespace {

bool ends_with(const std::string& text, const std::string& suffix) {
    return text.size() >= suffix.size() &&
           text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// A name the user meant as a file: a path, or an archive's usual suffix. Such a name is never
// sent to a registry when the file is missing ("ck.tar" is also a valid Docker Hub reference).
bool looks_like_path(const std::string& target) {
    for (const char* prefix : {"/", "./", "../", "~"})
        if (target.rfind(prefix, 0) == 0) return true;
    for (const char* suffix : {".tar", ".tar.gz", ".tgz", ".tar.zst", ".tzst", ".gz", ".zst"})
        if (ends_with(target, suffix)) return true;
    return false;
}

bool is_archive_target(const std::string& target) {
    if (target == "-") return true;
    if (is_local_target(target) || target.rfind("docker://", 0) == 0) return false;
    std::error_code error;
    auto status = fs::status(target, error);
    if (fs::is_directory(status))
        throw UsageError(target + " is a directory; for an OCI layout write oci:" + target);
    if (fs::exists(status)) return true;
    if (looks_like_path(target)) throw InputError(target + ": no such file");
    return false;
}

// The config's platform and creation time, when the config is an image config.
void read_config(ImageSource& source, const ResolvedImage& image, ImageFacts& facts) {
    const auto& type = image.config.media_type;
    if (type != media_type::oci_config && type != "application/vnd.docker.container.image.v1+json")
        return; // an artifact's config (or the empty descriptor): nothing to learn there
    auto config = parse_untrusted_json(source.read_blob(image.config),
                                       source.describe() + ": config " + image.config.digest.str());
    if (!config.is_object()) throw InputError(source.describe() + ": config is not an object");
    auto text = [&](const char* key) {
        auto it = config.find(key);
        return it != config.end() && it->is_string() ? it->get<std::string>() : std::string();
    };
    facts.created = text("created");
    if (!text("os").empty() && !text("architecture").empty())
        facts.platform = Platform{text("os"), text("architecture"), text("variant")};
}

nlohmann::json descriptor_json(const Descriptor& descriptor) {
    return {{"digest", descriptor.digest.str()},
            {"mediaType", descriptor.media_type},
            {"size", descriptor.size}};
}

nlohmann::json image_json(const ImageFacts& facts) {
    auto layers = nlohmann::json::array();
    std::int64_t layers_size = 0;
    for (const auto& layer : facts.layers) {
        auto json = descriptor_json(layer);
        auto compression = layer_compression(layer.media_type);
        json["compression"] = compression ? nlohmann::json(*compression) : nlohmann::json();
        json["encryption"] = nullptr;
        if (auto encryption = layer_encryption_info(layer, facts.name + ": layer " +
                                                               layer.digest.str().substr(0, 19)))
            json["encryption"] = {{"cipher", encryption->cipher},
                                  {"recipients", encryption->recipients}};
        if (!facts.decrypted_layers.empty() && !json["encryption"].is_null()) {
            const auto& plain = facts.decrypted_layers[layers.size()];
            json["encryption"]["decrypted"] = {{"digest", plain.digest.str()},
                                               {"mediaType", plain.media_type}};
        }
        layers.push_back(json);
        // Sizes are the manifest's: two of 2^63-1 must not add up to -2.
        auto sum = checked_add<std::int64_t>(layers_size, layer.size);
        if (!sum)
            throw InputError(facts.name + ": the layers' sizes add up to more than " +
                             std::to_string(std::numeric_limits<std::int64_t>::max()) + " bytes");
        layers_size = *sum;
    }
    auto optional = [](const std::string& text) {
        return text.empty() ? nlohmann::json() : nlohmann::json(text);
    };
    return {{"name", facts.name},
            {"digest", facts.root.digest.str()},
            {"mediaType", facts.root.media_type},
            {"size", facts.root.size},
            {"manifest", descriptor_json(facts.manifest)},
            {"config", descriptor_json(facts.config)},
            {"layers", layers},
            {"layersSize", layers_size},
            {"platform", facts.platform ? nlohmann::json(facts.platform->str()) : nullptr},
            {"created", optional(facts.created)},
            {"artifactType", facts.artifact_type ? nlohmann::json(*facts.artifact_type) : nullptr},
            {"annotations", to_json(facts.annotations)},
            {"indexAnnotations", to_json(facts.index_annotations)},
            {"format", optional(facts.format)}};
}

// An image records no sizes or times unless its format does: what it leaves at zero or empty
// is unknown, not zero, and shows as null.
nlohmann::json image_checkpoint_json(const CheckpointInfo& info) {
    auto json = to_json(info);
    for (const char* key : {"entries", "size", "criuDumpSize", "memoryPagesSize", "rootfsDiffSize"})
        if (json[key] == 0) json[key] = nullptr;
    for (auto& [key, value] : json.items())
        if (value.is_string() && value.get<std::string>().empty()) value = nullptr;
    return json;
}

} // namespace

std::optional<std::string> layer_compression(const std::string& media_type) {
    if (auto known = compression_of_media_type(media_type)) return to_string(*known);
    return std::nullopt;
}

namespace {

ImageFacts image_facts(ImageSource& source, const ResolvedImage& image) {
    ImageFacts facts;
    facts.name = source.describe();
    facts.root = source.root();
    facts.root.annotations.clear(); // a layout's tag is not part of the image
    facts.manifest = image.manifest_descriptor;
    facts.config = image.config;
    facts.layers = image.layers;
    facts.annotations = image.manifest_annotations;
    facts.index_annotations = image.index_annotations;
    if (auto it = image.manifest.find("artifactType");
        it != image.manifest.end() && it->is_string())
        facts.artifact_type = it->get<std::string>();
    if (!image.indexes.empty()) facts.platform = image.manifest_descriptor.platform;
    read_config(source, image, facts);
    if (const auto* format = detect_format(image.manifest)) facts.format = format->name();
    return facts;
}

std::optional<CheckpointInfo> describe_checkpoint(ImageSource& source, const ResolvedImage& image) {
    if (const auto* format = detect_format(image.manifest)) return format->describe(source, image);
    return std::nullopt;
}

} // namespace

InspectReport inspect_image(ImageSource& source, const std::optional<Platform>& platform) {
    auto image = resolve_image(source, platform);
    InspectReport report;
    report.image = image_facts(source, image);
    report.target = report.image->name;
    report.checkpoint = describe_checkpoint(source, image);
    return report;
}

InspectReport inspect(const std::string& target, const InspectOptions& options,
                      const Context& context) {
    InspectReport report;
    report.target = target;
    if (is_archive_target(target)) {
        report.checkpoint = validate_checkpoint(target, 0, context.cancel);
        return report;
    }
    auto source = open_image_source(target, options.registry, context);
    auto image = resolve_image(*source, options.platform);
    report.image = image_facts(*source, image);
    if (options.decryption.keys.empty()) {
        report.checkpoint = describe_checkpoint(*source, image);
        return report;
    }
    // The facts are the encrypted image's (what the registry holds); the checkpoint is described
    // once, from the decrypted layers.
    auto plain = decrypting_source(std::move(source), options.decryption);
    auto plain_image = resolve_image(*plain, options.platform);
    report.image->decrypted_layers = plain_image.layers;
    report.checkpoint = describe_checkpoint(*plain, plain_image);
    return report;
}

nlohmann::json to_json(const InspectReport& report) {
    nlohmann::json json = {{"target", report.target},
                           {"type", report.image ? "image" : "archive"},
                           {"image", nullptr},
                           {"checkpoint", nullptr}};
    if (report.image) json["image"] = image_json(*report.image);
    if (report.checkpoint)
        json["checkpoint"] =
            report.image ? image_checkpoint_json(*report.checkpoint) : to_json(*report.checkpoint);
    return json;
}

} // namespace ckimg
