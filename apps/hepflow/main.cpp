// Entry point of the `hepflow` command: everything, error reporting included, is in
// hepflow_cli (cli.cpp) so that tests run the same code in-process.
#include <iostream>

#include "commands.h"
#include "common/memory_tuning.h"

int main(int argc, char** argv) {
    // Batches are allocated and freed continuously: keep freed memory for the next batch.
    hepflow::keepFreedMemoryForReuse();
    return hepflow::cli::runCli(argc, argv, std::cout, std::cerr);
}
