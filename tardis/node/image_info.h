// InspectImage(): a container's checkpoint image as `status` and `finalize` report it:
// where it is (FindImage: the published one, or the previous one of an interrupted
// publish), its size (every file in it), its age (its manifest's created_unix_nanos) and
// whether it is valid.
//
// Two depths of "valid". kFull is what a restore would decide (ObserveImage + JudgeImage:
// every CRIU file read and checksummed) and is what `status` shows. kQuick reads only the
// manifest and the end of CRIU's dump.log, and compares file sizes: `finalize` uses it
// to confirm that the checkpoint it just asked for produced an image, where reading a
// whole memory image back would cost seconds of a two-minute notice.
#ifndef TARDIS_NODE_IMAGE_INFO_H_
#define TARDIS_NODE_IMAGE_INFO_H_

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <string>
#include <vector>

#include <absl/status/statusor.h>
#include <absl/strings/str_cat.h>

#include "tardis/image/authenticity.h"
#include "tardis/image/image_store.h"
#include "tardis/image/manifest.h"
#include "tardis/image/validity.h"
#include "tardis/node/report.h"
#include "tardis/sys/directory_entries.h"
#include "tardis/sys/files.h"

namespace tardis::node {

enum class ImageCheck { kQuick, kFull };

// The sizes of every regular file under `dir`, by path relative to it; symlinks are not
// followed, other mounts not entered.
inline std::map<std::string, uint64_t> FileSizes(const std::string& dir) {
  std::map<std::string, uint64_t> sizes;
  struct stat top;
  if (::lstat(dir.c_str(), &top) != 0 || !S_ISDIR(top.st_mode)) return sizes;
  std::vector<std::string> pending = {""};
  while (!pending.empty()) {
    const std::string relative = pending.back();
    pending.pop_back();
    const std::string path = relative.empty() ? dir : absl::StrCat(dir, "/", relative);
    // A size for what can be seen: a directory that cannot be listed adds nothing.
    (void)ForEachDirectoryEntry(path, [&](const DirectoryEntry& entry) {
      struct stat st;
      if (!entry.Stat(&st)) return;
      const std::string child =
          relative.empty() ? std::string(entry.name()) : absl::StrCat(relative, "/", entry.name());
      if (S_ISDIR(st.st_mode) && st.st_dev == top.st_dev) pending.push_back(child);
      if (S_ISREG(st.st_mode)) sizes[child] = static_cast<uint64_t>(st.st_size);
    });
  }
  return sizes;
}

namespace image_info_internal {

inline std::string DumpLogTail(const std::string& image) {
  std::string tail;
  const std::string path = absl::StrCat(image, "/", kCriuDirName, "/dump.log");
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return tail;
  struct stat st;
  if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
    const off_t size = std::min<off_t>(st.st_size, 4096);
    tail.resize(static_cast<size_t>(size));
    const ssize_t n = ::pread(fd, tail.data(), size, st.st_size - size);
    tail.resize(n > 0 ? static_cast<size_t>(n) : 0);
  }
  ::close(fd);
  return tail;
}

// The quick judgement: the manifest is of this identity, CRIU said it finished, and every
// file the manifest lists is there with its size.
inline absl::Status QuickJudge(const std::string& image, const std::map<std::string, uint64_t>& sizes,
                               const absl::StatusOr<Manifest>& manifest, absl::string_view ns, absl::string_view identity) {
  if (!absl::StrContains(LastLine(DumpLogTail(image)), kDumpSuccessLine)) {
    return absl::FailedPreconditionError("dump.log does not end with CRIU's success line");
  }
  if (!manifest.ok()) return manifest.status();
  if (absl::Status of = ManifestIsOf(*manifest, ns, identity); !of.ok()) return of;
  std::vector<ImageFile> listed = manifest->criu;
  listed.push_back(manifest->rootfs);
  for (const ImageFile& file : listed) {
    const auto found = sizes.find(file.path);
    if (found == sizes.end()) return absl::FailedPreconditionError(absl::StrCat("missing ", file.path));
    if (found->second != file.bytes) {
      return absl::FailedPreconditionError(absl::StrCat(file.path, " does not match the manifest"));
    }
  }
  return absl::OkStatus();
}

}  // namespace image_info_internal

// `identity`: the checkpoint identity the image must be of.
// `key`: the node's image key; with one, an image must be signed with it to be valid.
inline ImageInfo InspectImage(const std::string& image_dir, const std::string& ns, const std::string& identity,
                              ImageCheck check, const ImageKey& key) {
  ImageInfo info;
  const std::optional<std::string> found = FindImage(image_dir);
  if (!found) return info;
  info.present = true;
  info.dir = *found;
  const std::map<std::string, uint64_t> sizes = FileSizes(*found);
  for (const auto& [path, bytes] : sizes) info.bytes += bytes;

  absl::StatusOr<Manifest> manifest = absl::FailedPreconditionError("no manifest: the image was never finished");
  if (absl::StatusOr<std::string> text = ReadSmallFile(absl::StrCat(*found, "/", kManifestName), 16 << 20);
      text.ok()) {
    manifest = ParseManifest(*text);
    if (!manifest.ok()) manifest = absl::FailedPreconditionError(absl::StrCat("manifest: ", manifest.status().message()));
  }
  if (manifest.ok()) info.created_unix_nanos = manifest->created_unix_nanos;

  absl::Status judged;
  if (check == ImageCheck::kFull) {
    judged = JudgeImage(ObserveImage(*found, key.sha()), ns, identity, key).status();
  } else {
    judged = image_info_internal::QuickJudge(*found, sizes, manifest, ns, identity);
    if (judged.ok()) judged = CheckAuthentic(*manifest, key);
  }
  info.valid = judged.ok();
  if (!judged.ok()) info.problem = std::string(judged.message());
  return info;
}

}  // namespace tardis::node

#endif  // TARDIS_NODE_IMAGE_INFO_H_
