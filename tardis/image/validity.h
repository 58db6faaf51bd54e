// JudgeImage(): whether an image may be restored from, given what was observed on disk.
//
// Valid means: CRIU's dump.log ends with its success line, and Tardis's manifest is
// present, is of this very checkpoint identity (whichever container made it), and matches every CRIU file (size and checksum,
// no file missing or extra) and the size of the upperdir archive. The archive's
// checksum is verified while it is unpacked, so it is read once, not twice.
#ifndef TARDIS_IMAGE_VALIDITY_H_
#define TARDIS_IMAGE_VALIDITY_H_

#include <map>
#include <optional>
#include <string>

#include <absl/status/status.h>
#include <absl/status/statusor.h>
#include <absl/strings/match.h>
#include <absl/strings/str_cat.h>
#include <absl/strings/string_view.h>
#include <absl/strings/strip.h>

#include "tardis/image/authenticity.h"
#include "tardis/image/manifest.h"

namespace tardis {

inline constexpr char kDumpSuccessLine[] = "Dumping finished successfully";

// What an adapter saw in an image directory.
struct ObservedImage {
  std::optional<std::string> manifest_text;  // nullopt: no manifest
  std::string dump_log_tail;                 // the end of criu/dump.log ("" if absent)
  std::map<std::string, ImageFile> criu;     // every regular file under criu/, by path
  std::optional<uint64_t> rootfs_bytes;      // nullopt: no archive
  bool has_unexpected_entries = false;       // symlinks, devices, ... anywhere
};

// The last non-empty line of `text`.
inline absl::string_view LastLine(absl::string_view text) {
  text = absl::StripTrailingAsciiWhitespace(text);
  const size_t newline = text.rfind('\n');
  return newline == absl::string_view::npos ? text : text.substr(newline + 1);
}

// Whether a parsed manifest is of identity `ns`/`identity` (shared with node/image_info.h's
// quick judgement).
inline absl::Status ManifestIsOf(const Manifest& manifest, absl::string_view ns, absl::string_view identity) {
  if (manifest.ns == ns && manifest.identity == identity) return absl::OkStatus();
  return absl::FailedPreconditionError(
      absl::StrCat("the image is of ", manifest.ns, "/", manifest.identity, ", not ", ns, "/", identity));
}

// Whether a file seen in the image is the one the manifest lists: by size and XXH3,
// and with a key by SHA-256 too (the observer computed it; one it did not is no match).
inline bool MatchesListed(const ImageFile& seen, const ImageFile& listed, const ImageKey& key) {
  if (seen.path != listed.path || seen.bytes != listed.bytes || seen.xxh3_128 != listed.xxh3_128) return false;
  return !key.signs() || (!seen.sha256.empty() && seen.sha256 == listed.sha256);
}

// The manifest when the image is valid for identity `ns`/`identity` on a node with
// `key`; otherwise why not.
inline absl::StatusOr<Manifest> JudgeImage(const ObservedImage& image, absl::string_view ns,
                                           absl::string_view identity, const ImageKey& key) {
  if (!absl::StrContains(LastLine(image.dump_log_tail), kDumpSuccessLine)) {
    return absl::FailedPreconditionError("dump.log does not end with CRIU's success line");
  }
  if (!image.manifest_text) return absl::FailedPreconditionError("no manifest: the image was never finished");
  absl::StatusOr<Manifest> manifest = ParseManifest(*image.manifest_text);
  if (!manifest.ok()) return absl::FailedPreconditionError(absl::StrCat("manifest: ", manifest.status().message()));
  if (absl::Status of = ManifestIsOf(*manifest, ns, identity); !of.ok()) return of;
  if (absl::Status authentic = CheckAuthentic(*manifest, key); !authentic.ok()) return authentic;
  if (image.has_unexpected_entries) {
    return absl::FailedPreconditionError("the image holds something other than regular files and directories");
  }
  if (image.criu.size() != manifest->criu.size()) {
    return absl::FailedPreconditionError(
        absl::StrCat("the image has ", image.criu.size(), " CRIU files, the manifest lists ", manifest->criu.size()));
  }
  for (const ImageFile& listed : manifest->criu) {
    const auto seen = image.criu.find(listed.path);
    if (seen == image.criu.end()) return absl::FailedPreconditionError(absl::StrCat("missing ", listed.path));
    if (!MatchesListed(seen->second, listed, key)) {
      return absl::FailedPreconditionError(absl::StrCat(listed.path, " does not match the manifest"));
    }
  }
  if (!image.rootfs_bytes) return absl::FailedPreconditionError("missing the upperdir archive");
  if (*image.rootfs_bytes != manifest->rootfs.bytes) {
    return absl::FailedPreconditionError("the upperdir archive's size does not match the manifest");
  }
  return manifest;
}

}  // namespace tardis

#endif  // TARDIS_IMAGE_VALIDITY_H_
