// A program for huge_pages_test: counts its starts in HEPFLOW_PROBE_STARTS, restarts with
// huge pages if it should, then prints the starts, GLIBC_TUNABLES and its arguments.
#include <cstdio>
#include <cstdlib>
#include <string>

#include "common/huge_pages.h"

int main(int argc, char** argv) {
    const char* seen = std::getenv("HEPFLOW_PROBE_STARTS");
    const int starts = seen != nullptr ? std::atoi(seen) + 1 : 1;
    setenv("HEPFLOW_PROBE_STARTS", std::to_string(starts).c_str(), 1);
    hepflow::restartWithHugePages(argv);
    const char* tunables = std::getenv("GLIBC_TUNABLES");
    std::printf("starts=%d tunables=%s args=", starts, tunables != nullptr ? tunables : "");
    for (int i = 1; i < argc; ++i) std::printf("%s%s", i > 1 ? "," : "", argv[i]);
    std::printf("\n");
    return 0;
}
