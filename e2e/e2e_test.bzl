"""e2e_test(name): an end-to-end test, `<name>.sh`, on the harness in lib.sh.

e2e_test(name, script = "x_test", stack = "sid") runs x_test.sh on one of
scripts/stacks.sh's newer container stacks (lib.sh's E2E_STACK). `env` adds to the
script's environment; `manual` keeps it out of `bazel test //...` (run it by name).
"""

E2E_TAGS = [
    "e2e",
    # Containers, cgroups and CRIU do not share the machine well with other tests.
    "exclusive",
    # Needs root, /tmp, /sys/fs/cgroup and the host's mount namespace: no sandbox.
    "local",
]

def e2e_test(name, size = "large", script = None, stack = None, env = {}, manual = False):
    native.sh_test(
        name = name,
        size = size,
        srcs = [(script or name) + ".sh"],
        env = dict(env, **({"E2E_STACK": stack} if stack else {})),
        tags = E2E_TAGS + (["manual"] if manual else []),
        deps = [":lib"],
    )
