"""handler_test(name): `<name>.cc`, a handler's table tests on the handler fixture.

The fixture (handler_fixture.h) mounts overlays, so these need root and the host's mount
namespace: local (no sandbox), as tardis_cc_test says.
"""

load("//tardis/testing:cc_test.bzl", "tardis_cc_test")

def handler_test(name, deps = []):
    tardis_cc_test(
        name = name,
        local = True,
        deps = [
            ":handler_fixture",
            ":lifecycle",
        ] + deps,
    )
