#include <ckimg/media_types.hpp>

#include <string_view>

namespace ckimg {

namespace {

constexpr std::string_view kEncryptedSuffix = "+encrypted";

bool ends_with(const std::string& text, std::string_view suffix) {
    return text.size() >= suffix.size() &&
           text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

} // namespace

std::string layer_media_type(Compression compression) {
    return tar_media_type(media_type::oci_layer_tar, compression);
}

std::string tar_media_type(const std::string& tar_type, Compression compression) {
    switch (compression) {
    case Compression::gzip:
        return tar_type + "+gzip";
    case Compression::zstd:
        return tar_type + "+zstd";
    case Compression::none:
        return tar_type;
    }
    return tar_type;
}

std::optional<Compression> compression_of_media_type(const std::string& media_type) {
    const std::string type = decrypted_media_type(media_type);
    // Docker's names do not follow the suffix rule below.
    if (type == "application/vnd.docker.image.rootfs.diff.tar.gzip" ||
        type == "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip")
        return Compression::gzip;
    if (type == "application/vnd.docker.image.rootfs.diff.tar") return Compression::none;
    if (ends_with(type, ".tar+gzip")) return Compression::gzip;
    if (ends_with(type, ".tar+zstd")) return Compression::zstd;
    if (ends_with(type, ".tar")) return Compression::none;
    return std::nullopt;
}

bool is_encrypted_media_type(const std::string& media_type) {
    return media_type.size() > kEncryptedSuffix.size() && ends_with(media_type, kEncryptedSuffix);
}

std::string encrypted_media_type(const std::string& media_type) {
    return is_encrypted_media_type(media_type) ? media_type
                                               : media_type + std::string(kEncryptedSuffix);
}

std::string decrypted_media_type(const std::string& media_type) {
    return is_encrypted_media_type(media_type)
               ? media_type.substr(0, media_type.size() - kEncryptedSuffix.size())
               : media_type;
}

} // namespace ckimg
