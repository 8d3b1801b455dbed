// Config decoding, encoding, overrides and error messages.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "core/config.h"
#include "core/error.h"
#include "core/registry.h"
#include "tests/testing/bad_input.h"

namespace hezar {
namespace {

struct InnerConfig : Config {
  HEZAR_CONFIG(InnerConfig, "inner", "test_inner")
  int depth = 3;
  void visit(FieldVisitor& v) override { v("depth", depth); }
};

struct OtherInnerConfig : Config {
  HEZAR_CONFIG(OtherInnerConfig, "other_inner", "test_inner")
  std::string label = "x";
  void visit(FieldVisitor& v) override { v("label", label); }
};

HEZAR_REGISTER_CONFIG("test_inner", "inner", InnerConfig, "inner test config");
HEZAR_REGISTER_CONFIG("test_inner", "other_inner", OtherInnerConfig, "other inner test config");

struct SampleConfig : Config {
  HEZAR_CONFIG(SampleConfig, "sample", "test")
  int batch_size = 8;
  double learning_rate = 2e-5;
  bool shuffle = true;
  std::string optimizer = "adam";
  std::optional<int64_t> max_steps;
  std::vector<int> size = {28, 28};
  std::map<int, std::string> id2label;
  InnerConfig nested;
  AnyConfig any{"test_inner"};
  void visit(FieldVisitor& v) override {
    v("batch_size", batch_size);
    v("learning_rate", learning_rate);
    v("shuffle", shuffle);
    v("optimizer", optimizer);
    v("max_steps", max_steps);
    v("size", size);
    v("id2label", id2label);
    v("nested", nested);
    v("any", any);
  }
};

SampleConfig decode(const std::string& yaml, const std::string& file = "config.yaml") {
  SampleConfig c;
  config_decode(c, yaml_parse(yaml, file), DecodeContext{file, ""});
  return c;
}

using testing::bad_input_message;

TEST(Config, DefaultsSurviveAnEmptyFile) {
  SampleConfig c = decode("{}");
  EXPECT_EQ(c.batch_size, 8);
  EXPECT_EQ(c.optimizer, "adam");
  EXPECT_FALSE(c.max_steps.has_value());
}

TEST(Config, DecodesEveryFieldType) {
  SampleConfig c = decode(
      "name: sample\nbatch_size: 16\nlearning_rate: 1e-3\nshuffle: false\noptimizer: sgd\nmax_steps: 100\n"
      "size: [32, 64]\nid2label: {0: cat, 1: dog}\nnested: {depth: 5}\nany: {name: other_inner, label: y}\n");
  EXPECT_EQ(c.batch_size, 16);
  EXPECT_DOUBLE_EQ(c.learning_rate, 1e-3);
  EXPECT_FALSE(c.shuffle);
  EXPECT_EQ(c.optimizer, "sgd");
  EXPECT_EQ(c.max_steps.value(), 100);
  EXPECT_EQ(c.size, (std::vector<int>{32, 64}));
  EXPECT_EQ(c.id2label.at(1), "dog");
  EXPECT_EQ(c.nested.depth, 5);
  ASSERT_TRUE(c.any.has_value());
  EXPECT_STREQ(c.any->name(), "other_inner");
  EXPECT_EQ(dynamic_cast<OtherInnerConfig&>(*c.any).label, "y");
}

TEST(Config, RoundTripsThroughYamlWithStableOrder) {
  SampleConfig c = decode("batch_size: 4\nid2label: {0: '1', 1: 'true', 2: Ankle boot}\nany: {name: inner}\n");
  c.learning_rate = 0.1;
  const std::string yaml = config_to_yaml(c);
  // name and config_type first, then fields in declaration order; unset optionals are skipped.
  EXPECT_EQ(yaml.find("name: sample"), 0u);
  EXPECT_LT(yaml.find("config_type: test"), yaml.find("batch_size"));
  EXPECT_LT(yaml.find("batch_size"), yaml.find("learning_rate"));
  EXPECT_EQ(yaml.find("max_steps"), std::string::npos);
  // Strings that look like numbers or booleans are quoted, so they come back as strings.
  EXPECT_NE(yaml.find("\"1\""), std::string::npos);
  EXPECT_NE(yaml.find("\"true\""), std::string::npos);
  SampleConfig back = decode(yaml);
  EXPECT_EQ(config_to_yaml(back), yaml);
  EXPECT_EQ(back.id2label.at(0), "1");
  EXPECT_DOUBLE_EQ(back.learning_rate, 0.1);
}

TEST(Config, DoublesAreWrittenSoPythonReadsThemAsFloats) {
  SampleConfig c;
  c.learning_rate = 2e-5;
  const std::string yaml = config_to_yaml(c);
  EXPECT_NE(yaml.find("learning_rate: 2.0e-05"), std::string::npos) << yaml;
  c.learning_rate = 1.0;
  EXPECT_NE(config_to_yaml(c).find("learning_rate: 1.0"), std::string::npos);
  c.learning_rate = 0.1 + 0.2;  // needs 17 digits to read back exactly
  EXPECT_EQ(decode(config_to_yaml(c)).learning_rate, 0.1 + 0.2);
}

TEST(Config, UnknownKeyNamesFileLineAndClosestKey) {
  std::string message = bad_input_message([] { decode("batch_size: 4\n\nlerning_rate: 0.1\n"); });
  EXPECT_EQ(message, "unknown key 'lerning_rate' in sample (config.yaml:3); did you mean 'learning_rate'?");
  message = bad_input_message([] { decode("nested:\n  dpth: 1\n"); });
  EXPECT_EQ(message, "unknown key 'dpth' in nested (config.yaml:2); did you mean 'depth'?");
  message = bad_input_message([] { decode("completely_different: 1\n"); });
  EXPECT_EQ(message, "unknown key 'completely_different' in sample (config.yaml:1)");
}

TEST(Config, WrongTypesAreNamedWithTheirLocation) {
  EXPECT_EQ(bad_input_message([] { decode("batch_size: many\n"); }),
            "batch_size (config.yaml:1): expected an integer, got 'many'");
  EXPECT_EQ(bad_input_message([] { decode("batch_size: 1.5\n"); }),
            "batch_size (config.yaml:1): expected an integer, got '1.5'");
  EXPECT_EQ(bad_input_message([] { decode("shuffle: maybe\n"); }),
            "shuffle (config.yaml:1): expected a boolean (true/false), got 'maybe'");
  EXPECT_EQ(bad_input_message([] { decode("size: 28\n"); }), "size (config.yaml:1): expected a list, got '28'");
  EXPECT_EQ(bad_input_message([] { decode("size: [28, x]\n"); }), "size.1 (config.yaml:1): expected an integer, got 'x'");
  EXPECT_EQ(bad_input_message([] { decode("learning_rate: fast\n"); }),
            "learning_rate (config.yaml:1): expected a number, got 'fast'");
}

TEST(Config, MismatchedNameIsRejected) {
  EXPECT_NE(bad_input_message([] { decode("name: bert\n"); }).find("name 'bert' in sample"), std::string::npos);
}

TEST(Config, UnknownRegistryNameListsValidOnes) {
  const std::string message = bad_input_message([] { decode("any: {name: iner}\n"); });
  EXPECT_EQ(message, "unknown test_inner 'iner' in any (config.yaml:1); did you mean 'inner'?; valid: inner, other_inner");
  EXPECT_NE(bad_input_message([] { decode("any: {depth: 1}\n"); }).find("has no 'name'"), std::string::npos);
}

TEST(Config, MalformedYamlNamesFileAndLine) {
  const std::string message = bad_input_message([] { yaml_parse("a: [1, 2\nb: 3\n", "bad.yaml"); });
  EXPECT_EQ(message.rfind("malformed YAML in bad.yaml:", 0), 0u) << message;
}

TEST(Config, MissingFileIsBadInput) {
  EXPECT_NE(bad_input_message([] { yaml_load_file("/nonexistent/config.yaml"); }).find("does not exist"), std::string::npos);
}

TEST(Config, OverridesBeatTheFileAndAreTyped) {
  YAML::Node root = yaml_parse("batch_size: 4\nnested: {depth: 1}\n", "config.yaml");
  yaml_apply_override(root, "batch_size=16");
  yaml_apply_override(root, "nested.depth=7");
  yaml_apply_override(root, "size=[1, 2]");
  yaml_apply_override(root, "max_steps=null");
  SampleConfig c;
  config_decode(c, root, DecodeContext{"config.yaml", ""});
  EXPECT_EQ(c.batch_size, 16);
  EXPECT_EQ(c.nested.depth, 7);
  EXPECT_EQ(c.size, (std::vector<int>{1, 2}));
  EXPECT_FALSE(c.max_steps.has_value());
}

TEST(Config, BadOverridesAreReportedAsCommandLine) {
  YAML::Node root = yaml_parse("batch_size: 4\n", "config.yaml");
  yaml_apply_override(root, "lerning_rate=0.1");
  SampleConfig c;
  EXPECT_EQ(bad_input_message([&] { config_decode(c, root, DecodeContext{"config.yaml", ""}); }),
            "unknown key 'lerning_rate' in sample (--set); did you mean 'learning_rate'?");
  YAML::Node typed = yaml_parse("{}", "config.yaml");
  yaml_apply_override(typed, "batch_size=abc");
  EXPECT_EQ(bad_input_message([&] { config_decode(c, typed, DecodeContext{"config.yaml", ""}); }),
            "batch_size (--set): expected an integer, got 'abc'");
  EXPECT_NE(bad_input_message([&] { yaml_apply_override(root, "no_equals_sign"); }).find("section.key=value"),
            std::string::npos);
  EXPECT_NE(bad_input_message([&] { yaml_apply_override(root, "a..b=1"); }).find("empty key"), std::string::npos);
}

TEST(Config, WithOverridesCopiesAndApplies) {
  SampleConfig base;
  auto changed = config_with_overrides(base, {"optimizer=adamw", "nested.depth=9"});
  auto& typed = config_cast<SampleConfig>(*changed);
  EXPECT_EQ(typed.optimizer, "adamw");
  EXPECT_EQ(typed.nested.depth, 9);
  EXPECT_EQ(base.optimizer, "adam");
}

TEST(Config, SaveIsAtomicAndLoadsBackByName) {
  const std::string dir = std::string(std::getenv("TEST_TMPDIR")) + "/config_save";
  InnerConfig inner;
  inner.depth = 11;
  config_save(inner, dir + "/sub/inner.yaml");
  auto loaded = config_load(dir + "/sub/inner.yaml", "test_inner");
  EXPECT_EQ(config_cast<InnerConfig>(*loaded).depth, 11);
  for (const auto& entry : std::filesystem::directory_iterator(dir + "/sub"))
    EXPECT_EQ(entry.path().filename(), "inner.yaml");  // no temp file left behind
}

TEST(Config, CastToTheWrongClassIsAClearError) {
  InnerConfig inner;
  EXPECT_EQ(bad_input_message([&] { config_cast<OtherInnerConfig>(inner); }),
            "expected a 'other_inner' config but got 'inner'");
}

TEST(Config, FindFieldByNameAndType) {
  SampleConfig c;
  ASSERT_NE(config_find_field<int>(c, "batch_size"), nullptr);
  EXPECT_EQ(config_find_field<std::string>(c, "batch_size"), nullptr);  // wrong type
  EXPECT_EQ(config_find_field<int>(c, "nope"), nullptr);
}

}  // namespace
}  // namespace hezar
