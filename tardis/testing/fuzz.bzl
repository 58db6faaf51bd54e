"""Fuzz targets for parsers of outside input.

tardis_fuzz_test(name, srcs, deps, corpus) defines, from one LLVMFuzzerTestOneInput:
  - `name`: a cc_test that replays every corpus file through the target (any compiler,
    part of `bazel test //...`, so the corpus is a regression suite), and
  - `name + "_libfuzzer"`: the same target linked with libFuzzer, built with clang:
        bazel run --config=fuzz //pkg:name_libfuzzer -- -max_total_time=60 <corpus dir>
"""

def tardis_fuzz_test(name, srcs, deps = [], corpus = []):
    native.cc_test(
        name = name,
        srcs = srcs,
        data = corpus,
        args = ["$(locations %s)" % c for c in corpus],
        deps = deps + ["//tardis/testing:fuzz_replay_main"],
    )
    native.cc_binary(
        name = name + "_libfuzzer",
        srcs = srcs,
        deps = deps,
        tags = ["manual"],
        testonly = True,
    )
