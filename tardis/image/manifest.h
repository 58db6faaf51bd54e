// Tardis's own record of an image: what it holds, with sizes and checksums. Written
// last, so an image without one was never finished. Read back from storage that other
// nodes (and whoever else can write there) share, so parsing trusts nothing.
#ifndef TARDIS_IMAGE_MANIFEST_H_
#define TARDIS_IMAGE_MANIFEST_H_

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include <absl/status/statusor.h>
#include <absl/strings/match.h>
#include <absl/strings/str_cat.h>
#include <absl/strings/str_split.h>
#include <absl/strings/string_view.h>
#include <nlohmann/json.hpp>

#include "tardis/sys/sha256.h"
#include "tardis/sys/stream_hash.h"

namespace tardis {

inline constexpr char kManifestName[] = "manifest.json";
inline constexpr char kRootfsArchiveName[] = "rootfs.tar";
inline constexpr char kCriuDirName[] = "criu";
inline constexpr char kManifestFormat[] = "tardis-image";
// Version 2 names the image's checkpoint identity and the container that made it;
// version 1 (before identities) named the container only, which was its identity.
inline constexpr int kManifestVersion = 2;
inline constexpr size_t kMaxManifestFiles = 100000;

struct ImageFile {
  std::string path;  // relative to the image directory, e.g. "criu/pages-1.img"
  uint64_t bytes = 0;
  std::string xxh3_128;
  std::string sha256;  // in a signed image only (authenticity.h); "" otherwise

  bool operator==(const ImageFile&) const = default;
};

struct Manifest {
  std::string ns;
  std::string identity;      // the job the image belongs to (what a restore matches)
  std::string container_id;  // the container that was checkpointed
  int64_t created_unix_nanos = 0;
  // Checkpoint options the restore must repeat (see runc/restore_argv.h).
  std::vector<std::string> restore_options;
  ImageFile rootfs;               // the upperdir archive
  std::vector<ImageFile> criu;    // every file runc and CRIU wrote, dump.log included
  // HMAC-SHA256 of the rest of the manifest with the nodes' image key, in hex; "" when
  // the node that wrote it had no key (authenticity.h).
  std::string mac;

  bool operator==(const Manifest&) const = default;
};

inline nlohmann::json ImageFileJson(const ImageFile& file) {
  nlohmann::json json = {{"path", file.path}, {"bytes", file.bytes}, {"xxh3_128", file.xxh3_128}};
  if (!file.sha256.empty()) json["sha256"] = file.sha256;
  return json;
}

// The manifest's text. Keys come out sorted, so the same manifest always gives the same
// bytes: what a MAC is computed over (authenticity.h).
inline std::string SerializeManifest(const Manifest& manifest) {
  nlohmann::json criu = nlohmann::json::array();
  for (const ImageFile& file : manifest.criu) criu.push_back(ImageFileJson(file));
  nlohmann::json json = {{"format", kManifestFormat},
                         {"version", kManifestVersion},
                         {"namespace", manifest.ns},
                         {"identity", manifest.identity},
                         {"container_id", manifest.container_id},
                         {"created_unix_nanos", manifest.created_unix_nanos},
                         {"restore_options", manifest.restore_options},
                         {"rootfs", ImageFileJson(manifest.rootfs)},
                         {"criu", criu}};
  if (!manifest.mac.empty()) json["mac"] = manifest.mac;
  return json.dump(1) + "\n";
}

namespace manifest_internal {

// A path inside the image: relative, normalized, no "." or ".." parts.
inline bool IsPlainRelativePath(absl::string_view path) {
  if (path.empty() || path.size() > 4096 || path.front() == '/') return false;
  for (absl::string_view part : absl::StrSplit(path, '/')) {
    if (part.empty() || part == "." || part == "..") return false;
    if (part.find('\0') != absl::string_view::npos) return false;
  }
  return true;
}

inline absl::StatusOr<ImageFile> ParseImageFile(const nlohmann::json& json) {
  if (!json.is_object()) return absl::DataLossError("file entry is not an object");
  const auto path = json.find("path");
  const auto bytes = json.find("bytes");
  const auto digest = json.find("xxh3_128");
  if (path == json.end() || !path->is_string() || bytes == json.end() ||
      !bytes->is_number_unsigned() || digest == json.end() || !digest->is_string()) {
    return absl::DataLossError("file entry needs path, bytes and xxh3_128");
  }
  ImageFile file{path->get<std::string>(), bytes->get<uint64_t>(), digest->get<std::string>(), ""};
  if (!IsPlainRelativePath(file.path)) return absl::DataLossError(absl::StrCat("bad path: ", file.path));
  if (!IsLowerHex(file.xxh3_128, kXxh3_128HexSize)) return absl::DataLossError(absl::StrCat("bad checksum for ", file.path));
  if (const auto sha = json.find("sha256"); sha != json.end()) {
    if (!sha->is_string() || !IsSha256Hex(sha->get<std::string>())) {
      return absl::DataLossError(absl::StrCat("bad sha256 for ", file.path));
    }
    file.sha256 = sha->get<std::string>();
  }
  return file;
}

}  // namespace manifest_internal

inline absl::StatusOr<Manifest> ParseManifest(absl::string_view text) {
  using namespace manifest_internal;
  const nlohmann::json json = nlohmann::json::parse(text, nullptr, false);
  if (json.is_discarded() || !json.is_object()) return absl::DataLossError("manifest is not JSON");
  const auto field = [&](const char* key) { return json.find(key); };
  if (field("format") == json.end() || *field("format") != kManifestFormat) {
    return absl::DataLossError("not a Tardis image manifest");
  }
  if (field("version") == json.end() || !field("version")->is_number_integer() ||
      (field("version")->get<int64_t>() != 1 && field("version")->get<int64_t>() != kManifestVersion)) {
    return absl::DataLossError("unsupported manifest version");
  }
  const bool v1 = field("version")->get<int64_t>() == 1;
  Manifest manifest;
  const auto ns = field("namespace"), created = field("created_unix_nanos");
  const auto identity = field(v1 ? "id" : "identity"), container_id = field(v1 ? "id" : "container_id");
  const auto options = field("restore_options"), rootfs = field("rootfs"), criu = field("criu");
  if (ns == json.end() || !ns->is_string() || identity == json.end() || !identity->is_string() ||
      container_id == json.end() || !container_id->is_string() ||
      created == json.end() || !created->is_number_integer() || options == json.end() ||
      !options->is_array() || rootfs == json.end() || criu == json.end() || !criu->is_array()) {
    return absl::DataLossError("manifest is missing fields");
  }
  manifest.ns = ns->get<std::string>();
  manifest.identity = identity->get<std::string>();
  manifest.container_id = container_id->get<std::string>();
  manifest.created_unix_nanos = created->get<int64_t>();
  for (const nlohmann::json& option : *options) {
    if (!option.is_string()) return absl::DataLossError("restore option is not a string");
    manifest.restore_options.push_back(option.get<std::string>());
  }
  absl::StatusOr<ImageFile> archive = ParseImageFile(*rootfs);
  if (!archive.ok()) return archive.status();
  if (archive->path != kRootfsArchiveName) return absl::DataLossError("unexpected rootfs archive name");
  manifest.rootfs = *archive;
  if (criu->size() > kMaxManifestFiles) return absl::DataLossError("too many files");
  std::set<std::string> seen;
  for (const nlohmann::json& entry : *criu) {
    absl::StatusOr<ImageFile> file = ParseImageFile(entry);
    if (!file.ok()) return file.status();
    if (!absl::StartsWith(file->path, absl::StrCat(kCriuDirName, "/"))) {
      return absl::DataLossError(absl::StrCat("CRIU file outside criu/: ", file->path));
    }
    if (!seen.insert(file->path).second) return absl::DataLossError(absl::StrCat("listed twice: ", file->path));
    manifest.criu.push_back(*std::move(file));
  }
  if (const auto mac = field("mac"); mac != json.end()) {
    if (!mac->is_string() || !IsSha256Hex(mac->get<std::string>())) return absl::DataLossError("bad mac");
    manifest.mac = mac->get<std::string>();
  }
  return manifest;
}

}  // namespace tardis

#endif  // TARDIS_IMAGE_MANIFEST_H_
