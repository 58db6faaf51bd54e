// AddWorkdirMount(): config.json with the shared-filesystem work directory bind-mounted
// into the container and made its working directory (SPEC.md "Opting in",
// TARDIS_NETWORKFS_HOST_PATH; done at create time, before restoring).
//
// Everything else in the spec is kept as it was, key order included (ordered_json), and
// the result is compact JSON as containerd writes it. The new mount goes last, so it is
// mounted after, and on top of, everything the spec already mounts. The edit is refused,
// and the caller leaves config.json alone, when it would change what the spec already
// does: the destination is already mounted (or would cover a mount below it), or the
// host directory is already a mount source. Destinations are compared lexically cleaned
// and relative to the container's root, which is how runc reads a relative one; symlinks
// inside the rootfs are not looked at (this is a pure decider).
#ifndef TARDIS_CONTAINER_SPEC_EDIT_H_
#define TARDIS_CONTAINER_SPEC_EDIT_H_

#include <string>
#include <vector>

#include <absl/status/status.h>
#include <absl/status/statusor.h>
#include <absl/strings/str_cat.h>
#include <absl/strings/str_join.h>
#include <absl/strings/str_split.h>
#include <absl/strings/string_view.h>
#include <nlohmann/json.hpp>

#include "tardis/container/path.h"
#include "tardis/container/strict_json.h"
#include "tardis/sys/quote.h"

namespace tardis::container {

namespace spec_edit_internal {

// Go's path.Clean of "/" + path: "..", "." and "//" resolved lexically, never above "/".
inline std::string CleanInRoot(absl::string_view path) {
  std::vector<absl::string_view> parts;
  for (absl::string_view part : absl::StrSplit(path, '/', absl::SkipEmpty())) {
    if (part == ".") continue;
    if (part == "..") {
      if (!parts.empty()) parts.pop_back();
      continue;
    }
    parts.push_back(part);
  }
  return absl::StrCat("/", absl::StrJoin(parts, "/"));
}

// Strings must be valid UTF-8 to be written back as JSON.
inline bool IsValidUtf8(absl::string_view text) {
  for (size_t i = 0; i < text.size();) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    size_t length = 0;
    unsigned int code = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if (c >= 0xc2 && c <= 0xdf) {
      length = 2, code = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
      length = 3, code = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      length = 4, code = c & 0x07;
    } else {
      return false;
    }
    if (i + length > text.size()) return false;
    for (size_t k = 1; k < length; ++k) {
      const unsigned char next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xc0) != 0x80) return false;
      code = (code << 6) | (next & 0x3f);
    }
    // Overlong forms, UTF-16 surrogates and values past U+10FFFF are not UTF-8.
    if ((length == 3 && code < 0x800) || (length == 4 && (code < 0x10000 || code > 0x10ffff)) ||
        (code >= 0xd800 && code <= 0xdfff)) {
      return false;
    }
    i += length;
  }
  return true;
}

inline absl::Status ValidatePath(absl::string_view what, const std::string& path) {
  if (!IsNormalizedAbsolutePath(path) || path == "/" || !IsValidUtf8(path)) {
    return absl::InvalidArgumentError(absl::StrCat(
        what, " must be an absolute, normalized UTF-8 path other than \"/\": ", Quote(path)));
  }
  return absl::OkStatus();
}

}  // namespace spec_edit_internal

inline absl::StatusOr<std::string> AddWorkdirMount(absl::string_view config_json,
                                                   const std::string& host_workdir,
                                                   const std::string& container_path) {
  using namespace spec_edit_internal;
  using Json = nlohmann::ordered_json;
  if (absl::Status status = ValidatePath("work directory", host_workdir); !status.ok()) {
    return status;
  }
  if (absl::Status status = ValidatePath("container work path", container_path); !status.ok()) {
    return status;
  }

  absl::StatusOr<Json> parsed = ParseStrictJson<Json>(config_json, "config.json");
  if (!parsed.ok()) return parsed.status();
  Json& config = *parsed;
  if (!config.is_object()) return absl::InvalidArgumentError("config.json is not a JSON object");

  const auto process = config.find("process");
  if (process == config.end() || !process->is_object()) {
    return absl::InvalidArgumentError("config.json has no process object");
  }
  if (const auto cwd = process->find("cwd"); cwd != process->end() && !cwd->is_string()) {
    return absl::InvalidArgumentError("process.cwd is not a string");
  }

  auto mounts = config.find("mounts");
  if (mounts != config.end() && !mounts->is_array() && !mounts->is_null()) {
    return absl::InvalidArgumentError("mounts is not an array");
  }
  if (mounts != config.end() && mounts->is_array()) {
    for (size_t i = 0; i < mounts->size(); ++i) {
      const Json& mount = (*mounts)[i];
      if (!mount.is_object()) {
        return absl::InvalidArgumentError(absl::StrCat("mounts[", i, "] is not an object"));
      }
      const auto destination = mount.find("destination");
      if (destination == mount.end() || !destination->is_string()) {
        return absl::InvalidArgumentError(
            absl::StrCat("mounts[", i, "] has no destination string"));
      }
      const std::string existing = CleanInRoot(destination->get_ref<const std::string&>());
      if (existing == container_path) {
        return absl::FailedPreconditionError(absl::StrCat("the spec already mounts something at ",
                                                          Quote(existing), " (mounts[", i, "])"));
      }
      if (PathIsAtOrBelow(existing, container_path)) {
        return absl::FailedPreconditionError(absl::StrCat("the spec mounts ", Quote(existing),
                                                          " (mounts[", i, "]), which a mount at ",
                                                          Quote(container_path), " would hide"));
      }
      const auto source = mount.find("source");
      if (source == mount.end() || source->is_null()) continue;
      if (!source->is_string()) {
        return absl::InvalidArgumentError(absl::StrCat("mounts[", i, "].source is not a string"));
      }
      const std::string& text = source->get_ref<const std::string&>();
      if (text == host_workdir ||
          (!text.empty() && text.front() == '/' && CleanInRoot(text) == host_workdir)) {
        return absl::FailedPreconditionError(absl::StrCat(
            "the spec already mounts ", Quote(host_workdir), " from the host (mounts[", i, "])"));
      }
    }
  }

  Json mount = Json::object();
  mount["destination"] = container_path;
  mount["type"] = "bind";
  mount["source"] = host_workdir;
  mount["options"] = Json::array({"rbind", "rw"});
  if (mounts == config.end() || mounts->is_null()) {
    config["mounts"] = Json::array();
    mounts = config.find("mounts");
  }
  mounts->push_back(std::move(mount));
  // Not through `process`: adding "mounts" may have moved the object's members.
  config["process"]["cwd"] = container_path;
  return config.dump();
}

}  // namespace tardis::container

#endif  // TARDIS_CONTAINER_SPEC_EDIT_H_
