// image_tool: what end-to-end tests use to make bad checkpoint images on purpose.
//
//   image_tool tar OUT DESCRIPTION   writes a tar built from a one-line description
//                                    (see tardis/archive/tar_builder.h), hostile or not
//   image_tool reseal IMAGE_DIR      rewrites the image's manifest to match its files as
//                                    they are now, so a tampered image passes the
//                                    checksum checks and what is inside gets tested; a
//                                    signed image's SHA-256s are rewritten too, its MAC
//                                    kept (a forger has no key)
#include <cstdio>
#include <fstream>
#include <string>

#include <absl/strings/str_cat.h>

#include "tardis/archive/tar_builder.h"
#include "tardis/sys/file_digest.h"
#include "tardis/image/image_store.h"
#include "tardis/image/manifest.h"
#include "tardis/sys/files.h"

namespace {

int Fail(const std::string& message) {
  std::fprintf(stderr, "image_tool: %s\n", message.c_str());
  return 1;
}

int Tar(const std::string& out, const std::string& description) {
  absl::StatusOr<std::string> tar = tardis::archive::testing::BuildTar(description);
  if (!tar.ok()) return Fail(std::string(tar.status().message()));
  std::ofstream(out, std::ios::binary) << *tar;
  return 0;
}

int Reseal(const std::string& image) {
  absl::StatusOr<std::string> text =
      tardis::ReadSmallFile(absl::StrCat(image, "/", tardis::kManifestName), 16 << 20);
  if (!text.ok()) return Fail(std::string(text.status().message()));
  absl::StatusOr<tardis::Manifest> manifest = tardis::ParseManifest(*text);
  if (!manifest.ok()) return Fail(std::string(manifest.status().message()));
  const tardis::StreamHash::Sha sha =
      manifest->rootfs.sha256.empty() ? tardis::StreamHash::Sha::kNo : tardis::StreamHash::Sha::kAlso;
  absl::StatusOr<tardis::FileDigest> rootfs =
      tardis::DigestFile(absl::StrCat(image, "/", tardis::kRootfsArchiveName), false, sha);
  if (!rootfs.ok()) return Fail(std::string(rootfs.status().message()));
  manifest->rootfs.bytes = rootfs->bytes;
  manifest->rootfs.xxh3_128 = rootfs->xxh3_128;
  manifest->rootfs.sha256 = rootfs->sha256;
  absl::StatusOr<std::vector<tardis::ImageFile>> criu = tardis::SealCriuFiles(image, sha);
  if (!criu.ok()) return Fail(std::string(criu.status().message()));
  manifest->criu = *criu;
  absl::Status written = tardis::WriteManifest(image, *manifest);
  return written.ok() ? 0 : Fail(std::string(written.message()));
}

}  // namespace

int main(int argc, char** argv) {
  const std::string command = argc > 1 ? argv[1] : "";
  if (command == "tar" && argc == 4) return Tar(argv[2], argv[3]);
  if (command == "reseal" && argc == 3) return Reseal(argv[2]);
  return Fail("usage: image_tool tar OUT DESCRIPTION | image_tool reseal IMAGE_DIR");
}
