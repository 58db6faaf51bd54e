"""handler_test(name): `<name>.cc`, a handler's table tests on the handler fixture.

The fixture (handler_fixture.h) mounts overlays, so these need root and the host's mount
namespace: tagged "local" (no sandbox).
"""

def handler_test(name, deps = []):
    native.cc_test(
        name = name,
        srcs = [name + ".cc"],
        tags = ["local"],
        deps = [
            ":handler_fixture",
            ":lifecycle",
            "@debian_gtest//:gtest_main",
        ] + deps,
    )
