// How the branches of a tree become named columns and how such columns are written back:
// NanoAOD-style names (Delphes' Jet/Jet.PT -> Jet_PT counted by nJet, array dimensions
// dropped), the counter of each jagged column and the writer's BranchSpec. Shared by the
// engine's datasets and snapshots and by `hepflow copy`, so both name columns alike.
#pragma once

#include <string>
#include <variant>

#include "root/compression/compression.h"
#include "root/tree/tree.h"
#include "root/writer/tree_writer.h"

namespace hepflow::frame::engine {

// Whether `branch` is the size branch of a split collection (TClonesArray or STL container of
// objects): its values are the number of objects per entry, and its members are counted by it.
bool isCollectionSize(const root::Tree& tree, const root::TBranch& branch);

// The column name of a branch: array dimensions dropped ("FracPt[5]"), '.' made '_'
// (Jet.PT -> Jet_PT), and "n" before the size branch of a split collection (Jet -> nJet).
std::string columnName(const root::Tree& tree, const root::TBranch& branch);

// The branch that counts a jagged branch: the collection a Delphes member belongs to, or the
// branch of the count leaf of a counted array (Muon_pt[nMuon]); null for std::vector & co.
const root::TBranch* sourceCounter(const root::Tree& tree, const root::TBranch& branch);

// How `branch` (which must have an interpretation) is written by TreeWriter, or why it cannot
// be (the writer's own message): column shape, name, counter and layout.
std::variant<root::BranchSpec, std::string> branchSpecFor(const root::Tree& tree,
                                                          const root::TBranch& branch,
                                                          root::JaggedLayout layout,
                                                          root::CompressionSetting compression);

}  // namespace hepflow::frame::engine
