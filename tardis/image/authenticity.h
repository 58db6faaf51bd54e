// Authenticated images: whoever can write the shared checkpoint storage writes the
// images this node restores, and a manifest's checksums only catch accidents (it sits
// beside what it checks). With a key shared by the nodes that share the storage
// (image_key_file, read by image_key.h), a checkpoint names every file by its SHA-256
// and signs the manifest with HMAC-SHA256; a restore takes only an image whose MAC
// verifies under the key. Without a key, images are checked as before (a WARNING says
// so when tardis-listen starts).
#ifndef TARDIS_IMAGE_AUTHENTICITY_H_
#define TARDIS_IMAGE_AUTHENTICITY_H_

#include <string>

#include <absl/status/status.h>
#include <absl/strings/str_cat.h>
#include <absl/strings/string_view.h>

#include "tardis/image/manifest.h"
#include "tardis/sys/sha256.h"
#include "tardis/sys/stream_hash.h"

namespace tardis {

struct ImageKey {
  enum class State {
    kNone,      // no key file: images are neither signed nor checked for a signature
    kUsable,    // sign every image, restore only signed ones
    kUnusable,  // a key file that cannot be trusted: sign nothing, restore nothing
  };
  State state = State::kNone;
  std::string bytes;    // kUsable: the key
  std::string problem;  // kUnusable: why, for the log

  bool signs() const { return state == State::kUsable; }
  // Whether files are hashed with SHA-256 too: exactly when the key signs.
  StreamHash::Sha sha() const { return signs() ? StreamHash::Sha::kAlso : StreamHash::Sha::kNo; }
};

// The MAC of `manifest` under `key`: over its text with the MAC itself left out.
inline std::string ManifestMac(const Manifest& manifest, absl::string_view key) {
  Manifest unsigned_copy = manifest;
  unsigned_copy.mac.clear();
  return HmacSha256Hex(key, SerializeManifest(unsigned_copy));
}

// Whether an image with `manifest` may be restored on a node with `key`. (That the
// files match the manifest is validity.h's check; with a key, it compares SHA-256s.)
inline absl::Status CheckAuthentic(const Manifest& manifest, const ImageKey& key) {
  switch (key.state) {
    case ImageKey::State::kNone:
      return absl::OkStatus();
    case ImageKey::State::kUnusable:
      return absl::PermissionDeniedError(
          absl::StrCat("the image key cannot be used (", key.problem, "), so no image is trusted"));
    case ImageKey::State::kUsable:
      break;
  }
  if (manifest.mac.empty()) return absl::PermissionDeniedError("the image is not signed, and this node has a key");
  if (!ConstantTimeEquals(ManifestMac(manifest, key.bytes), manifest.mac)) {
    return absl::PermissionDeniedError("its MAC does not verify: forged, altered, or signed with another key");
  }
  // A signed manifest names every file by SHA-256; one that does not was not written by
  // Tardis, whatever its MAC says.
  bool every_file_named = !manifest.rootfs.sha256.empty();
  for (const ImageFile& file : manifest.criu) every_file_named = every_file_named && !file.sha256.empty();
  if (!every_file_named) return absl::PermissionDeniedError("it is signed but does not name every file by SHA-256");
  return absl::OkStatus();
}

}  // namespace tardis

#endif  // TARDIS_IMAGE_AUTHENTICITY_H_
