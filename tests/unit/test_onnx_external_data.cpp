// External data (export and import) and broken model files: every refusal is a user error that
// names the tensor and the file; nothing outside the model's folder can be read.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "io/atomic_file.h"
#include "onnx.pb.h"
#include "onnx/export.h"
#include "onnx/import.h"
#include "onnx_test_util.h"
#include "support/fixtures.h"

namespace samq::onnx {
namespace {

namespace fs = std::filesystem;
using testutil::ModelDiff;
using testutil::TempDir;

void WriteBytes(const fs::path& p, const std::string& bytes) {
  std::ofstream(p, std::ios::binary)
      .write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

ir::Model ExternalFriendlyModel() {
  ir::Model m = testutil::AddModel(2048, "big");  // 8 KiB: external, used in place from the mapping
  m.graph.initializers["small"] = Tensor::FromVector<float>({3}, {1, 2, 3});  // stays inline
  Tensor q = Tensor::Zeros(DType::kInt4, {5001});  // 2501 bytes packed: external, odd count
  for (int i = 0; i < 5001; ++i) q.data<int8_t>()[i] = static_cast<int8_t>(i % 16 - 8);
  m.graph.initializers["q"] = q;
  Tensor b = Tensor::Zeros(DType::kBFloat16, {1500});  // 3000 bytes, not a multiple of 64
  for (int i = 0; i < 1500; ++i) b.data<uint16_t>()[i] = static_cast<uint16_t>(i * 7);
  m.graph.initializers["bf"] = b;
  m.ir_version = 10;
  return m;
}

TEST(OnnxExternalData, SaveAndLoadBack) {
  TempDir dir;
  ir::Model m = ExternalFriendlyModel();
  ExportOptions opts;
  opts.external_data = true;
  ASSERT_TRUE(SaveModel(m, dir / "m.onnx", opts).ok());
  ASSERT_TRUE(fs::exists(dir / "m.onnx.data"));

  onnxpb::ModelProto mp;
  ASSERT_TRUE(mp.ParseFromString(io::ReadFile(dir / "m.onnx").value()));
  int external = 0;
  for (const auto& tp : mp.graph().initializer()) {
    if (tp.name() == "small") {
      EXPECT_NE(tp.data_location(), onnxpb::TensorProto::EXTERNAL);
      continue;
    }
    ASSERT_EQ(tp.data_location(), onnxpb::TensorProto::EXTERNAL) << tp.name();
    ++external;
    std::map<std::string, std::string> kv;
    for (const auto& e : tp.external_data()) kv[e.key()] = e.value();
    EXPECT_EQ(kv["location"], "m.onnx.data");
    EXPECT_EQ(std::stoull(kv["offset"]) % 64, 0u) << tp.name();
    if (tp.name() == "q") {
      EXPECT_EQ(kv["length"], "2501");
    }
  }
  EXPECT_EQ(external, 3);

  auto r = LoadModel(dir / "m.onnx");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(ModelDiff(m, r->model), "");
  EXPECT_TRUE(r->missing_external.empty());
  for (const auto& [name, t] : r->model.graph.initializers)
    EXPECT_EQ(reinterpret_cast<uintptr_t>(t.raw()) % 64, 0u) << name;

  // Saving over the model whose data file backs the loaded tensors is safe (atomic rename).
  ASSERT_TRUE(SaveModel(r->model, dir / "m.onnx", opts).ok());
  auto again = LoadModel(dir / "m.onnx");
  ASSERT_TRUE(again.ok()) << again.status().message();
  EXPECT_EQ(ModelDiff(m, again->model), "");
  EXPECT_EQ(ModelDiff(m, r->model), "");  // the first load's views still read the old data

  // Writes into a loaded tensor never reach the file (copy-on-write mapping).
  again->model.graph.initializers.at("big").data<float>()[0] = 99.f;
  auto third = LoadModel(dir / "m.onnx");
  ASSERT_TRUE(third.ok());
  EXPECT_EQ(third->model.graph.initializers.at("big").data<float>()[0], 0.f);
}

// A model whose only initializer 'w' (float[4]) lives in external data described by `kv`.
std::string ModelWithExternal(const std::vector<std::pair<std::string, std::string>>& kv,
                              const std::string& second_location = "") {
  onnxpb::ModelProto mp;
  mp.set_ir_version(8);
  mp.add_opset_import()->set_version(17);
  auto* g = mp.mutable_graph();
  auto add_init = [&](const std::string& name,
                      const std::vector<std::pair<std::string, std::string>>& entries) {
    auto* t = g->add_initializer();
    t->set_name(name);
    t->set_data_type(1);
    t->add_dims(4);
    t->set_data_location(onnxpb::TensorProto::EXTERNAL);
    for (const auto& [k, v] : entries) {
      auto* e = t->add_external_data();
      e->set_key(k);
      e->set_value(v);
    }
  };
  add_init("w", kv);
  if (!second_location.empty()) add_init("w2", {{"location", second_location}, {"offset", "0"}});
  return mp.SerializeAsString();
}

std::string FloatBytes(std::vector<float> v) {
  return std::string(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(float));
}

void ExpectLoadError(const TempDir& dir, const std::string& model_bytes,
                     const std::vector<std::string>& needles) {
  WriteBytes(dir / "bad.onnx", model_bytes);
  auto r = LoadModel(dir / "bad.onnx");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().kind(), ErrorKind::kUser);
  EXPECT_NE(r.status().message().find("bad.onnx"), std::string::npos) << r.status().message();
  EXPECT_NE(r.status().message().find("initializer 'w'"), std::string::npos)
      << r.status().message();
  for (const auto& n : needles)
    EXPECT_NE(r.status().message().find(n), std::string::npos) << r.status().message();
}

TEST(OnnxExternalData, ManyFilesOffsetsAndSubfolders) {
  TempDir dir;
  fs::create_directories(dir / "sub");
  WriteBytes(dir / "a.bin", "pad" + FloatBytes({1, 2, 3, 4}) + "tail");
  WriteBytes(dir / "sub" / "b.bin", FloatBytes({5, 6, 7, 8}));
  WriteBytes(
      dir / "m.onnx",
      ModelWithExternal({{"location", "a.bin"}, {"offset", "3"}, {"length", "16"}}, "sub/b.bin"));
  auto r = LoadModel(dir / "m.onnx");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->model.graph.initializers.at("w").AsDoubleVector(),
            (std::vector<double>{1, 2, 3, 4}));
  EXPECT_EQ(r->model.graph.initializers.at("w2").AsDoubleVector(),
            (std::vector<double>{5, 6, 7, 8}));
}

TEST(OnnxExternalData, LocationsOutsideTheFolderAreRefused) {
  TempDir outside;
  WriteBytes(outside / "secret.bin", FloatBytes({1, 2, 3, 4}));
  TempDir dir;
  fs::create_directories(dir / "sub");
  ExpectLoadError(dir, ModelWithExternal({{"location", "../x.bin"}}),
                  {"../x.bin", "leaves the model's folder"});
  ExpectLoadError(dir, ModelWithExternal({{"location", "sub/../../x.bin"}}),
                  {"leaves the model's folder"});
  ExpectLoadError(dir, ModelWithExternal({{"location", (outside / "secret.bin").string()}}),
                  {"absolute path"});
  fs::create_symlink(outside / "secret.bin", dir / "link.bin");
  ExpectLoadError(dir, ModelWithExternal({{"location", "link.bin"}}),
                  {"link.bin", "outside the model's folder"});
  fs::create_directory_symlink(outside.path(), dir / "linkdir");
  ExpectLoadError(dir, ModelWithExternal({{"location", "linkdir/secret.bin"}}),
                  {"outside the model's folder"});
  ExpectLoadError(dir, ModelWithExternal({{"location", "sub"}}), {"not a regular file"});
  ExpectLoadError(dir, ModelWithExternal({{"location", std::string("a\0b", 3)}}), {"NUL"});
}

TEST(OnnxExternalData, MissingShortAndInconsistentData) {
  TempDir dir;
  ExpectLoadError(dir, ModelWithExternal({{"location", "nope.bin"}}), {"nope.bin", "not found"});
  WriteBytes(dir / "short.bin", FloatBytes({1, 2, 3}));
  ExpectLoadError(dir, ModelWithExternal({{"location", "short.bin"}}), {"short.bin", "too short"});
  WriteBytes(dir / "ok.bin", FloatBytes({1, 2, 3, 4}));
  ExpectLoadError(dir, ModelWithExternal({{"location", "ok.bin"}, {"offset", "4"}}),
                  {"ok.bin", "too short"});
  ExpectLoadError(dir,
                  ModelWithExternal({{"location", "ok.bin"}, {"offset", "99999999999999999999"}}),
                  {"not a non-negative integer"});
  ExpectLoadError(dir, ModelWithExternal({{"location", "ok.bin"}, {"length", "12"}}),
                  {"length 12", "does not match"});
  ExpectLoadError(dir, ModelWithExternal({{"location", "ok.bin"}, {"offset", "-1"}}), {"offset"});
  ExpectLoadError(dir, ModelWithExternal({{"offset", "0"}}), {"no 'location'"});
  // The second tensor's file is missing: the error names that tensor and file.
  WriteBytes(dir / "m2.onnx", ModelWithExternal({{"location", "ok.bin"}}, "gone.bin"));
  auto r = LoadModel(dir / "m2.onnx");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("initializer 'w2'"), std::string::npos);
  EXPECT_NE(r.status().message().find("gone.bin"), std::string::npos);
}

TEST(OnnxExternalData, PlaceholdersWhenNotLoading) {
  TempDir dir;
  WriteBytes(dir / "m.onnx", ModelWithExternal({{"location", "nope.bin"}}, "also_missing.bin"));
  ImportOptions opts;
  opts.load_external_data = false;
  auto r = LoadModel(dir / "m.onnx", opts);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->missing_external, (std::vector<std::string>{"w", "w2"}));
  EXPECT_EQ(r->model.graph.initializers.at("w").AsDoubleVector(),
            (std::vector<double>{0, 0, 0, 0}));
  // Large placeholders cost no memory until written, and can be written.
  onnxpb::ModelProto mp;
  mp.set_ir_version(8);
  auto* t = mp.mutable_graph()->add_initializer();
  t->set_name("huge");
  t->set_data_type(1);
  t->add_dims(1 << 28);  // 1 GiB of float32
  t->set_data_location(onnxpb::TensorProto::EXTERNAL);
  auto* e = t->add_external_data();
  e->set_key("location");
  e->set_value("w.bin");
  auto big = ParseModel(mp.SerializeAsString(), dir.path(), opts);
  ASSERT_TRUE(big.ok()) << big.status().message();
  Tensor& h = big->model.graph.initializers.at("huge");
  EXPECT_EQ(h.data<float>()[(1 << 28) - 1], 0.f);
  h.data<float>()[0] = 1.f;
}

TEST(OnnxBadFiles, TruncatedRandomTextEmptyMissing) {
  TempDir dir;
  auto expect_error = [&](const fs::path& p, const std::string& needle) {
    auto r = LoadModel(p);
    ASSERT_FALSE(r.ok()) << p;
    EXPECT_EQ(r.status().kind(), ErrorKind::kUser);
    EXPECT_NE(r.status().message().find(p.filename().string()), std::string::npos)
        << r.status().message();
    EXPECT_NE(r.status().message().find(needle), std::string::npos) << r.status().message();
  };
  std::string valid = SerializeModel(testutil::AddModel(1000)).value();
  WriteBytes(dir / "half.onnx", valid.substr(0, valid.size() / 2));
  expect_error(dir / "half.onnx", "not a valid ONNX model");
  std::mt19937 rng(7);
  std::string noise(4096, '\0');
  for (auto& c : noise) c = static_cast<char>(rng());
  WriteBytes(dir / "random.onnx", noise);
  expect_error(dir / "random.onnx", "");
  WriteBytes(dir / "notes.onnx", "name: model\nversion: 3\nthis is a text file\n");
  expect_error(dir / "notes.onnx", "");
  WriteBytes(dir / "empty.onnx", "");
  expect_error(dir / "empty.onnx", "empty");
  expect_error(dir / "does_not_exist.onnx", "no such file");
  fs::create_directories(dir / "folder.onnx");
  expect_error(dir / "folder.onnx", "not a regular file");
}

TEST(OnnxBadFiles, TruncatedFixtures) {
  SAMQ_REQUIRE_FIXTURES();
  TempDir dir;
  for (const char* rel : {"sam-vit-mini/encoder.onnx", "sam1-decoder/decoder.onnx"}) {
    const fs::path src = samq::testing::FixturesDir() / rel;
    SAMQ_REQUIRE_PATH(src);
    std::string bytes = io::ReadFile(src).value();
    for (size_t cut : {bytes.size() / 2, bytes.size() - 1, size_t{100}}) {
      const fs::path p = dir / ("cut_" + std::to_string(cut) + ".onnx");
      WriteBytes(p, bytes.substr(0, cut));
      auto r = LoadModel(p);
      ASSERT_FALSE(r.ok()) << rel << " cut at " << cut;
      EXPECT_EQ(r.status().kind(), ErrorKind::kUser);
      EXPECT_NE(r.status().message().find(p.filename().string()), std::string::npos);
    }
  }
}

}  // namespace
}  // namespace samq::onnx
