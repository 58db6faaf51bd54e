// How fast tardis-listen's line matcher reads `ctr events`, against the same job done
// with std::regex:
//   (a) tardis::events::ParseEventLine, then ParseExitPayload for /tasks/exit lines;
//   (b) std::regex for the line, the timestamp and the exit's members (a plain regex
//       reader: it does not validate the JSON, so it does less than (a)).
// The log is generated in memory, shaped like testdata/reference/ctr-events-*.log:
// container lifecycles in three namespaces, some exec'd processes, checkpoints and image
// pulls, half with containerd 1.6's exited_at and half with 1.7's; about 10% of the lines
// are /tasks/exit. Both readers must find the same exits (count and checksums); the
// repetitions alternate between them and the median is printed.
//   bazel run -c opt //bench:event_matcher_bench [-- --lines=300000 --repetitions=5]
#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <regex>
#include <string>
#include <vector>

#include <absl/strings/str_cat.h>
#include <absl/strings/str_format.h>
#include <absl/time/civil_time.h>
#include <absl/time/time.h>

#include "tardis/events/event_line.h"
#include "tardis/events/exit_event.h"

namespace {

// What a reader found: enough to tell whether two readers agree.
struct Found {
  int64_t exits = 0;              // own processes' /tasks/exit
  int64_t exec_exits = 0;         // exec'd processes' /tasks/exit
  uint64_t status_sum = 0;        // sum of exit_status over own exits
  uint64_t event_nanos_sum = 0;   // sum of the lines' unix nanos over own exits
  uint64_t exited_nanos_sum = 0;  // sum of exited_at over own exits
  int64_t errors = 0;

  bool operator==(const Found& o) const {
    return exits == o.exits && exec_exits == o.exec_exits && status_sum == o.status_sum &&
           event_nanos_sum == o.event_nanos_sum && exited_nanos_sum == o.exited_nanos_sum &&
           errors == o.errors;
  }
};

// ---- the log ---------------------------------------------------------------------------

class LogWriter {
 public:
  explicit LogWriter(uint32_t seed) : random_(seed) {}

  std::vector<std::string> Generate(size_t count) {
    lines_.clear();
    lines_.reserve(count + 16);
    while (lines_.size() < count) Lifecycle();
    lines_.resize(count);
    return std::move(lines_);
  }

 private:
  int Uniform(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(random_); }
  bool Chance(double p) { return std::bernoulli_distribution(p)(random_); }

  std::string Hex(size_t digits) {
    std::string s;
    for (size_t i = 0; i < digits; ++i) s.push_back("0123456789abcdef"[Uniform(0, 15)]);
    return s;
  }

  // Go's time.Time.String() in UTC, the fraction's trailing zeros trimmed.
  std::string GoTime(int64_t unix_nanos) {
    const absl::Time t = absl::FromUnixNanos(unix_nanos);
    return absl::StrCat(absl::FormatTime("%Y-%m-%d %H:%M:%E*S", t, absl::UTCTimeZone()),
                        " +0000 UTC");
  }
  std::string Rfc3339(int64_t unix_nanos) {
    return absl::FormatTime("%Y-%m-%dT%H:%M:%E*SZ", absl::FromUnixNanos(unix_nanos),
                            absl::UTCTimeZone());
  }

  void Emit(const std::string& ns, const char* topic, const std::string& payload) {
    now_ += Uniform(50'000, 900'000'000);
    if (Chance(0.01)) now_ -= now_ % 1'000'000'000;  // a whole second: no fraction at all
    lines_.push_back(absl::StrCat(GoTime(now_), " ", ns, " ", topic, " ", payload));
  }

  void Exit(const std::string& ns, const std::string& container, const std::string& id, int pid,
            int status, bool v17) {
    const int64_t exited_at = now_ + Uniform(1, 80'000'000);
    std::string payload =
        absl::StrCat(R"({"container_id":")", container, R"(","id":")", id, R"(","pid":)", pid);
    if (status != 0) absl::StrAppend(&payload, R"(,"exit_status":)", status);
    if (v17) {  // a protobuf Timestamp: Go omits a member that is 0
      absl::StrAppend(&payload, R"(,"exited_at":{"seconds":)", exited_at / 1'000'000'000);
      if (exited_at % 1'000'000'000 != 0) {
        absl::StrAppend(&payload, R"(,"nanos":)", exited_at % 1'000'000'000);
      }
      absl::StrAppend(&payload, "}}");
    } else {
      absl::StrAppend(&payload, R"(,"exited_at":")", Rfc3339(exited_at), R"("})");
    }
    Emit(ns, "/tasks/exit", payload);
  }

  void Lifecycle() {
    static const char* const kNamespaces[] = {"default", "k8s.io", "moby"};
    const std::string ns = kNamespaces[Uniform(0, 2)];
    const bool v17 = Chance(0.5);
    const std::string id = ns == "default" ? absl::StrCat("job-", Uniform(1, 99999)) : Hex(64);
    const std::string image = absl::StrCat("sha256:", Hex(64));
    const std::string snapshotter = v17 ? R"(,"snapshotter":"overlayfs")" : "";
    const int pid = Uniform(300, 4'000'000);
    const int snap = Uniform(2, 9999);
    const std::string state = v17 ? "/srv/node-b/state" : "/run/containerd";
    const std::string root = v17 ? "/srv/node-b/root" : "/var/lib/containerd";
    const std::string fifo = absl::StrCat("/run/containerd/fifo/", Uniform(1, 2000000000), "/");

    const std::string image_name = absl::StrCat("registry.example/team/app:v", Uniform(1, 400));
    if (Chance(0.7)) {  // an image pull first
      Emit(ns, "/images/create", absl::StrCat(R"({"name":")", image_name, R"("})"));
      const std::string key =
          absl::StrCat("extract-", Uniform(1, 999999999), "-", Hex(4), " ", image);
      Emit(ns, "/snapshot/prepare", absl::StrCat(R"({"key":")", key, R"("})"));
      Emit(ns, "/snapshot/commit",
           absl::StrCat(R"({"key":")", key, R"(","name":")", image, R"("})"));
    }
    Emit(ns, "/containers/create",
         absl::StrCat(R"({"id":")", id, R"(","image":")", image_name,
                      R"(","runtime":{"name":"io.containerd.runc.v2","options":)",
                      R"({"type_url":"containerd.runc.v1.Options"}}})"));
    Emit(ns, "/snapshot/prepare",
         absl::StrCat(R"({"key":")", id, R"(","parent":")", image, R"(")", snapshotter, "}"));
    Emit(ns, "/tasks/create",
         absl::StrCat(
             R"({"container_id":")", id, R"(","bundle":")", state,
             "/io.containerd.runtime.v2.task/", ns, "/", id,
             R"(","rootfs":[{"type":"overlay","source":"overlay","options":["index=off","workdir=)",
             root, "/io.containerd.snapshotter.v1.overlayfs/snapshots/", snap,
             R"(/work","upperdir=)", root, "/io.containerd.snapshotter.v1.overlayfs/snapshots/",
             snap, R"(/fs","lowerdir=)", root,
             R"(/io.containerd.snapshotter.v1.overlayfs/snapshots/1/fs"]}],"io":{"stdin":")", fifo,
             id, R"(-stdin","stdout":")", fifo, id, R"(-stdout","stderr":")", fifo, id,
             R"(-stderr"},"pid":)", pid, "}"));
    Emit(ns, "/tasks/start", absl::StrCat(R"({"container_id":")", id, R"(","pid":)", pid, "}"));
    if (Chance(0.15)) {  // a process exec'd into it
      const std::string exec = absl::StrCat("exec-", Hex(8));
      const int exec_pid = pid + Uniform(1, 500);
      Emit(ns, "/tasks/exec-added",
           absl::StrCat(R"({"container_id":")", id, R"(","exec_id":")", exec, R"("})"));
      Emit(ns, "/tasks/exec-started",
           absl::StrCat(R"({"container_id":")", id, R"(","exec_id":")", exec, R"(","pid":)",
                        exec_pid, "}"));
      Exit(ns, id, exec, exec_pid, Chance(0.8) ? 0 : 1, v17);
    }
    if (Chance(0.2)) {  // a checkpoint
      Emit(ns, "/tasks/paused", absl::StrCat(R"({"container_id":")", id, R"("})"));
      Emit(ns, "/images/create", absl::StrCat(R"({"name":"checkpoint/)", id, R"(:1"})"));
      Emit(ns, "/tasks/resumed", absl::StrCat(R"({"container_id":")", id, R"("})"));
    }
    static const int kStatuses[] = {0, 0, 0, 0, 0, 0, 1, 2, 137, 143};
    const int status = kStatuses[Uniform(0, 9)];
    Exit(ns, id, id, pid, status, v17);
    std::string deleted = absl::StrCat(R"({"container_id":")", id, R"(","pid":)", pid);
    if (status != 0) absl::StrAppend(&deleted, R"(,"exit_status":)", status);
    Emit(ns, "/tasks/delete", absl::StrCat(deleted, "}"));
    Emit(ns, "/snapshot/remove", absl::StrCat(R"({"key":")", id, R"(")", snapshotter, "}"));
    Emit(ns, "/containers/delete", absl::StrCat(R"({"id":")", id, R"("})"));
  }

  std::mt19937 random_;
  std::vector<std::string> lines_;
  int64_t now_ = int64_t{1'795'920'767} * 1'000'000'000;
};

// ---- (a) tardis::events ----------------------------------------------------------------

Found ReadWithTardis(const std::vector<std::string>& lines) {
  Found found;
  for (const std::string& line : lines) {
    const absl::StatusOr<tardis::events::EventLine> event = tardis::events::ParseEventLine(line);
    if (!event.ok()) {
      ++found.errors;
      continue;
    }
    if (event->topic != tardis::events::kExitTopic) continue;
    const absl::StatusOr<tardis::events::ExitEvent> exit =
        tardis::events::ParseExitPayload(event->payload);
    if (!exit.ok()) {
      ++found.errors;
      continue;
    }
    if (!tardis::events::IsOwnProcessExit(*exit)) {
      ++found.exec_exits;
      continue;
    }
    ++found.exits;
    found.status_sum += exit->exit_status;
    found.event_nanos_sum += static_cast<uint64_t>(event->unix_nanos);
    found.exited_nanos_sum += static_cast<uint64_t>(exit->exited_at_unix_nanos);
  }
  return found;
}

// ---- (b) std::regex --------------------------------------------------------------------

class StdRegexReader {
 public:
  Found Read(const std::vector<std::string>& lines) const {
    Found found;
    std::smatch m, t, f;
    for (const std::string& line : lines) {
      if (!std::regex_match(line, m, line_)) {
        ++found.errors;
        continue;
      }
      const std::string timestamp = m[1].str();
      const std::string payload = m[4].str();
      int64_t event_nanos = 0;
      if (!std::regex_match(timestamp, t, timestamp_) || !UnixNanos(t, &event_nanos)) {
        ++found.errors;
        continue;
      }
      if (m[3].str() != "/tasks/exit") continue;
      std::smatch container, id;
      if (!std::regex_search(payload, container, container_id_) ||
          !std::regex_search(payload, id, id_)) {
        ++found.errors;
        continue;
      }
      if (container[1].str() != id[1].str()) {
        ++found.exec_exits;
        continue;
      }
      uint64_t status = 0;
      if (std::regex_search(payload, f, exit_status_)) status = std::stoull(f[1].str());
      int64_t exited_at = 0;
      if (std::regex_search(payload, f, exited_at_object_)) {
        exited_at =
            std::stoll(f[1].str()) * 1'000'000'000 + (f[2].matched ? std::stoll(f[2].str()) : 0);
      } else if (std::regex_search(payload, f, exited_at_string_)) {
        std::smatch r;
        const std::string text = f[1].str();
        if (!std::regex_match(text, r, rfc3339_) || !UnixNanos(r, &exited_at)) {
          ++found.errors;
          continue;
        }
      }
      ++found.exits;
      found.status_sum += status;
      found.event_nanos_sum += static_cast<uint64_t>(event_nanos);
      found.exited_nanos_sum += static_cast<uint64_t>(exited_at);
    }
    return found;
  }

 private:
  // Groups 1-6 date and time, 7 fraction, 8 sign, 9-10 offset (absent in RFC 3339 "Z").
  static bool UnixNanos(const std::smatch& g, int64_t* out) {
    const auto n = [&](int i) { return std::stoi(g[i].str()); };
    const absl::CivilSecond civil(n(1), n(2), n(3), n(4), n(5), n(6));
    int64_t seconds = civil - absl::CivilSecond(1970, 1, 1, 0, 0, 0);
    if (g[8].matched) {
      const int64_t offset = n(9) * 3600 + n(10) * 60;
      seconds -= g[8].str() == "-" ? -offset : offset;
    }
    int64_t nanos = 0;
    if (g[7].matched) {
      std::string digits = g[7].str();
      digits.resize(9, '0');
      nanos = std::stoll(digits);
    }
    *out = seconds * 1'000'000'000 + nanos;
    return true;
  }

  const std::regex line_{
      R"re((\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d{1,9})? [+-]\d{4} [A-Za-z0-9+-]{3,6}) )re"
      R"re(([A-Za-z0-9][A-Za-z0-9_.-]*) (/[A-Za-z0-9_./-]+) (\{.*\}|))re"};
  const std::regex timestamp_{
      R"re((\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))? ([+-])(\d\d)(\d\d) .*)re"};
  const std::regex rfc3339_{
      R"re((\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))?(?:Z|([+-])(\d\d):(\d\d)))re"};
  const std::regex container_id_{R"re("container_id":"([^"]*)")re"};
  const std::regex id_{R"re("id":"([^"]*)")re"};
  const std::regex exit_status_{R"re("exit_status":(\d+))re"};
  const std::regex exited_at_object_{R"re("exited_at":\{"seconds":(\d+)(?:,"nanos":(\d+))?\})re"};
  const std::regex exited_at_string_{R"re("exited_at":"([^"]*)")re"};
};

// ---- timing ----------------------------------------------------------------------------

template <typename F>
double Seconds(F&& f) {
  const auto start = std::chrono::steady_clock::now();
  f();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

long Flag(int argc, char** argv, const char* name, long fallback) {
  const std::string prefix = absl::StrCat("--", name, "=");
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], prefix.c_str(), prefix.size()) == 0) {
      return std::strtol(argv[i] + prefix.size(), nullptr, 10);
    }
  }
  return fallback;
}

void Print(const char* name, const Found& f) {
  std::printf("  %-10s exits=%" PRId64 " exec_exits=%" PRId64 " status_sum=%" PRIu64
              " event_nanos_sum=%" PRIu64 " exited_nanos_sum=%" PRIu64 " errors=%" PRId64 "\n",
              name, f.exits, f.exec_exits, f.status_sum, f.event_nanos_sum, f.exited_nanos_sum,
              f.errors);
}

}  // namespace

int main(int argc, char** argv) {
  const size_t count = static_cast<size_t>(Flag(argc, argv, "lines", 300'000));
  const int repetitions = static_cast<int>(Flag(argc, argv, "repetitions", 5));

  const std::vector<std::string> lines = LogWriter(20261129).Generate(count);
  size_t bytes = 0, exit_lines = 0;
  for (const std::string& line : lines) {
    bytes += line.size() + 1;
    exit_lines += line.find(" /tasks/exit ") != std::string::npos;
  }
  std::printf("log: %zu lines, %.1f MB, %.1f%% /tasks/exit\n", lines.size(), bytes / 1e6,
              100.0 * exit_lines / lines.size());

  const StdRegexReader std_regex;
  const Found expected = ReadWithTardis(lines);
  const Found plain = std_regex.Read(lines);
  Print("tardis", expected);
  Print("std::regex", plain);
  if (!(expected == plain) || expected.errors != 0) {
    std::printf("MISMATCH: the two readers disagree\n");
    return 1;
  }
  std::printf("agree: %" PRId64 " exits recorded, %" PRId64 " exec exits dropped\n", expected.exits,
              expected.exec_exits);

  std::vector<double> tardis_rate, regex_rate;
  for (int r = 0; r < repetitions; ++r) {
    Found a, b;
    double ta = 0, tb = 0;
    if (r % 2 == 0) {
      ta = Seconds([&] { a = ReadWithTardis(lines); });
      tb = Seconds([&] { b = std_regex.Read(lines); });
    } else {
      tb = Seconds([&] { b = std_regex.Read(lines); });
      ta = Seconds([&] { a = ReadWithTardis(lines); });
    }
    if (!(a == expected) || !(b == expected)) {
      std::printf("MISMATCH in repetition %d\n", r + 1);
      return 1;
    }
    tardis_rate.push_back(lines.size() / ta);
    regex_rate.push_back(lines.size() / tb);
    std::printf("repetition %d: tardis %.0f lines/s, std::regex %.0f lines/s\n", r + 1,
                tardis_rate.back(), regex_rate.back());
  }
  const double a = Median(tardis_rate), b = Median(regex_rate);
  std::printf("median over %d repetitions:\n", repetitions);
  std::printf("  (a) ParseEventLine+ParseExitPayload  %12.0f lines/s  %8.0f ns/line\n", a, 1e9 / a);
  std::printf("  (b) std::regex                       %12.0f lines/s  %8.0f ns/line\n", b, 1e9 / b);
  std::printf("  ratio (a)/(b): %.1fx\n", a / b);
  return 0;
}
