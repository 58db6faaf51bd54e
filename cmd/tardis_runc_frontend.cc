// tardis-runc, the front-end: what containerd runs for every runc call.
//
// Built without any C library (own _start, raw system calls), because starting a static
// glibc program costs about 0.25 ms before main() and most runc calls on a node are ones
// Tardis never handles. It reads tardis.conf just enough to find real_runc and log_level,
// and then, with the identical argv (argv[0] included) and environment:
//  - execs the real runc directly when the call is certainly one Tardis passes through
//    (tardis/fastpath/decide.h says when), or when it is a start, resume or delete of a
//    container Tardis keeps nothing for (one lstat of its state directory), or a create
//    of one whose config.json certainly does not opt in, or
//  - execs the full program, tardis-runc-handler, installed beside this binary, which
//    classifies the call exactly and runs Tardis's handlers (cmd/tardis_runc_main.cc).
// It never writes to stdout, and to stderr only when it cannot run anything at all.
//
// Sanitizer builds (//:dynamic_link) compile this same file against glibc, with main().
#include <stddef.h>
#include <stdint.h>

#include "cmd/frontend_marker.h"
#include "cmd/raw_syscalls.h"
#include "tardis/fastpath/decide.h"

// An ELF note in the first page of this binary, by which the full program recognizes a
// front-end (whatever it is called or wherever it lies) named as real_runc: it refuses
// instead of exec'ing it, which would come straight back to the full program.
__asm__(
    ".section .note.tardis-frontend, \"a\", @note\n"
    ".balign 4\n"
    ".long 7\n"                               // name size: "Tardis\0"
    ".long " TARDIS_FRONTEND_MARKER_SIZE "\n"  // descriptor size
    ".long 1\n"                               // type
    ".asciz \"Tardis\"\n"
    ".balign 4\n"
    ".ascii \"" TARDIS_FRONTEND_MARKER "\"\n"
    ".balign 4\n"
    ".previous\n");

namespace {

namespace raw = ::tardis::raw;
namespace fastpath = ::tardis::fastpath;

constexpr char kHandlerName[] = "tardis-runc-handler";
constexpr char kSelf[] = "/proc/self/exe";

// Static buffers (zero pages until touched): the config text, one byte over the limit
// so that an oversized file is seen as such; the real runc's path; our own path.
char g_config[fastpath::kMaxConfigBytes + 1];
char g_runc[fastpath::kMaxRuncPath + 1];
constexpr size_t kPathRoom = 4096;
char g_self[kPathRoom];
long g_self_size = -1;  // -1: not read yet; 0: unknown
char g_beside[kPathRoom + sizeof kHandlerName];
char g_state[kPathRoom];
char g_bundle_config_path[kPathRoom];
char g_bundle_config[fastpath::kMaxBundleConfigBytes + 1];

size_t Length(const char* s) {
  size_t n = 0;
  while (s[n] != '\0') ++n;
  return n;
}

void WriteStderr(const char* s) { (void)raw::Write(2, s, Length(s)); }

void WriteStderrNumber(long value) {
  char digits[24];
  char* p = digits + sizeof digits;
  *--p = '\0';
  unsigned long v = value < 0 ? static_cast<unsigned long>(-value) : static_cast<unsigned long>(value);
  do {
    *--p = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0);
  if (value < 0) *--p = '-';
  WriteStderr(p);
}

// The path of the program called `name` in this binary's directory (after symlinks, as
// the kernel resolved them to run us), or nullptr.
const char* Beside(const char* name) {
  if (g_self_size < 0) {
    const long n = raw::Readlink(kSelf, g_self, sizeof g_self);
    g_self_size = n > 0 && n < static_cast<long>(sizeof g_self) ? n : 0;
  }
  long slash = g_self_size - 1;
  while (slash >= 0 && g_self[slash] != '/') --slash;
  if (slash < 0) return nullptr;
  const size_t name_size = Length(name);
  if (static_cast<size_t>(slash) + 1 + name_size + 1 > sizeof g_beside) return nullptr;
  for (long i = 0; i <= slash; ++i) g_beside[i] = g_self[i];
  for (size_t i = 0; i <= name_size; ++i) g_beside[slash + 1 + i] = name[i];
  return g_beside;
}

// The full program. If it cannot run, this call might have been one of Tardis's (a
// create to restore, a delete that keeps an image): running runc instead would silently
// skip its handlers, so say so once on stderr and fail like a missing binary (127).
[[noreturn]] void ExecHandler(char* const* argv, char* const* envp) {
  const char* handler = Beside(kHandlerName);
  long error = 0;
  if (handler != nullptr) error = -raw::Execve(handler, argv, envp);
  WriteStderr("tardis-runc: cannot run ");
  WriteStderr(handler != nullptr ? handler : kHandlerName);
  if (handler != nullptr) {
    WriteStderr(" (errno ");
    WriteStderrNumber(error);
    WriteStderr(")");
  } else {
    WriteStderr(" (cannot read /proc/self/exe)");
  }
  WriteStderr("; it must be installed beside tardis-runc\n");
  raw::ExitGroup(127);
}

// `parts` joined into `out` (NUL-terminated); false when they do not fit.
template <size_t N, size_t Capacity>
bool Join(const fastpath::Text (&parts)[N], char (&out)[Capacity]) {
  size_t size = 0;
  for (const fastpath::Text& part : parts) {
    if (size + part.size >= Capacity) return false;
    for (size_t i = 0; i < part.size; ++i) out[size++] = part.data[i];
  }
  out[size] = '\0';
  return true;
}

// The whole file at `path` into `buffer` (one byte over `limit`, so that a larger file is
// seen as such): 0, or -errno when it cannot be opened, or 1 when it cannot be read
// whole or is larger than `limit`.
template <size_t Capacity>
long ReadWhole(const char* path, char (&buffer)[Capacity], size_t limit, size_t* size) {
  static_assert(Capacity > 0);
  *size = 0;
  const long fd = raw::Open(path);
  if (fd < 0) return fd;
  long result = 0;
  while (true) {
    const long n = raw::Read(static_cast<int>(fd), buffer + *size, Capacity - *size);
    if (n == -raw::kEintr) continue;
    if (n < 0) {
      result = 1;
      break;
    }
    if (n == 0) break;
    *size += static_cast<size_t>(n);
    if (*size > limit) {
      result = 1;
      break;
    }
  }
  raw::Close(static_cast<int>(fd));
  return result;
}

// Whether Tardis keeps nothing for the container, at <state_dir>/containers/<ns>/<id>
// (or, with decision.flag, at that file in it): true only when that path certainly does
// not exist.
bool NothingKeptFor(const fastpath::Decision& decision) {
  const fastpath::Text parts[] = {decision.state_dir, {"/containers/", 12}, decision.ns, {"/", 1}, decision.id,
                                  {"/", decision.flag.size > 0 ? 1u : 0u}, decision.flag};
  return Join(parts, g_state) && raw::Lstat(g_state) == -raw::kEnoent;
}

// Whether <bundle>/config.json certainly does not opt the container in (read whole, up
// to fastpath::kMaxBundleConfigBytes; anything unreadable or larger: not certain).
bool BundleCertainlyNotOptedIn(fastpath::Text bundle) {
  const fastpath::Text parts[] = {bundle, {"/config.json", 12}};
  size_t size = 0;
  return Join(parts, g_bundle_config_path) &&
         ReadWhole(g_bundle_config_path, g_bundle_config, fastpath::kMaxBundleConfigBytes, &size) == 0 &&
         fastpath::CertainlyNotOptedIn(g_bundle_config, size);
}

// $TARDIS_CONFIG as getenv() would find it (the first entry), else the default path.
const char* ConfigPath(char* const* envp) {
  constexpr size_t kNameSize = sizeof fastpath::kConfigPathVariable - 1;
  for (char* const* e = envp; e != nullptr && *e != nullptr; ++e) {
    const char* entry = *e;
    size_t i = 0;
    while (i < kNameSize && entry[i] == fastpath::kConfigPathVariable[i]) ++i;
    if (i == kNameSize && entry[i] == '=') {
      return entry[i + 1] != '\0' ? entry + i + 1 : fastpath::kDefaultConfigPath;
    }
  }
  return fastpath::kDefaultConfigPath;
}

// The config's text into g_config, as tardis/config/load_host_config.h reads it: a
// missing file is the defaults (size 0); false when it is unreadable or oversized (the
// full program then logs why and uses the defaults).
bool ReadConfig(const char* path, size_t* size) {
  const long read = ReadWhole(path, g_config, fastpath::kMaxConfigBytes, size);
  if (read == -raw::kEnoent) *size = 0;
  return read == 0 || read == -raw::kEnoent;
}

[[noreturn]] void FrontEnd(int argc, char** argv, char** envp) {
  size_t size = 0;
  if (!ReadConfig(ConfigPath(envp), &size)) ExecHandler(argv, envp);
  const fastpath::Decision decision = fastpath::DecideFastPath(argc, argv, g_config, size);
  if (decision.action == fastpath::Action::kExecHandler) ExecHandler(argv, envp);
  if (decision.action == fastpath::Action::kExecRuncUnlessKnown && !NothingKeptFor(decision)) {
    ExecHandler(argv, envp);
  }
  if (decision.action == fastpath::Action::kExecRuncUnlessOptedIn &&
      (!NothingKeptFor(decision) || !BundleCertainlyNotOptedIn(decision.bundle))) {
    ExecHandler(argv, envp);
  }

  for (size_t i = 0; i < decision.runc.size; ++i) g_runc[i] = decision.runc.data[i];
  g_runc[decision.runc.size] = '\0';
  // Anything unusual about real_runc (missing, or Tardis itself: this binary or the full
  // program) is the full program's to report, in its log and on stderr; it recognizes any
  // front-end by the note at the top of this file, so that real_runc = tardis-runc
  // cannot loop.
  raw::FileId runc, self, handler;
  if (!raw::Stat(g_runc, &runc) || !raw::Stat(kSelf, &self) || runc == self) {
    ExecHandler(argv, envp);
  }
  const char* handler_path = Beside(kHandlerName);
  if (handler_path == nullptr || (raw::Stat(handler_path, &handler) && handler == runc)) {
    ExecHandler(argv, envp);
  }
  raw::Execve(g_runc, argv, envp);
  // Not executable, or exec failed otherwise: the full program reports it.
  ExecHandler(argv, envp);
}

}  // namespace

#if defined(TARDIS_FRONTEND_FREESTANDING)

// The kernel starts us at _start with argc, argv..., NULL, envp..., NULL on the stack.
extern "C" [[noreturn]] __attribute__((used)) void TardisFrontEndStart(long* stack) {
  const int argc = static_cast<int>(stack[0]);
  char** argv = reinterpret_cast<char**>(stack + 1);
  FrontEnd(argc, argv, argv + argc + 1);
}

#if defined(__x86_64__)
__asm__(
    ".text\n"
    ".global _start\n"
    ".type _start, @function\n"
    "_start:\n"
    "  xor %ebp, %ebp\n"
    "  mov %rsp, %rdi\n"
    "  and $-16, %rsp\n"
    "  call TardisFrontEndStart\n"
    "  hlt\n");
#elif defined(__aarch64__)
__asm__(
    ".text\n"
    ".global _start\n"
    ".type _start, %function\n"
    "_start:\n"
    "  mov x29, #0\n"
    "  mov x30, #0\n"
    "  mov x0, sp\n"
    "  bl TardisFrontEndStart\n"
    "  brk #0\n");
#endif

// The compiler may emit calls to these even in freestanding code. The volatile pointers
// keep it from turning the loops back into calls to themselves.
extern "C" {
__attribute__((used)) void* memcpy(void* dst, const void* src, size_t n) {
  volatile unsigned char* d = static_cast<unsigned char*>(dst);
  const unsigned char* s = static_cast<const unsigned char*>(src);
  for (size_t i = 0; i < n; ++i) d[i] = s[i];
  return dst;
}
__attribute__((used)) void* memmove(void* dst, const void* src, size_t n) {
  volatile unsigned char* d = static_cast<unsigned char*>(dst);
  const unsigned char* s = static_cast<const unsigned char*>(src);
  if (d < s) {
    for (size_t i = 0; i < n; ++i) d[i] = s[i];
  } else {
    for (size_t i = n; i > 0; --i) d[i - 1] = s[i - 1];
  }
  return dst;
}
__attribute__((used)) void* memset(void* dst, int c, size_t n) {
  volatile unsigned char* d = static_cast<unsigned char*>(dst);
  for (size_t i = 0; i < n; ++i) d[i] = static_cast<unsigned char>(c);
  return dst;
}
__attribute__((used)) int memcmp(const void* a, const void* b, size_t n) {
  const volatile unsigned char* x = static_cast<const unsigned char*>(a);
  const volatile unsigned char* y = static_cast<const unsigned char*>(b);
  for (size_t i = 0; i < n; ++i) {
    if (x[i] != y[i]) return x[i] < y[i] ? -1 : 1;
  }
  return 0;
}
}

#else  // glibc: sanitizer and fuzzer builds

int main(int argc, char** argv, char** envp) { FrontEnd(argc, argv, envp); }

#endif
