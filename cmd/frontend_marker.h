// How the full program (tardis-runc-handler) recognizes tardis-runc's front-end when the
// host config names it as real_runc: the front-end carries this text in an ELF note,
// which linkers place in a binary's first page. Comparing inodes is not enough: the
// front-end may be installed under any name, and exec'ing it from the full program would
// come straight back to the full program, forever.
#ifndef TARDIS_CMD_FRONTEND_MARKER_H_
#define TARDIS_CMD_FRONTEND_MARKER_H_

#include <stddef.h>

// A multiple of 4 long, so that the note needs no padding (checked below).
#define TARDIS_FRONTEND_MARKER "tardis-runc: libc-free front-end, v1"
#define TARDIS_FRONTEND_MARKER_SIZE "36"

namespace tardis {

inline constexpr char kFrontEndMarker[] = TARDIS_FRONTEND_MARKER;
static_assert(sizeof kFrontEndMarker - 1 == 36 && (sizeof kFrontEndMarker - 1) % 4 == 0,
              "TARDIS_FRONTEND_MARKER_SIZE must be the marker's length");

// How much of a file's start is searched for the marker.
inline constexpr size_t kFrontEndMarkerWindow = 4096;

// True when `data` (a file's first bytes) contains the marker.
inline bool ContainsFrontEndMarker(const char* data, size_t size) {
  constexpr size_t kSize = sizeof kFrontEndMarker - 1;
  for (size_t at = 0; at + kSize <= size; ++at) {
    size_t i = 0;
    while (i < kSize && data[at + i] == kFrontEndMarker[i]) ++i;
    if (i == kSize) return true;
  }
  return false;
}

}  // namespace tardis

#endif  // TARDIS_CMD_FRONTEND_MARKER_H_
