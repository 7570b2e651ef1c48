// Helpers shared by the test suites: paths into tests/data, the JSROOT reference dump
// tests/data/expected.json, whole test files as bytes, and ROOT files opened from bytes in
// memory so that tests can damage copies of them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "root/root_file.h"

namespace hepflow::test {

// The path of a file in tests/data.
std::string dataPath(std::string_view name);

// tests/data/expected.json, parsed once (thread-safe).
const nlohmann::json& expectedJson();
// The names of the files expected.json describes (its "files" keys), in its order.
std::vector<std::string> expectedFileNames();

// The bytes of a file in tests/data. Throws std::runtime_error when it cannot be read.
std::vector<std::byte> fileBytes(std::string_view name);

// A RootFile over `bytes` (typically a damaged copy of a test file); errors name `url`.
std::unique_ptr<root::RootFile> openMemory(std::vector<std::byte> bytes, std::string url);

// The seed of a randomized test: HEPFLOW_TEST_SEED when set, else a fresh random one. It is
// printed with `test` so that a failure seen once (in CI) can be replayed exactly.
std::uint64_t testSeed(std::string_view test);

}  // namespace hepflow::test
