// ckimg's proposal for a standard checkpoint image (spec/checkpoint-image.md): an OCI image
// manifest with an artifactType, a typed config holding the checkpoint's facts and its entry
// list, and the archive split into component layers (engine metadata, CRIU images, rootfs
// diff, one layer per memory pages image) so that pages deduplicate and fetch separately.
//
// The archive is read once, and the components' entries interleave in it, so the component
// layers are written side by side: at most four are open at once (metadata, criu, rootfs-diff
// and the pages image being copied), each with its own compression thread. Layer tars carry
// zero modification times, so that unchanged memory gives an unchanged blob; the real times
// and the archive's order are in the config's entry list, from which read() merges the layers
// back into the original archive.
#include "formats/oci_checkpoint_format.hpp"
#include "crypto/layer_encryption.hpp"

#include <ckimg/error.hpp>
#include <ckimg/media_types.hpp>

#include "core/json_limits.hpp"
#include "formats/checkpoint_annotations.hpp"
#include "formats/layer_reader.hpp"
#include "formats/oci_checkpoint_config.hpp"
#include "oci/tar_writer.hpp"

#include <algorithm>
#include <array>
#include <unordered_map>

namespace ckimg {

namespace {

using namespace oci_checkpoint;

struct ComponentLayer {
    Role role;
    Layer layer;
};

// The component layers of one build, written side by side. Slots number the layers in the
// order they were begun; finish() puts them in manifest order.
class ComponentLayers {
public:
    explicit ComponentLayers(LayerFactory& factory) : factory_(factory) {}

    // Writes `entry` into its component's layer (a pages image into a layer of its own) and
    // returns that layer's slot.
    std::size_t add(const ArchiveEntry& entry, Role role) {
        if (role == Role::pages) {
            Open pages = begin(role);
            pages.tar->add(entry);
            slots_[pages.slot].layer = end(pages);
            return pages.slot;
        }
        auto& open = open_[static_cast<std::size_t>(role)];
        if (!open) open = begin(role);
        open->tar->add(entry);
        return open->slot;
    }

    // Ends the open layers; returns every layer in manifest order (metadata, criu, rootfs-diff,
    // then the pages images in archive order) and fills `index_of_slot`.
    std::vector<ComponentLayer> finish(std::vector<std::size_t>& index_of_slot) {
        for (auto& open : open_)
            if (open) slots_[open->slot].layer = end(*open);
        std::vector<std::size_t> order(slots_.size());
        for (std::size_t i = 0; i < order.size(); ++i)
            order[i] = i;
        std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
            return slots_[a].role < slots_[b].role;
        });
        std::vector<ComponentLayer> layers;
        index_of_slot.assign(slots_.size(), 0);
        for (std::size_t slot : order) {
            index_of_slot[slot] = layers.size();
            layers.push_back(slots_[slot]);
        }
        return layers;
    }

private:
    struct Open {
        std::unique_ptr<LayerFactory::Stream> stream;
        std::unique_ptr<TarWriter> tar; // declared after the stream it writes into
        std::size_t slot = 0;
    };

    Open begin(Role role) {
        Open open;
        open.stream =
            role == Role::metadata ? factory_.begin_descriptive_layer() : factory_.begin_layer();
        open.tar = std::make_unique<TarWriter>(open.stream->tar());
        open.slot = slots_.size();
        slots_.push_back({role, Layer{}});
        return open;
    }

    Layer end(Open& open) {
        open.tar->finish();
        Layer layer = open.stream->finish();
        // The role's media type replaces the factory's, keeping "+encrypted" last.
        bool encrypted = is_encrypted_media_type(layer.descriptor.media_type);
        auto compression =
            compression_of_media_type(decrypted_media_type(layer.descriptor.media_type));
        layer.descriptor.media_type =
            layer_media_type(slots_[open.slot].role, compression.value_or(Compression::none));
        if (encrypted)
            layer.descriptor.media_type = encrypted_media_type(layer.descriptor.media_type);
        return layer;
    }

    LayerFactory& factory_;
    std::array<std::optional<Open>, 3> open_; // metadata, criu, rootfs-diff
    std::vector<ComponentLayer> slots_;
};

// Routes every entry of the archive into its component layer and records it.
std::vector<EntryRecord> split_archive(CheckpointArchive& archive, ComponentLayers& layers) {
    std::vector<EntryRecord> entries;
    std::unordered_map<std::string, Role> roles; // hard links go where their target went
    archive.scan([&](ArchiveEntry& entry) {
        Role role = entry.type == EntryType::hardlink ? roles.at(entry.link_target)
                                                      : role_of_path(entry.path);
        if (entry.type == EntryType::hardlink && role == Role::pages)
            throw InputError(archive.path() + ": entry \"" + entry.path +
                             "\": a hard link to a memory pages image cannot be split out");
        roles[entry.path] = role;
        ArchiveEntry stored = entry;
        stored.mtime = 0; // recorded in the config; zero in the layer so that content decides
        auto slot = layers.add(stored, role);
        entries.push_back(
            {entry.path, entry.type, entry.mtime, entry.size, entry.link_target, slot});
    });
    return entries;
}

// Checks that the next entry of a layer is the one the config lists.
void check_entry(const EntryRecord& record, const ArchiveEntry* entry, const std::string& where) {
    if (entry == nullptr)
        throw InputError(where + ": ends before entry \"" + record.path + "\" the config lists");
    if (entry->path != record.path || entry->type != record.type ||
        (record.type == EntryType::file && entry->size != record.size) ||
        entry->link_target != record.link_target)
        throw InputError(where + ": entry \"" + entry->path + "\" is not the entry \"" +
                         record.path + "\" the config lists next");
}

ParsedConfig read_config(ImageSource& source, const ResolvedImage& image) {
    auto where = source.describe() + ": checkpoint config";
    return parse_config(parse_untrusted_json(source.read_blob(image.config), where), image.layers,
                        where);
}

class OciCheckpointFormat : public Format {
public:
    std::string name() const override { return "oci-checkpoint"; }
    std::string description() const override {
        return std::string("proposed standard (spec/checkpoint-image.md, ") + kSpecVersion +
               "): artifactType " + kArtifactType +
               ", typed config, one layer per component (metadata, CRIU images, rootfs diff, "
               "memory pages); no runtime restores it yet: convert to crio or podman";
    }

    ImagePlan write(CheckpointArchive& archive, LayerFactory& factory,
                    const FormatOptions& options) const override {
        ComponentLayers components(factory);
        auto entries = split_archive(archive, components);
        std::vector<std::size_t> index_of_slot;
        auto layers = components.finish(index_of_slot);
        for (auto& entry : entries)
            entry.layer = index_of_slot[entry.layer];

        ImagePlan plan;
        std::vector<LayerRecord> records;
        for (const auto& component : layers) {
            plan.layers.push_back(component.layer);
            records.push_back({component.role, component.layer.diff_id});
        }
        const auto& info = archive.info();
        auto created = image_created_time(info, options);
        plan.platform = image_platform(info, options);
        plan.config_media_type = kConfigMediaType;
        plan.config = make_config(info, plan.platform, created, records, entries);
        plan.artifact_type = kArtifactType;
        plan.manifest_annotations = make_annotations(info, created);
        for (const auto& [key, value] : options.extra_annotations)
            plan.manifest_annotations[key] = value;
        link_base_image(plan, info, options);
        return plan;
    }

    bool detect(const nlohmann::json& manifest) const override {
        auto text = [](const nlohmann::json& object, const char* key) {
            return object.is_object() && object.contains(key) && object[key].is_string()
                       ? object[key].get<std::string>()
                       : std::string();
        };
        return text(manifest, "artifactType") == kArtifactType ||
               (manifest.contains("config") &&
                text(manifest["config"], "mediaType") == kConfigMediaType);
    }

    void read(ImageSource& source, const ResolvedImage& image, ByteSink& archive) const override {
        auto config = read_config(source, image);
        // Each layer is opened at its first entry and closed (read to its end, digests
        // checked) after its last, so only the components still needed hold a stream.
        std::vector<std::size_t> last(image.layers.size(), 0);
        for (std::size_t i = 0; i < config.entries.size(); ++i)
            last[config.entries[i].layer] = i;
        std::vector<std::unique_ptr<LayerReader>> readers(image.layers.size());
        TarWriter tar(archive);
        for (std::size_t i = 0; i < config.entries.size(); ++i) {
            const auto& record = config.entries[i];
            auto& reader = readers[record.layer];
            const auto& blob = image.layers[record.layer];
            if (!reader)
                reader =
                    std::make_unique<LayerReader>(source, blob, config.layers[record.layer].diff_id,
                                                  describe_layer(source, blob));
            ArchiveEntry* entry = reader->next();
            check_entry(record, entry, reader->where());
            entry->mtime = record.mtime;
            tar.add(*entry);
            if (last[record.layer] != i) continue;
            if (ArchiveEntry* extra = reader->next())
                throw InputError(reader->where() + ": entry \"" + extra->path +
                                 "\" is not in the config's entry list");
            reader->finish();
            reader.reset();
        }
        tar.finish();
    }

    // Everything inspect shows is in the config: no layer is fetched.
    CheckpointInfo describe(ImageSource& source, const ResolvedImage& image) const override {
        return read_config(source, image).info;
    }

    // The metadata layer, as ComponentLayers begins it.
    bool is_descriptive_layer(const Descriptor& layer) const override {
        auto type = decrypted_media_type(layer.media_type);
        auto compression = compression_of_media_type(type);
        return compression && type == layer_media_type(Role::metadata, *compression);
    }
};

} // namespace

const Format& oci_checkpoint_format() {
    static const OciCheckpointFormat format;
    return format;
}

} // namespace ckimg
