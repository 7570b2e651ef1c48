// `hepflow ls FILE`: the keys of a file like `rootls -l` — class, date, name;cycle and title,
// indented by directory — plus each record's size on disk and uncompressed.
#include <algorithm>
#include <ostream>

#include <fmt/format.h>

#include "commands.h"
#include "output.h"

namespace hepflow::cli {
namespace {

// TDatime packs the local time as (year-1995)<<26 | month<<22 | day<<17 | hour<<12 |
// minute<<6 | second.
std::string formatDatime(std::uint32_t datime) {
    return fmt::format("{:04}-{:02}-{:02} {:02}:{:02}:{:02}", (datime >> 26) + 1995,
                       (datime >> 22) & 0xF, (datime >> 17) & 0x1F, (datime >> 12) & 0x1F,
                       (datime >> 6) & 0x3F, datime & 0x3F);
}

}  // namespace

void runLs(const std::string& file_name, std::ostream& out) {
    const auto file = root::RootFile::open(file_name);
    const auto& header = file->header();
    out << fmt::format("{}  (ROOT {}, compression {})\n", file->url(),
                       formatRootVersion(header.rootVersion()), compressionName(header.fCompress));
    TextTable table;
    table.addRow({"CLASS", "DATE", "NAME;CYCLE", "TITLE", "ON DISK", "UNCOMPRESSED"});
    for (const auto& [path, key] : file->allKeys()) {
        const auto depth = static_cast<std::size_t>(std::count(path.begin(), path.end(), '/'));
        table.addRow({std::string(2 * depth, ' ') + key->fClassName, formatDatime(key->fDatime),
                      fmt::format("{};{}", key->fName, key->fCycle),
                      fmt::format("\"{}\"", key->fTitle), formatBytes(key->fNbytes),
                      formatBytes(key->fObjlen)});
    }
    table.print(out);
}

}  // namespace hepflow::cli
