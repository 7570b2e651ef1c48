// The huge-page restart (common/huge_pages.h): the tunables text, when a restart is wanted,
// and a real restart of a probe program (once, arguments kept, opt-out respected).
#include "common/huge_pages.h"

#include <array>
#include <cstdio>
#include <fstream>
#include <memory>
#include <string>

#include <gtest/gtest.h>

namespace hepflow {
namespace {

TEST(HugePages, TunablesKeepWhatIsSetAlready) {
    const std::string pad = ":glibc.malloc.top_pad=67108864";
    EXPECT_EQ(restartTunables(nullptr), "glibc.malloc.hugetlb=1" + pad);
    EXPECT_EQ(restartTunables(""), "glibc.malloc.hugetlb=1" + pad);
    EXPECT_EQ(restartTunables("glibc.malloc.check=3"),
              "glibc.malloc.check=3:glibc.malloc.hugetlb=1" + pad);
    // A padding set by the user stays; arena counts are the user's (or glibc's) too.
    EXPECT_EQ(restartTunables("glibc.malloc.top_pad=0"),
              "glibc.malloc.top_pad=0:glibc.malloc.hugetlb=1");
    EXPECT_EQ(restartTunables("glibc.malloc.arena_max=1"),
              "glibc.malloc.arena_max=1:glibc.malloc.hugetlb=1" + pad);
}

TEST(HugePages, RestartOnlyWhenItHelpsAndOnce) {
    const char* madvise = "always [madvise] never";
    EXPECT_TRUE(hugePageRestartWanted(nullptr, nullptr, madvise));
    EXPECT_TRUE(hugePageRestartWanted("glibc.malloc.check=3", "1", "[always] madvise never"));
    EXPECT_FALSE(hugePageRestartWanted(nullptr, nullptr, "always madvise [never]"));
    EXPECT_FALSE(hugePageRestartWanted(nullptr, nullptr, ""));  // no THP in this kernel
    EXPECT_FALSE(hugePageRestartWanted(nullptr, "0", madvise));
    // Set by the user, or by the restart itself: never a second one.
    EXPECT_FALSE(hugePageRestartWanted("glibc.malloc.hugetlb=0", nullptr, madvise));
    EXPECT_FALSE(hugePageRestartWanted("x=1:glibc.malloc.hugetlb=1", nullptr, madvise));
}

std::string runProbe(const std::string& environment) {
    const std::string command =
        "env -u GLIBC_TUNABLES -u HEPFLOW_HUGE_PAGES -u HEPFLOW_PROBE_STARTS " + environment + " " +
        HEPFLOW_HUGE_PAGES_PROBE + " first 'second arg'";
    std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(command.c_str(), "r"), pclose);
    EXPECT_NE(pipe, nullptr);
    std::string out;
    std::array<char, 256> buffer{};
    while (pipe && std::fgets(buffer.data(), buffer.size(), pipe.get()) != nullptr)
        out += buffer.data();
    return out;
}

TEST(HugePages, TheProbeRestartsOnceWithItsArguments) {
    std::string thp_enabled;
    std::ifstream mode("/sys/kernel/mm/transparent_hugepage/enabled");
    std::getline(mode, thp_enabled);
    const bool restarts =
        hugePageRestartSupported() && hugePageRestartWanted(nullptr, nullptr, thp_enabled);
    const std::string pad = ":glibc.malloc.top_pad=67108864";
    EXPECT_EQ(runProbe(""), restarts ? "starts=2 tunables=glibc.malloc.hugetlb=1" + pad +
                                           " args=first,second arg\n"
                                     : "starts=1 tunables= args=first,second arg\n")
        << "THP: " << thp_enabled;
    EXPECT_EQ(runProbe("HEPFLOW_HUGE_PAGES=0"), "starts=1 tunables= args=first,second arg\n");
    EXPECT_EQ(runProbe("GLIBC_TUNABLES=glibc.malloc.hugetlb=0"),
              "starts=1 tunables=glibc.malloc.hugetlb=0 args=first,second arg\n");
    if (restarts) {
        EXPECT_EQ(runProbe("GLIBC_TUNABLES=glibc.malloc.check=0"),
                  "starts=2 tunables=glibc.malloc.check=0:glibc.malloc.hugetlb=1" + pad +
                      " args=first,second arg\n");
    }
}

}  // namespace
}  // namespace hepflow
