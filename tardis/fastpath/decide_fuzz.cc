// Fuzz target: any argv and host config. Input: the config's text, "\0\0", then the argv
// (after the program name) as NUL-separated words; without "\0\0", all of it is the argv
// and there is no config. A word that is one byte from 1 to 31 stands for that entry of
// Vocabulary() (consistency.h), so that the fuzzer combines runc's words easily. The shortcut never runs runc for a call the full program would
// route to a handler, never another runc than the full parser's, never with a config the
// full parser finds a problem in or at DEBUG, and takes every plain pass-through.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "tardis/fastpath/consistency.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  std::string config;
  std::string words = input;
  if (const size_t split = input.find(std::string("\0\0", 2)); split != std::string::npos) {
    config = input.substr(0, split);
    words = input.substr(split + 2);
  }
  std::vector<std::string> args;
  std::string word;
  const auto add = [&args](const std::string& w) {
    const auto& vocabulary = tardis::fastpath::Vocabulary();
    const size_t index = w.size() == 1 ? static_cast<unsigned char>(w[0]) - 1u : vocabulary.size();
    args.push_back(index < vocabulary.size() ? vocabulary[index] : w);
  };
  for (char c : words) {
    if (c == '\0') {
      add(word);
      word.clear();
    } else {
      word.push_back(c);
    }
  }
  if (!word.empty()) add(word);

  for (const std::string& problem :
       {tardis::fastpath::CheckArgv(args), tardis::fastpath::CheckConfig(args, config)}) {
    if (!problem.empty()) {
      std::fprintf(stderr, "decide_fuzz: %s\n", problem.c_str());
      std::abort();
    }
  }
  return 0;
}
