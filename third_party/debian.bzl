"""C++ libraries from Debian's -dev packages, exposed as Bazel repositories.

A repository that vendors Tardis calls debian_cc_libraries() from its own WORKSPACE
(after the rules_cc stand-ins), exactly as Tardis's WORKSPACE does.
"""

def debian_cc_libraries():
    for name in ["absl", "re2", "nlohmann_json", "gtest", "libarchive", "xxhash", "curl", "openssl", "tomlplusplus"]:
        native.new_local_repository(
            name = "debian_" + name,
            path = "/usr",
            build_file = "@tardis//third_party:" + name + ".BUILD",
        )
