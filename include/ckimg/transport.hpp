// Image locations on the command line: "oci:DIR[:REF]", "oci-archive:FILE[:REF]".
//
// The rule of containers/image (skopeo, Podman, buildah; containers-transports(5)): the path
// ends at the FIRST colon, and everything after it is the image's reference, stored as (and
// matched against) the layout's org.opencontainers.image.ref.name. So
// "oci-archive:ck.tar:localhost/counter:v1" is the file "ck.tar" holding the image
// "localhost/counter:v1". A path that contains a colon cannot be named (as in skopeo).
#pragma once

#include <optional>
#include <string>

namespace ckimg {

struct LocalTarget {
    enum class Kind { layout, archive } kind = Kind::layout;
    std::string path;
    // The image's reference: a bare tag ("v1") or a full name ("localhost/counter:v1");
    // empty when not given.
    std::string tag;
};

// Parses "oci:DIR[:REF]" or "oci-archive:FILE[:REF]"; throws UsageError otherwise, and when the
// text names an existing path with a colon that the rule above would cut (earlier ckimg ended the
// path at the last colon).
LocalTarget parse_local_target(const std::string& text);
bool is_local_target(const std::string& text);

// Whether `ref` is a valid org.opencontainers.image.ref.name (image-spec annotations.md).
bool valid_image_ref(const std::string& ref);
// Whether `ref` is a bare tag ("v1", "latest") rather than a name with a repository.
bool is_bare_tag(const std::string& ref);
// The registry tag a reference carries: a bare tag itself; for a full name the tag after its
// last path component ("localhost/counter:v1" -> "v1"), "latest" when it has none, empty for
// a name pinned by digest only.
std::string tag_of_image_ref(const std::string& ref);

// The annotation `podman load` and containerd's import name an image after (before ref.name,
// which they would read as a name: a bare tag "v1" loads as "localhost/v1:latest").
inline constexpr const char* kContainerdImageName = "io.containerd.image.name";
// The full name an image tagged `ref` in a layout or an OCI archive gets in
// io.containerd.image.name: `ref` itself when it is a full name, else `repository:ref`
// ("localhost/ctr-checkpoint", "localhost:5000/team/counter"); empty for a bare tag without
// a repository.
std::string image_load_name(const std::string& ref, const std::string& repository);

} // namespace ckimg
