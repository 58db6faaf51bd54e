"""e2e_test(name): an end-to-end test, `<name>.sh`, on the harness in lib.sh."""

E2E_TAGS = [
    "e2e",
    # Containers, cgroups and CRIU do not share the machine well with other tests.
    "exclusive",
    # Needs root, /tmp, /sys/fs/cgroup and the host's mount namespace: no sandbox.
    "local",
]

def e2e_test(name, size = "large"):
    native.sh_test(
        name = name,
        size = size,
        srcs = [name + ".sh"],
        tags = E2E_TAGS,
        deps = [":lib"],
    )
