// An object selection `Collection[cut]` split into steps the lazy scheduler can place one by
// one: the mask, the counter, and one masked copy per field. A field is then made just before
// its first reader, or after the last selection on the few events that reach the outputs,
// instead of every field of every event up front.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "frame/engine/computation.h"
#include "frame/expr/expression.h"

namespace hepflow::frame::engine::detail {

// `Collection[cut]` split at its outer brackets; nullopt for any other form.
struct ObjectSelectionText {
    std::string collection;
    std::string cut;
};
std::optional<ObjectSelectionText> splitObjectSelection(const std::string& text);

// The name of the hidden mask column of object selection `name`: not an identifier, so no
// expression or branch glob can reach it.
std::string maskColumnName(const std::string& name);

// The column of `collection`'s field `field` in `schema` (NanoAOD "C_f" or Delphes "C.f"),
// or "" when there is none.
std::string fieldColumn(const expr::Schema& schema, const std::string& collection,
                        const std::string& field);

// Per event, the number of objects the mask keeps (Int32, as the counters of selections).
Computation maskCounter(const std::string& label, const std::string& mask_column);
// The objects of `source` the mask keeps (kernels::maskObjects), in the source's own type: a
// skim's GoodMuon_charge is Int_t like Muon_charge, so code written for the input reads it.
Computation maskedField(const std::string& label, const std::string& source,
                        const std::string& mask_column);
// The position in the original collection of each kept object (Int32, as NanoAOD's indices).
Computation maskedIndex(const std::string& label, const std::string& mask_column);

}  // namespace hepflow::frame::engine::detail
