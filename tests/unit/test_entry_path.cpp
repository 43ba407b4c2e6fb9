#include "archive/entry_path.hpp"

#include <ckimg/error.hpp>

#include <catch2/catch.hpp>

using namespace ckimg;

TEST_CASE("entry names are normalised", "[archive]") {
    CHECK(normalize_entry_path("a.tar", "./config.dump").value() == "config.dump");
    CHECK(normalize_entry_path("a.tar", "checkpoint/").value() == "checkpoint");
    CHECK(normalize_entry_path("a.tar", "././checkpoint//pages-1.img").value() ==
          "checkpoint/pages-1.img");
    CHECK_FALSE(normalize_entry_path("a.tar", "./").has_value());
    CHECK_FALSE(normalize_entry_path("a.tar", ".").has_value());
}

TEST_CASE("hostile entry names are refused with the archive and entry named", "[archive]") {
    CHECK_THROWS_WITH(normalize_entry_path("a.tar", "/etc/passwd"),
                      "a.tar: entry \"/etc/passwd\": absolute path (refusing to write outside "
                      "the image)");
    CHECK_THROWS_WITH(normalize_entry_path("a.tar", "checkpoint/../../evil"),
                      Catch::Contains("\"..\" component"));
    CHECK_THROWS_WITH(normalize_entry_path("a.tar", std::string("bad\xff", 4)),
                      Catch::Contains("not valid UTF-8"));
    CHECK_THROWS_WITH(normalize_entry_path("a.tar", std::string(5000, 'a')),
                      Catch::Contains("PATH_MAX"));
    CHECK_THROWS_AS(normalize_entry_path("a.tar", ""), InputError);
}

TEST_CASE("symbolic links must stay inside the tree", "[archive]") {
    CHECK_NOTHROW(check_symlink_target("a.tar", "checkpoint/link", "pages-1.img"));
    CHECK_NOTHROW(check_symlink_target("a.tar", "checkpoint/link", "../config.dump"));
    CHECK_THROWS_WITH(check_symlink_target("a.tar", "checkpoint/link", "../../etc/passwd"),
                      Catch::Contains("points outside the archive"));
    CHECK_THROWS_WITH(check_symlink_target("a.tar", "link", "/etc/passwd"),
                      Catch::Contains("absolute path"));
    CHECK_THROWS_WITH(check_symlink_target("a.tar", "a/b", "../../x"), Catch::Contains("outside"));
}
