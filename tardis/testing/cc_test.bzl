"""tardis_cc_test: a package's gtest test, `<name>.cc` linked with gtest's main.

    tardis_cc_test(
        name = "lease_test",                     # srcs: lease_test.cc
        data = ["//testdata/image:golden"],
        deps = [":image", "//tardis/testing:golden"],
    )

`srcs` adds files besides `<name>.cc` (a fake the test shares with another). `local = True`
for a test that needs root and the host's mount namespace (it mounts): no sandbox. Other
arguments (size, ...) go to cc_test as they are.
"""

def tardis_cc_test(name, deps = [], data = [], srcs = [], local = False, **kwargs):
    native.cc_test(
        name = name,
        srcs = [name + ".cc"] + srcs,
        data = data,
        tags = ["local"] if local else [],
        deps = deps + ["@debian_gtest//:gtest_main"],
        **kwargs
    )
