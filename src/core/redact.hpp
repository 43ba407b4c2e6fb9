// Secrets that a server quotes back (an error body echoing the request) kept out of messages.
#pragma once

#include <string>
#include <string_view>

namespace ckimg {

// `text` with every occurrence of `secret` replaced by `marker`; the search resumes after each
// marker, so a marker that contains the secret cannot loop. An empty secret changes nothing.
inline std::string replace_secret(std::string text, std::string_view secret,
                                  std::string_view marker) {
    if (secret.empty()) return text;
    for (auto at = text.find(secret); at != std::string::npos;
         at = text.find(secret, at + marker.size()))
        text.replace(at, secret.size(), marker);
    return text;
}

} // namespace ckimg
