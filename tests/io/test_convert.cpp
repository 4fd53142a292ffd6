// GNNet -> HDF5 -> GNNet is lossless on real shared samples, and dataset detection / filters work.
#include "io/convert.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <random>

#include "io/gnnet.hpp"
#include "io/h5store.hpp"
#include "net/error.hpp"
#include "shared_data.hpp"

namespace autoopt::io {
namespace {
namespace fs = std::filesystem;

struct TempDir {
  fs::path path;
  TempDir() {
    std::random_device rd;
    path = fs::temp_directory_path() / ("autoopt-test-convert-" + std::to_string(rd()));
    fs::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

TEST(Convert, GnnetToHdf5ToGnnetIsLossless) {
  const fs::path in = testing::shared_dir() / "data/gnnet2022/validation/50";
  AUTOOPT_REQUIRE_SHARED(in);
  TempDir tmp;
  const auto original = read_gnnet_dataset(in);
  ASSERT_FALSE(original.empty());

  const auto r1 = gnnet_to_hdf5(in, tmp.path / "h5", {}, {});
  EXPECT_EQ(r1.samples, original.size());
  EXPECT_EQ(detect_dataset(tmp.path / "h5"), DatasetKind::Hdf5);
  const auto from_h5 = ShardStore::open(tmp.path / "h5").read_all();
  ASSERT_EQ(from_h5.size(), original.size());
  for (std::size_t i = 0; i < original.size(); ++i) EXPECT_TRUE(from_h5[i] == original[i]) << "sample " << i;

  const auto r2 = to_gnnet(tmp.path / "h5", tmp.path / "gnnet", {});
  EXPECT_EQ(r2.samples, original.size());
  EXPECT_EQ(detect_dataset(tmp.path / "gnnet"), DatasetKind::Gnnet);
  const auto back = read_gnnet_dataset(tmp.path / "gnnet");
  ASSERT_EQ(back.size(), original.size());
  for (std::size_t i = 0; i < original.size(); ++i) EXPECT_TRUE(back[i] == original[i]) << "sample " << i;
}

TEST(Convert, SizeFilterAndMixedSizesGetOneRootPerSize) {
  const fs::path root = testing::shared_dir() / "data/gnnet2022/validation";
  AUTOOPT_REQUIRE_SHARED(root / "50");
  TempDir tmp;
  std::size_t visited = 0;
  for_each_sample(root, {50, 75}, [&](std::size_t, const net::Sample& s) {
    EXPECT_TRUE(s.num_nodes() == 50 || s.num_nodes() == 75);
    ++visited;
  });
  EXPECT_GT(visited, 14u);
  const auto r = gnnet_to_hdf5(root, tmp.path / "h5", {50, 75}, {});
  EXPECT_EQ(r.samples, visited);
  to_gnnet(tmp.path / "h5", tmp.path / "out", {});
  EXPECT_TRUE(fs::is_directory(tmp.path / "out/50/graphs"));
  EXPECT_TRUE(fs::is_directory(tmp.path / "out/75/routings"));
  EXPECT_EQ(GnnetDataset(tmp.path / "out").size(), visited);
}

TEST(Convert, DetectRefusesWhatIsNotADataset) {
  TempDir tmp;
  try {
    (void)detect_dataset(tmp.path);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("not a dataset"), std::string::npos) << e.what();
  }
  try {
    (void)detect_dataset(tmp.path / "missing");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("no such file or folder"), std::string::npos) << e.what();
  }
}

TEST(Convert, UnlabelledSamplesCannotBeWrittenAsGnnet) {
  const fs::path in = testing::shared_dir() / "data/gnnet2022/validation/50";
  AUTOOPT_REQUIRE_SHARED(in);
  TempDir tmp;
  GnnetDataset ds(in);
  net::Sample s = ds.load(0);
  s.results.reset();
  write_shard(tmp.path / "one.h5", std::span<const net::Sample>(&s, 1));
  try {
    to_gnnet(tmp.path / "one.h5", tmp.path / "out", {});
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("has no results"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace autoopt::io
