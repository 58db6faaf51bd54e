"""Link options for Tardis's binaries: fully static, unless a sanitizer needs dynamic."""

STATIC_LINKOPTS = select({
    "//:dynamic_link": [],
    "//conditions:default": ["-static"],
})

# tardis-runc's front-end (tardis_runc_frontend.cc): no C library at all, its own _start
# and raw system calls, so that a call passed through to runc skips glibc's start-up.
# Sanitizer and fuzzer builds add -fsanitize to every compile, which needs a runtime: there
# the same source builds against glibc, with main().
FRONTEND_COPTS = select({
    "//:dynamic_link": [],
    "//conditions:default": [
        "-DTARDIS_FRONTEND_FREESTANDING",
        "-ffreestanding",
        # No TLS is set up for a stack canary to live in, and nothing to unwind with.
        "-fno-stack-protector",
        "-fno-exceptions",
        "-fno-rtti",
        "-fno-asynchronous-unwind-tables",
    ],
})

FRONTEND_LINKOPTS = select({
    "//:dynamic_link": [],
    "//conditions:default": [
        "-nostdlib",
        "-static",
    ],
})
