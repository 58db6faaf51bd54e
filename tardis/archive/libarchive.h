// libarchive from C++: owning handles, and its errors as absl::Status.
#ifndef TARDIS_ARCHIVE_LIBARCHIVE_H_
#define TARDIS_ARCHIVE_LIBARCHIVE_H_

#include <archive.h>
#include <archive_entry.h>

#include <cstring>
#include <memory>

#include <absl/status/status.h>
#include <absl/strings/str_cat.h>
#include <absl/strings/string_view.h>

#include "tardis/sys/quote.h"

namespace tardis::archive {

struct ArchiveReadFree {
  void operator()(struct archive* a) const { archive_read_free(a); }
};
struct ArchiveWriteFree {
  void operator()(struct archive* a) const { archive_write_free(a); }
};
struct ArchiveEntryFree {
  void operator()(struct archive_entry* e) const { archive_entry_free(e); }
};
struct LinkResolverFree {
  void operator()(struct archive_entry_linkresolver* r) const { archive_entry_linkresolver_free(r); }
};

// archive_read_new(), archive_read_disk_new(): freeing closes first.
using ArchiveReader = std::unique_ptr<struct archive, ArchiveReadFree>;
// archive_write_new(), archive_write_disk_new(): freeing closes first, which for the
// disk writer applies its deferred directory fix-ups.
using ArchiveWriter = std::unique_ptr<struct archive, ArchiveWriteFree>;
using ArchiveEntry = std::unique_ptr<struct archive_entry, ArchiveEntryFree>;
using LinkResolver = std::unique_ptr<struct archive_entry_linkresolver, LinkResolverFree>;

// The archive's last error, with what was being done, as a status of `code`. libarchive's
// messages often repeat an entry's name, which the archive chose: quoted like any such.
// Its errno, when it has one, is named too: a full disk must say so in the log.
inline absl::Status ArchiveError(struct archive* a, absl::string_view what,
                                 absl::StatusCode code = absl::StatusCode::kInternal) {
  const char* message = a != nullptr ? archive_error_string(a) : nullptr;
  const int error = a != nullptr ? archive_errno(a) : 0;
  return absl::Status(code, absl::StrCat(what, ": ", message != nullptr ? Quote(message) : "libarchive failed",
                                         error > 0 ? absl::StrCat(" (", std::strerror(error), ")") : ""));
}

}  // namespace tardis::archive

#endif  // TARDIS_ARCHIVE_LIBARCHIVE_H_
