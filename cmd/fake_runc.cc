// A stand-in for runc in tardis_runc_frontend_test.sh: prints the argv it was exec'd with
// (argv[0] included) and its whole environment, one entry a line, and exits 0.
#include <cstdio>

extern char** environ;

int main(int argc, char** argv) {
  for (int i = 0; i < argc; ++i) std::printf("argv[%d]=%s\n", i, argv[i]);
  for (char** e = environ; *e != nullptr; ++e) std::printf("env %s\n", *e);
  return 0;
}
