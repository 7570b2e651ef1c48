// Collections of the expression language (docs/expressions.md, "Collections"): how they are
// inferred from the schema (NanoAOD `X_field`, Delphes `X.field`), the compile-time form of a
// collection (base, masked, concatenated), the objects of pairs()/triplets(), and field lookup.
#pragma once

#include <cstddef>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "frame/expr/detail/type_rules.h"
#include "frame/expr/expression.h"

namespace hepflow::frame::expr::detail {

// Whether an expression may read the column: numbers and bools with at most one jagged level.
bool usableColumn(const ColumnType& type);
// Columns named "#..." belong to the engine (the masks of object selections): no identifier
// names them, and they are left out of collections and suggestions.
bool isInternalColumn(std::string_view name);

// The collections of a schema.
struct CollectionIndex {
    // Collection name -> (field, column) in schema order.
    std::map<std::string, std::vector<std::pair<std::string, std::string>>> fields;
    // Column -> the collection it is a field of.
    std::unordered_map<std::string, std::string> column_collection;
};

CollectionIndex inferCollections(const Schema& schema);

// A collection as the compiler sees it; its fields are lowered lazily, only when used.
struct Coll {
    enum class Kind { Base, Masked, Concat };
    Kind kind = Kind::Base;
    std::string key;   // counts identity, as Val::coll
    std::string root;  // display name
    // Field names (data fields, then "source" for a concat, then "index").
    std::vector<std::string> fields;
    std::vector<std::string> columns;  // Base: the column of each data field
    std::shared_ptr<Coll> parent;      // Masked, Concat (first)
    std::shared_ptr<Coll> second;      // Concat
    Val mask;                          // Masked
};
using CollPtr = std::shared_ptr<Coll>;

// True when `field` of `coll` is the objects' positions in it rather than a column: the
// "index" of a base collection without an index column, and of a concat.
bool indexIsPosition(const Coll& coll, std::string_view field);

// The combinations of a pairs()/triplets(): one register of object positions per member.
struct Combo {
    std::string key;
    std::string root;
    std::vector<CollPtr> colls;  // collection of each member
    std::vector<int> regs;       // jagged Int64 local positions of each member
    std::vector<int> absolute;   // the same as positions among all values (gatherCombined)
    std::vector<int> made_from;  // the collection offsets each member's positions count in
};
using ComboPtr = std::shared_ptr<Combo>;

// A lambda parameter of pairs()/triplets(): one member of the combinations.
struct ParamRef {
    ComboPtr combo;
    std::size_t member = 0;
    std::string name;
};

// What a name or subexpression lowers to: a value, a collection or a lambda parameter.
struct Term {
    enum class Kind { Value, Collection, Param };
    Kind kind = Kind::Value;
    Val value;
    CollPtr coll;
    ParamRef param;
};

// The field of `coll` called `name`: exact match first, else a unique case-insensitive one.
std::optional<std::string> findField(const Coll& coll, std::string_view name);

// The field holding four-vector component `part` ("pt", "eta", "phi", "mass"; "m" also counts
// as mass), case-insensitively.
std::optional<std::string> fourVectorField(const Coll& coll, std::string_view part);

}  // namespace hepflow::frame::expr::detail
