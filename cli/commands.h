// Each `hezar` subcommand registers itself on the app; main.cc only wires them up and maps errors to
// exit codes.
#pragma once

#include <CLI/CLI.hpp>

namespace hezar::cli {

void add_train_command(CLI::App& app);
void add_eval_command(CLI::App& app);
void add_predict_command(CLI::App& app);
void add_list_command(CLI::App& app);
void add_config_command(CLI::App& app);
void add_tokenize_command(CLI::App& app);
void add_tokenizer_commands(CLI::App& app);  // tokenizer train
void add_hub_commands(CLI::App& app);  // pull, push, login, logout, whoami

}  // namespace hezar::cli
