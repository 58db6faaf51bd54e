"""Link options for Tardis's binaries: fully static, unless a sanitizer needs dynamic."""

STATIC_LINKOPTS = select({
    "//:dynamic_link": [],
    "//conditions:default": ["-static"],
})
