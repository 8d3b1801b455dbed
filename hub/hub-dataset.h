// Hub dataset repos as local data folders for our dataset readers.
#pragma once

#include <string>

namespace hezar::hub {

// A local path as is. A Hub dataset id ("org/name" or "org/name@revision") is pulled (or resolved from
// the cache) and turned into a folder with one <split>.csv per split: the repo's CSV files, and its
// JSONL / TSV files converted to CSV (shards of a split concatenated), kept beside the cache under
// hezar-datasets/<repo folder>/<commit>/ with the data folder's other entries linked in, so relative
// paths in the files (images) still resolve. Parquet-only repos are a BadInput saying it is not
// supported yet.
std::string hub_resolve_dataset_path(const std::string& path_or_repo_id);

}  // namespace hezar::hub
