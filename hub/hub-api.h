// Hub REST calls shared by download and upload: URLs, the error mapping of huggingface_hub's
// hf_raise_for_status (one-line BadInput/RuntimeFailure messages), revision info and the tree listing.
#pragma once

#include <string>

#include "hub/hub-cache.h"
#include "hub/hub-http.h"

namespace hezar::hub {

// {endpoint}/{prefix}{repo_id}/resolve/{quote(revision, safe="")}/{quote(filename)}
std::string resolve_url(const RepoRef& repo, const std::string& revision, const std::string& filename);
// {endpoint}/api/{type}s/{repo_id}
std::string api_repo_url(const RepoRef& repo);

// A request with the user agent, the resolved token and the configured timeouts.
HttpRequest hub_request(const std::string& method, const std::string& url, bool token_required = false);

// Throws for status >= 400 with a message naming the repo, revision and file: BadInput for
// RepositoryNotFound / RevisionNotFound / EntryNotFound / GatedRepo / bad credentials / 403, and
// RuntimeFailure for server errors and rate limits.
void raise_for_status(const HttpResponse& response, const RepoRef& repo, const std::string& filename = "");

// The commit a revision points to on the Hub (GET /api/{type}s/{id}/revision/{rev}).
std::string fetch_commit(const RepoRef& repo);

// Every file of a commit (tree API, recursive, following Link pagination). File names are validated
// first: a listing with '..', absolute paths or backslashes is refused before anything is written.
TreeFiles fetch_tree(const RepoRef& repo, const std::string& commit);

// Rewrites https://huggingface.co/... URLs from API responses to the configured endpoint.
std::string fix_endpoint_in_url(const std::string& url);

}  // namespace hezar::hub
