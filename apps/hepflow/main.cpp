// Entry point of the `hepflow` command: everything, error reporting included, is in
// hepflow_cli (cli.cpp) so that tests run the same code in-process.
#include <iostream>

#include "commands.h"
#include "common/huge_pages.h"
#include "common/memory_tuning.h"

int main(int argc, char** argv) {
    // Once, before anything is allocated: 2 MiB pages fault 512 times less (HEPFLOW_HUGE_PAGES=0
    // keeps 4 KiB pages).
    hepflow::restartWithHugePages(argv);
    // Batches are allocated and freed continuously: keep freed memory for the next batch.
    hepflow::keepFreedMemoryForReuse();
    return hepflow::cli::runCli(argc, argv, std::cout, std::cerr);
}
