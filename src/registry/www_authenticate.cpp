#include "registry/www_authenticate.hpp"

#include <cctype>

namespace ckimg::registry {

namespace {

bool is_token_char(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) ||
           std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

std::string lower(std::string_view text) {
    std::string out(text);
    for (auto& c : out)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

class Scanner {
public:
    explicit Scanner(std::string_view text) : text_(text) {}

    bool done() const { return pos_ >= text_.size(); }
    char peek() const { return done() ? '\0' : text_[pos_]; }
    void skip_space() {
        while (!done() && (text_[pos_] == ' ' || text_[pos_] == '\t'))
            ++pos_;
    }
    // Skips spaces and commas; returns how many commas were seen.
    int skip_separators() {
        int commas = 0;
        while (!done() && (peek() == ' ' || peek() == '\t' || peek() == ','))
            commas += text_[pos_++] == ',';
        return commas;
    }
    std::string_view token() {
        auto start = pos_;
        while (!done() && is_token_char(text_[pos_]))
            ++pos_;
        return text_.substr(start, pos_ - start);
    }
    // A quoted-string with backslash escapes, or a bare token (token68 values such as base64
    // may end in '=').
    std::string value() {
        if (peek() != '"') {
            auto start = pos_;
            while (!done() && (is_token_char(peek()) || peek() == '=' || peek() == '/'))
                ++pos_;
            return std::string(text_.substr(start, pos_ - start));
        }
        ++pos_;
        std::string out;
        while (!done() && peek() != '"') {
            if (peek() == '\\' && pos_ + 1 < text_.size()) ++pos_;
            out += text_[pos_++];
        }
        if (!done()) ++pos_; // closing quote
        return out;
    }
    std::size_t position() const { return pos_; }
    void rewind(std::size_t pos) { pos_ = pos; }

private:
    std::string_view text_;
    std::size_t pos_ = 0;
};

// Reads "name=value" pairs until the next challenge starts (a token not followed by '=').
void read_params(Scanner& scan, Challenge& challenge) {
    while (true) {
        scan.skip_separators();
        auto start = scan.position();
        auto name = scan.token();
        if (name.empty()) {
            if (scan.done()) return;
            scan.rewind(start + 1); // stray character: skip it
            continue;
        }
        scan.skip_space();
        if (scan.peek() != '=') {
            scan.rewind(start); // a new scheme
            return;
        }
        scan.rewind(scan.position() + 1);
        scan.skip_space();
        challenge.params[lower(name)] = scan.value();
    }
}

} // namespace

std::vector<Challenge> parse_www_authenticate(std::string_view header) {
    std::vector<Challenge> challenges;
    Scanner scan(header);
    while (true) {
        scan.skip_separators();
        if (scan.done()) break;
        auto scheme = scan.token();
        if (scheme.empty()) {
            scan.rewind(scan.position() + 1);
            continue;
        }
        Challenge challenge{lower(scheme), {}};
        read_params(scan, challenge);
        challenges.push_back(std::move(challenge));
    }
    return challenges;
}

} // namespace ckimg::registry
