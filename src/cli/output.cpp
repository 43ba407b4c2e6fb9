#include "cli/command.hpp"
#include "core/hex.hpp"

#include <cstdio>
#include <iostream>

namespace ckimg::cli {

void print_json(const nlohmann::json& json) {
    std::cout << json.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
    std::cout.flush();
}

std::string printable(const std::string& text) {
    std::string out;
    auto escape = [&](unsigned char byte) { out += hex_escape(byte); };
    std::size_t i = 0;
    while (i < text.size()) {
        auto lead = static_cast<unsigned char>(text[i]);
        if (lead < 0x80) {
            if (lead < 0x20 || lead == 0x7f)
                escape(lead);
            else
                out += text[i];
            ++i;
            continue;
        }
        // Well-formed UTF-8 passes, except the C1 controls (U+0080-U+009F: "\xc2\x9b" is CSI
        // to many terminals); anything else is shown byte by byte.
        std::size_t length = lead >= 0xc2 && lead <= 0xdf   ? 2
                             : lead >= 0xe0 && lead <= 0xef ? 3
                             : lead >= 0xf0 && lead <= 0xf4 ? 4
                                                            : 0;
        bool ok = length != 0 && i + length <= text.size();
        for (std::size_t k = 1; ok && k < length; ++k)
            ok = (static_cast<unsigned char>(text[i + k]) & 0xc0) == 0x80;
        if (ok) {
            auto next = static_cast<unsigned char>(text[i + 1]);
            ok = !(lead == 0xc2 && next < 0xa0) && !(lead == 0xe0 && next < 0xa0) &&
                 !(lead == 0xed && next > 0x9f) && !(lead == 0xf0 && next < 0x90) &&
                 !(lead == 0xf4 && next > 0x8f);
        }
        if (!ok) {
            escape(lead);
            ++i;
            continue;
        }
        out.append(text, i, length);
        i += length;
    }
    return out;
}

void print_human(const std::string& line) {
    std::cerr << printable(line) << '\n';
}

std::string human_size(std::uint64_t bytes) {
    static const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    double value = static_cast<double>(bytes);
    int unit = 0;
    while (value >= 1024 && unit < 4) {
        value /= 1024;
        ++unit;
    }
    char text[32];
    std::snprintf(text, sizeof text, unit == 0 ? "%.0f %s" : "%.1f %s", value, units[unit]);
    return text;
}

} // namespace ckimg::cli
