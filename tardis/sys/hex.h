// Whether a text is a digest as Tardis writes one: exactly `size` lower-case hex digits.
// Lower case only: the digests in manifests and signatures were written by Tardis itself
// (absl::BytesToHexString, lower case since the first manifest), so an upper-case one
// was made by something else and is refused like any other malformed field.
#ifndef TARDIS_SYS_HEX_H_
#define TARDIS_SYS_HEX_H_

#include <cstddef>

#include <absl/strings/string_view.h>

namespace tardis {

inline bool IsLowerHex(absl::string_view text, size_t size) {
  if (text.size() != size) return false;
  for (char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

}  // namespace tardis

#endif  // TARDIS_SYS_HEX_H_
