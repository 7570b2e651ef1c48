// Collection inference from the schema and field lookup by name (docs/expressions.md,
// "Collections").
#include "frame/expr/detail/collections.h"

#include <algorithm>

#include "frame/expr/detail/diagnostics.h"

namespace hepflow::frame::expr::detail {

bool isInternalColumn(std::string_view name) {
    return !name.empty() && name.front() == '#';
}

bool indexIsPosition(const Coll& coll, std::string_view field) {
    if (field != "index") return false;
    if (coll.kind == Coll::Kind::Concat) return true;
    const auto at = std::find(coll.fields.begin(), coll.fields.end(), field) - coll.fields.begin();
    return coll.kind == Coll::Kind::Base && static_cast<std::size_t>(at) >= coll.columns.size();
}

bool usableColumn(const ColumnType& type) {
    return type.levels <= 1 && type.dtype != DType::String && type.dtype != DType::Struct;
}

// NanoAOD: jagged `X_field` (normally beside a flat `nX`); Delphes: jagged `X.field`.
CollectionIndex inferCollections(const Schema& schema) {
    CollectionIndex index;
    for (const auto& [name, type] : schema.columns) {
        if (type.levels != 1 || !usableColumn(type) || isInternalColumn(name)) continue;
        const std::size_t dot = name.find('.');
        const std::size_t underscore = name.find('_');
        const std::size_t cut = std::min(dot, underscore);
        if (cut == std::string::npos || cut == 0 || cut + 1 >= name.size()) continue;
        const std::string coll = name.substr(0, cut);
        const std::string field = name.substr(cut + 1);
        auto& fields = index.fields[coll];
        bool duplicate = false;
        for (const auto& f : fields) duplicate = duplicate || f.first == field;
        if (duplicate) continue;
        fields.emplace_back(field, name);
        index.column_collection[name] = coll;
    }
    return index;
}

std::optional<std::string> findField(const Coll& coll, std::string_view name) {
    for (const auto& f : coll.fields)
        if (f == name) return f;
    std::optional<std::string> found;
    for (const auto& f : coll.fields) {
        if (lower(f) == lower(name)) {
            if (found) return std::nullopt;  // ambiguous
            found = f;
        }
    }
    return found;
}

std::optional<std::string> fourVectorField(const Coll& coll, std::string_view part) {
    for (const auto& f : coll.fields) {
        const std::string l = lower(f);
        if (l == part || (part == "mass" && l == "m")) return f;
    }
    return std::nullopt;
}

}  // namespace hepflow::frame::expr::detail
