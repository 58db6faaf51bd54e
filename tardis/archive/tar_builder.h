// Test support: tar archives written from a one-line description, so that hostile ones
// (absolute names, "..", links out, device nodes) can be listed in golden files.
//
// A description is entries separated by " | "; an entry is words separated by spaces,
// each word C-unescaped ("\x20" is a space, "\n" a newline):
//   file PATH [CONTENT]        regular file, 0644
//   dir PATH                   directory, 0755
//   symlink PATH TARGET
//   hardlink PATH TARGET
//   fifo PATH
//   chardev PATH MAJOR MINOR
//   blockdev PATH MAJOR MINOR
// Names are written exactly as given; libarchive's writer adds a "/" to directories.
#ifndef TARDIS_ARCHIVE_TAR_BUILDER_H_
#define TARDIS_ARCHIVE_TAR_BUILDER_H_

#include <cstdint>
#include <string>
#include <vector>

#include <absl/status/status.h>
#include <absl/status/statusor.h>
#include <absl/strings/escaping.h>
#include <absl/strings/numbers.h>
#include <absl/strings/str_cat.h>
#include <absl/strings/str_split.h>
#include <absl/strings/string_view.h>

#include "tardis/archive/libarchive.h"

namespace tardis::archive::testing {

namespace tar_builder_internal {

inline la_ssize_t Append(struct archive*, void* client, const void* buffer, size_t length) {
  static_cast<std::string*>(client)->append(static_cast<const char*>(buffer), length);
  return static_cast<la_ssize_t>(length);
}

}  // namespace tar_builder_internal

// `format`: "pax", "pax_restricted", "ustar" or "gnutar".
inline absl::StatusOr<std::string> BuildTar(absl::string_view description, absl::string_view format = "pax") {
  std::string out;
  ArchiveWriter writer(archive_write_new());
  int r = ARCHIVE_FATAL;
  if (format == "pax") r = archive_write_set_format_pax(writer.get());
  if (format == "pax_restricted") r = archive_write_set_format_pax_restricted(writer.get());
  if (format == "ustar") r = archive_write_set_format_ustar(writer.get());
  if (format == "gnutar") r = archive_write_set_format_gnutar(writer.get());
  if (r != ARCHIVE_OK) return absl::InvalidArgumentError(absl::StrCat("format ", format));
  archive_write_set_bytes_in_last_block(writer.get(), 1);
  if (archive_write_open(writer.get(), &out, nullptr, tar_builder_internal::Append, nullptr) != ARCHIVE_OK) {
    return ArchiveError(writer.get(), "open");
  }
  for (absl::string_view line : absl::StrSplit(description, " | ", absl::SkipWhitespace())) {
    std::vector<std::string> words;
    for (absl::string_view word : absl::StrSplit(line, ' ', absl::SkipEmpty())) {
      std::string unescaped;
      if (!absl::CUnescape(word, &unescaped)) return absl::InvalidArgumentError(absl::StrCat("escape in ", word));
      words.push_back(unescaped);
    }
    if (words.size() < 2) return absl::InvalidArgumentError(absl::StrCat("entry \"", line, "\""));
    const std::string& kind = words[0];
    ArchiveEntry entry(archive_entry_new());
    archive_entry_copy_pathname(entry.get(), words[1].c_str());
    archive_entry_set_mtime(entry.get(), 1700000000, 0);
    archive_entry_set_uid(entry.get(), 0);
    archive_entry_set_gid(entry.get(), 0);
    std::string data;
    const auto number = [&](size_t i) {
      uint64_t n = 0;
      if (i < words.size()) (void)absl::SimpleAtoi(words[i], &n);
      return n;
    };
    if (kind == "file") {
      archive_entry_set_filetype(entry.get(), AE_IFREG);
      archive_entry_set_perm(entry.get(), 0644);
      if (words.size() > 2) data = words[2];
      archive_entry_set_size(entry.get(), static_cast<la_int64_t>(data.size()));
    } else if (kind == "dir") {
      archive_entry_set_filetype(entry.get(), AE_IFDIR);
      archive_entry_set_perm(entry.get(), 0755);
    } else if (kind == "symlink" && words.size() == 3) {
      archive_entry_set_filetype(entry.get(), AE_IFLNK);
      archive_entry_set_perm(entry.get(), 0777);
      archive_entry_copy_symlink(entry.get(), words[2].c_str());
    } else if (kind == "hardlink" && words.size() == 3) {
      archive_entry_set_filetype(entry.get(), AE_IFREG);
      archive_entry_set_perm(entry.get(), 0644);
      archive_entry_copy_hardlink(entry.get(), words[2].c_str());
    } else if (kind == "fifo") {
      archive_entry_set_filetype(entry.get(), AE_IFIFO);
      archive_entry_set_perm(entry.get(), 0644);
    } else if ((kind == "chardev" || kind == "blockdev") && words.size() == 4) {
      archive_entry_set_filetype(entry.get(), kind == "chardev" ? AE_IFCHR : AE_IFBLK);
      archive_entry_set_perm(entry.get(), 0600);
      archive_entry_set_rdevmajor(entry.get(), static_cast<dev_t>(number(2)));
      archive_entry_set_rdevminor(entry.get(), static_cast<dev_t>(number(3)));
    } else {
      return absl::InvalidArgumentError(absl::StrCat("entry \"", line, "\""));
    }
    if (archive_write_header(writer.get(), entry.get()) < ARCHIVE_WARN) return ArchiveError(writer.get(), line);
    if (!data.empty() && archive_write_data(writer.get(), data.data(), data.size()) < 0) {
      return ArchiveError(writer.get(), line);
    }
  }
  if (archive_write_close(writer.get()) != ARCHIVE_OK) return ArchiveError(writer.get(), "close");
  return out;
}

}  // namespace tardis::archive::testing

#endif  // TARDIS_ARCHIVE_TAR_BUILDER_H_
