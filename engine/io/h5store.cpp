// HDF5 shard store: columnar shard files of net::Sample values, and a folder of shards with a
// manifest. Layout: docs/hdf5-layout.md.
#include "io/h5store.hpp"

#include <fcntl.h>
#include <hdf5.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <random>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>

#include "io/archive.hpp"
#include "net/error.hpp"

namespace autoopt::io {
namespace {

namespace fs = std::filesystem;
using net::Sample;

// ---- HDF5 plumbing ---------------------------------------------------------------------------

// Turns off HDF5's automatic error printing for the lifetime of the guard (restored afterwards).
class SilenceHdf5 {
 public:
  SilenceHdf5() {
    H5Eget_auto2(H5E_DEFAULT, &func_, &data_);
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  }
  ~SilenceHdf5() { H5Eset_auto2(H5E_DEFAULT, func_, data_); }
  SilenceHdf5(const SilenceHdf5&) = delete;
  SilenceHdf5& operator=(const SilenceHdf5&) = delete;

 private:
  H5E_auto2_t func_ = nullptr;
  void* data_ = nullptr;
};

herr_t innermost_error(unsigned n, const H5E_error2_t* err, void* out) {
  auto* text = static_cast<std::string*>(out);
  if (n == 0 && err != nullptr && err->desc != nullptr) *text = err->desc;
  return 0;
}

// The most specific message on HDF5's error stack (and clears the stack).
std::string hdf5_detail() {
  std::string text;
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, innermost_error, &text);
  H5Eclear2(H5E_DEFAULT);
  return text.empty() ? std::string() : " (HDF5: " + text + ")";
}

[[noreturn]] void fail(const std::string& file, const std::string& dataset, const std::string& what) {
  std::string msg = file + ": ";
  if (!dataset.empty()) msg += "dataset /" + dataset + ": ";
  throw Error(msg + what);
}

[[noreturn]] void fail_hdf5(const std::string& file, const std::string& dataset, const std::string& what) {
  fail(file, dataset, what + hdf5_detail());
}

// An owned HDF5 identifier, closed by the matching H5?close.
class Handle {
 public:
  using Closer = herr_t (*)(hid_t);
  Handle() = default;
  Handle(hid_t id, Closer closer) noexcept : id_(id), closer_(closer) {}
  ~Handle() { reset(); }
  Handle(Handle&& o) noexcept : id_(std::exchange(o.id_, H5I_INVALID_HID)), closer_(o.closer_) {}
  Handle& operator=(Handle&& o) noexcept {
    if (this != &o) {
      reset();
      id_ = std::exchange(o.id_, H5I_INVALID_HID);
      closer_ = o.closer_;
    }
    return *this;
  }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;

  [[nodiscard]] hid_t get() const noexcept { return id_; }
  [[nodiscard]] bool valid() const noexcept { return id_ >= 0; }
  // Closes now and reports whether the close succeeded.
  bool close() noexcept {
    if (id_ < 0) return true;
    const herr_t rc = closer_(id_);
    id_ = H5I_INVALID_HID;
    return rc >= 0;
  }
  void reset() noexcept { (void)close(); }

 private:
  hid_t id_ = H5I_INVALID_HID;
  Closer closer_ = nullptr;
};

Handle checked(hid_t id, Handle::Closer closer, const std::string& file, const std::string& dataset,
               const std::string& what) {
  if (id < 0) fail_hdf5(file, dataset, what);
  return Handle(id, closer);
}

Handle make_plist(hid_t cls, const std::string& file) {
  return checked(H5Pcreate(cls), H5Pclose, file, "", "cannot create a property list");
}

Handle string_type(H5T_cset_t cset, const std::string& file) {
  Handle t = checked(H5Tcopy(H5T_C_S1), H5Tclose, file, "", "cannot create a string type");
  if (H5Tset_size(t.get(), H5T_VARIABLE) < 0 || H5Tset_cset(t.get(), cset) < 0) {
    fail_hdf5(file, "", "cannot create a string type");
  }
  return t;
}

template <class T>
struct H5Traits;
template <>
struct H5Traits<std::uint8_t> {
  static hid_t mem() { return H5T_NATIVE_UINT8; }
  static hid_t file() { return H5T_STD_U8LE; }
};
template <>
struct H5Traits<std::int32_t> {
  static hid_t mem() { return H5T_NATIVE_INT32; }
  static hid_t file() { return H5T_STD_I32LE; }
};
template <>
struct H5Traits<std::int64_t> {
  static hid_t mem() { return H5T_NATIVE_INT64; }
  static hid_t file() { return H5T_STD_I64LE; }
};
template <>
struct H5Traits<std::uint64_t> {
  static hid_t mem() { return H5T_NATIVE_UINT64; }
  static hid_t file() { return H5T_STD_U64LE; }
};
template <>
struct H5Traits<double> {
  static hid_t mem() { return H5T_NATIVE_DOUBLE; }
  static hid_t file() { return H5T_IEEE_F64LE; }
};

void write_string_attr(hid_t obj, const char* name, const std::string& value, const std::string& file,
                       const std::string& dataset) {
  const Handle type = string_type(H5T_CSET_UTF8, file);
  const Handle space = checked(H5Screate(H5S_SCALAR), H5Sclose, file, dataset, "cannot create a dataspace");
  const Handle attr = checked(H5Acreate2(obj, name, type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT),
                              H5Aclose, file, dataset, std::string("cannot create attribute ") + name);
  const char* ptr = value.c_str();
  if (H5Awrite(attr.get(), type.get(), static_cast<const void*>(&ptr)) < 0) {
    fail_hdf5(file, dataset, std::string("cannot write attribute ") + name);
  }
}

template <class T>
void write_scalar_attr(hid_t obj, const char* name, T value, const std::string& file) {
  const Handle space = checked(H5Screate(H5S_SCALAR), H5Sclose, file, "", "cannot create a dataspace");
  const Handle attr =
      checked(H5Acreate2(obj, name, H5Traits<T>::file(), space.get(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose,
              file, "", std::string("cannot create attribute ") + name);
  if (H5Awrite(attr.get(), H5Traits<T>::mem(), &value) < 0) {
    fail_hdf5(file, "", std::string("cannot write attribute ") + name);
  }
}

std::string read_string_attr(hid_t obj, const char* name, const std::string& file) {
  if (H5Aexists(obj, name) <= 0) fail(file, "", std::string("missing attribute ") + name);
  const Handle attr = checked(H5Aopen(obj, name, H5P_DEFAULT), H5Aclose, file, "",
                              std::string("cannot open attribute ") + name);
  const Handle ftype = checked(H5Aget_type(attr.get()), H5Tclose, file, "",
                               std::string("cannot read the type of attribute ") + name);
  if (H5Tget_class(ftype.get()) != H5T_STRING) {
    fail(file, "", std::string("attribute ") + name + " is not a string");
  }
  if (H5Tis_variable_str(ftype.get()) > 0) {
    const Handle mtype = string_type(H5Tget_cset(ftype.get()), file);
    char* ptr = nullptr;
    if (H5Aread(attr.get(), mtype.get(), static_cast<void*>(&ptr)) < 0) {
      fail_hdf5(file, "", std::string("cannot read attribute ") + name);
    }
    std::string value = ptr != nullptr ? ptr : "";
    H5free_memory(ptr);
    return value;
  }
  const std::size_t size = H5Tget_size(ftype.get());
  std::string value(size, '\0');
  if (size > 0 && H5Aread(attr.get(), ftype.get(), value.data()) < 0) {
    fail_hdf5(file, "", std::string("cannot read attribute ") + name);
  }
  value.resize(std::strlen(value.c_str()));
  return value;
}

template <class T>
T read_scalar_attr(hid_t obj, const char* name, const std::string& file) {
  if (H5Aexists(obj, name) <= 0) fail(file, "", std::string("missing attribute ") + name);
  const Handle attr = checked(H5Aopen(obj, name, H5P_DEFAULT), H5Aclose, file, "",
                              std::string("cannot open attribute ") + name);
  T value{};
  if (H5Aread(attr.get(), H5Traits<T>::mem(), &value) < 0) {
    fail_hdf5(file, "", std::string("cannot read attribute ") + name + " as an integer");
  }
  return value;
}

// ---- writing ---------------------------------------------------------------------------------

// One column of the shard: values are buffered, then appended to an extendible 1-D dataset.
class ColumnBase {
 public:
  ColumnBase(const char* name, const char* description) : name_(name), description_(description) {}
  virtual ~ColumnBase() = default;
  ColumnBase(const ColumnBase&) = delete;
  ColumnBase& operator=(const ColumnBase&) = delete;

  [[nodiscard]] virtual std::size_t pending() const noexcept = 0;
  [[nodiscard]] virtual std::size_t pending_bytes() const noexcept = 0;

  // Appends the buffered values to the file (creating the dataset on first use). `last` says no
  // more data follows, which lets a small column get a chunk of its own size.
  void flush(hid_t file, const std::string& fname, const ShardWriteOptions& opt, bool last) {
    const std::size_t n = pending();
    if (!dataset_.valid()) create(file, fname, opt, last ? n : opt.max_chunk_elements);
    if (n == 0) return;
    const hsize_t new_size = written_ + n;
    if (H5Dset_extent(dataset_.get(), &new_size) < 0) fail_hdf5(fname, name_, "cannot extend");
    const Handle fspace =
        checked(H5Dget_space(dataset_.get()), H5Sclose, fname, name_, "cannot get the dataspace");
    const hsize_t start = written_;
    const hsize_t count = n;
    if (H5Sselect_hyperslab(fspace.get(), H5S_SELECT_SET, &start, nullptr, &count, nullptr) < 0) {
      fail_hdf5(fname, name_, "cannot select the appended rows");
    }
    const Handle mspace =
        checked(H5Screate_simple(1, &count, nullptr), H5Sclose, fname, name_, "cannot create a dataspace");
    write(fname, mspace.get(), fspace.get());
    written_ = new_size;
    clear();
  }

  void close(const std::string& fname) {
    if (!dataset_.close()) fail_hdf5(fname, name_, "cannot close");
  }

 protected:
  [[nodiscard]] virtual Handle file_type(const std::string& fname) const = 0;
  virtual void write(const std::string& fname, hid_t mspace, hid_t fspace) = 0;
  virtual void clear() noexcept = 0;

  [[nodiscard]] const std::string& name() const noexcept { return name_; }
  [[nodiscard]] hid_t dataset() const noexcept { return dataset_.get(); }

 private:
  void create(hid_t file, const std::string& fname, const ShardWriteOptions& opt, std::size_t chunk) {
    const hsize_t dims = 0;
    const hsize_t maxdims = H5S_UNLIMITED;
    const hsize_t chunk_dims =
        std::clamp<std::size_t>(chunk, 1, std::max<std::size_t>(1, opt.max_chunk_elements));
    const Handle space =
        checked(H5Screate_simple(1, &dims, &maxdims), H5Sclose, fname, name_, "cannot create a dataspace");
    const Handle dcpl = make_plist(H5P_DATASET_CREATE, fname);
    const Handle lcpl = make_plist(H5P_LINK_CREATE, fname);
    bool ok =
        H5Pset_chunk(dcpl.get(), 1, &chunk_dims) >= 0 && H5Pset_create_intermediate_group(lcpl.get(), 1) >= 0;
    if (ok && opt.deflate_level > 0) {
      if (opt.shuffle) ok = H5Pset_shuffle(dcpl.get()) >= 0;
      ok = ok && H5Pset_deflate(dcpl.get(), static_cast<unsigned>(std::min(opt.deflate_level, 9))) >= 0;
    }
    if (!ok) fail_hdf5(fname, name_, "cannot set the chunking or compression");
    const Handle ftype = file_type(fname);
    dataset_ = checked(
        H5Dcreate2(file, name_.c_str(), ftype.get(), space.get(), lcpl.get(), dcpl.get(), H5P_DEFAULT),
        H5Dclose, fname, name_, "cannot create");
    write_string_attr(dataset_.get(), "description", description_, fname, name_);
  }

  std::string name_;
  std::string description_;
  hsize_t written_ = 0;
  Handle dataset_;
};

template <class T>
class Column final : public ColumnBase {
 public:
  using ColumnBase::ColumnBase;
  void push(T v) { values_.push_back(v); }
  template <class It>
  void append(It first, It last) {
    values_.insert(values_.end(), first, last);
  }
  [[nodiscard]] std::size_t pending() const noexcept override { return values_.size(); }
  [[nodiscard]] std::size_t pending_bytes() const noexcept override { return values_.size() * sizeof(T); }

 protected:
  [[nodiscard]] Handle file_type(const std::string& fname) const override {
    return checked(H5Tcopy(H5Traits<T>::file()), H5Tclose, fname, name(), "cannot copy a type");
  }
  void write(const std::string& fname, hid_t mspace, hid_t fspace) override {
    if (H5Dwrite(dataset(), H5Traits<T>::mem(), mspace, fspace, H5P_DEFAULT, values_.data()) < 0) {
      fail_hdf5(fname, name(), "cannot write");
    }
  }
  void clear() noexcept override { values_.clear(); }

 private:
  std::vector<T> values_;
};

// Offsets into a child table: starts with 0, and each push_count(n) appends the running total.
// A table of R rows has R + 1 offsets; rows r's children are [off[r], off[r+1]).
class Offsets final : public ColumnBase {
 public:
  Offsets(const char* name, const char* description) : ColumnBase(name, description) { values_.push_back(0); }
  void push_count(std::size_t n) {
    total_ += n;
    values_.push_back(total_);
  }
  [[nodiscard]] std::size_t pending() const noexcept override { return values_.size(); }
  [[nodiscard]] std::size_t pending_bytes() const noexcept override { return values_.size() * 8; }

 protected:
  [[nodiscard]] Handle file_type(const std::string& fname) const override {
    return checked(H5Tcopy(H5T_STD_U64LE), H5Tclose, fname, name(), "cannot copy a type");
  }
  void write(const std::string& fname, hid_t mspace, hid_t fspace) override {
    if (H5Dwrite(dataset(), H5T_NATIVE_UINT64, mspace, fspace, H5P_DEFAULT, values_.data()) < 0) {
      fail_hdf5(fname, name(), "cannot write");
    }
  }
  void clear() noexcept override { values_.clear(); }

 private:
  std::vector<std::uint64_t> values_;
  std::uint64_t total_ = 0;
};

class StringColumn final : public ColumnBase {
 public:
  using ColumnBase::ColumnBase;
  void push(const std::string& s, const std::string& fname) {
    if (s.find('\0') != std::string::npos) {
      fail(fname, name(), "string contains a NUL character, which cannot be stored");
    }
    values_.push_back(s);
    bytes_ += s.size() + 16;
  }
  [[nodiscard]] std::size_t pending() const noexcept override { return values_.size(); }
  [[nodiscard]] std::size_t pending_bytes() const noexcept override { return bytes_; }

 protected:
  [[nodiscard]] Handle file_type(const std::string& fname) const override {
    return string_type(H5T_CSET_UTF8, fname);
  }
  void write(const std::string& fname, hid_t mspace, hid_t fspace) override {
    std::vector<const char*> ptrs;
    ptrs.reserve(values_.size());
    for (const std::string& s : values_) ptrs.push_back(s.c_str());
    const Handle mtype = string_type(H5T_CSET_UTF8, fname);
    if (H5Dwrite(dataset(), mtype.get(), mspace, fspace, H5P_DEFAULT, ptrs.data()) < 0) {
      fail_hdf5(fname, name(), "cannot write");
    }
  }
  void clear() noexcept override {
    values_.clear();
    bytes_ = 0;
  }

 private:
  std::vector<std::string> values_;
  std::size_t bytes_ = 0;
};

// The eleven PathStats columns of one table.
struct PathStatsColumns {
  PathStatsColumns(const std::array<const char*, 11>& names)
      : avg_bw(names[0], "generated (offered) bit rate, bit/s"),
        pkts_gen(names[1], "packets generated per simulated second"),
        pkts_drop(names[2], "packets dropped per simulated second"),
        avg_delay(names[3], "mean delay, s (-1 = no traffic)"),
        avg_ln_delay(names[4], "mean of ln(delay) (-1 = no traffic)"),
        p10(names[5], "10th delay percentile, s"),
        p20(names[6], "20th delay percentile, s"),
        p50(names[7], "50th delay percentile, s"),
        p80(names[8], "80th delay percentile, s"),
        p90(names[9], "90th delay percentile, s"),
        jitter(names[10], "delay variance, s^2") {}
  void push(const net::PathStats& p) {
    avg_bw.push(p.avg_bw_bps);
    pkts_gen.push(p.pkts_gen);
    pkts_drop.push(p.pkts_drop);
    avg_delay.push(p.avg_delay);
    avg_ln_delay.push(p.avg_ln_delay);
    p10.push(p.p10);
    p20.push(p.p20);
    p50.push(p.p50);
    p80.push(p.p80);
    p90.push(p.p90);
    jitter.push(p.jitter);
  }
  std::array<ColumnBase*, 11> all() {
    return {&avg_bw, &pkts_gen, &pkts_drop, &avg_delay, &avg_ln_delay, &p10, &p20, &p50, &p80, &p90, &jitter};
  }
  Column<double> avg_bw, pkts_gen, pkts_drop, avg_delay, avg_ln_delay, p10, p20, p50, p80, p90, jitter;
};

constexpr std::array<const char*, 11> kPairStatNames = {
    "results/pairs/avg_bw",    "results/pairs/pkts_gen",     "results/pairs/pkts_drop",
    "results/pairs/avg_delay", "results/pairs/avg_ln_delay", "results/pairs/p10",
    "results/pairs/p20",       "results/pairs/p50",          "results/pairs/p80",
    "results/pairs/p90",       "results/pairs/jitter"};
constexpr std::array<const char*, 11> kFlowStatNames = {
    "results/flows/avg_bw",    "results/flows/pkts_gen",     "results/flows/pkts_drop",
    "results/flows/avg_delay", "results/flows/avg_ln_delay", "results/flows/p10",
    "results/flows/p20",       "results/flows/p50",          "results/flows/p80",
    "results/flows/p90",       "results/flows/jitter"};

// Every column of a shard, in the order they are created.
struct ShardColumns {
  // per sample
  Column<std::int64_t> s_id{"samples/id", "Sample::id (input_files.txt field 1)"};
  StringColumn s_graph{"samples/graph_name", "file name under graphs/"};
  StringColumn s_routing{"samples/routing_name", "file or folder name under routings/"};
  StringColumn s_tag{"samples/dataset_tag", "<tag> of results_<tag>_<first>_<last>.tar.gz"};
  Column<std::int32_t> s_num_nodes{"samples/num_nodes", "number of nodes N"};
  Column<std::int32_t> s_levels_tos{"samples/levels_tos", "ToS classes 0..levels_tos-1"};
  Column<double> s_max_avg_lambda{"samples/max_avg_lambda", "traffic.txt header (intensity), bit/s"};
  Column<std::uint8_t> s_has_results{"samples/has_results", "1 if the sample carries results, else 0"};
  Offsets s_nodes{"samples/nodes_offsets", "rows of /nodes per sample (S+1 offsets)"};
  Offsets s_links{"samples/links_offsets", "rows of /links per sample (S+1 offsets)"};
  Offsets s_paths{"samples/paths_offsets", "rows of /paths per sample (S+1 offsets)"};
  Offsets s_traffic{"samples/traffic_offsets", "rows of /traffic per sample (S+1 offsets)"};
  Offsets s_rpairs{"samples/result_pairs_offsets", "rows of /results/pairs per sample (S+1 offsets)"};
  Offsets s_rflows{"samples/result_flows_offsets", "rows of /results/flows per sample (S+1 offsets)"};
  Offsets s_rports{"samples/result_ports_offsets", "rows of /results/ports per sample (S+1 offsets)"};
  // link-path samples (Sample::link_paths; format version 2)
  Offsets s_pflows{"samples/path_flows_offsets", "rows of /path_flows per sample (S+1 offsets)"};
  Column<double> s_delay_unit{"samples/delay_unit_s", "unit of the source's delay labels, s"};
  StringColumn pf_name{"path_flows/name", "the source's flow id"};
  Column<std::uint8_t> pf_td{"path_flows/time_dist", "TimeDist code (1=CBR 4=OnOff)"};
  Column<double> pf_traffic{"path_flows/traffic", "mean offered rate, bit/s"};
  Column<double> pf_packets{"path_flows/packets", "mean offered packets/s"};
  Column<double> pf_size{"path_flows/avg_pkt_size", "mean packet size, bits"};
  Column<double> pf_delay{"path_flows/avg_delay", "measured mean delay, s (-1 = not measured)"};
  Column<std::int32_t> pf_links{"path_flows/links", "link indices of each path, in order"};
  Offsets pf_links_off{"path_flows/links_offsets", "rows of /path_flows/links per path flow"};
  // per node
  Column<std::uint8_t> n_policy{"nodes/policy", "scheduling policy: 0=FIFO 1=SP 2=WFQ 3=DRR"};
  Column<double> n_weights{"nodes/weights", "per-queue scheduling weights (WFQ, DRR)"};
  Offsets n_weights_off{"nodes/weights_offsets", "rows of /nodes/weights per node"};
  Column<double> n_buffer{"nodes/buffer_bits", "buffer capacity per queue, bits"};
  Offsets n_buffer_off{"nodes/buffer_bits_offsets", "rows of /nodes/buffer_bits per node"};
  Offsets n_queues{"nodes/queues_offsets", "rows of /queues (tosToQoSqueue entries) per node"};
  Column<std::int32_t> q_tos{"queues/tos", "ToS values served by a queue"};
  Offsets q_tos_off{"queues/tos_offsets", "rows of /queues/tos per queue"};
  // per link
  Column<std::int32_t> l_src{"links/src", "source node"};
  Column<std::int32_t> l_dst{"links/dst", "destination node"};
  Column<std::int32_t> l_port{"links/port", "output port at the source"};
  Column<double> l_bw{"links/bandwidth", "link bandwidth, bit/s"};
  // per path (pair-indexed)
  Column<std::int32_t> p_nodes{"paths/nodes", "node sequence of each path, src first"};
  Offsets p_off{"paths/nodes_offsets", "rows of /paths/nodes per path"};
  // per traffic pair, per flow
  Offsets t_flows{"traffic/flows_offsets", "rows of /flows per traffic pair (pair-indexed)"};
  Column<std::uint8_t> f_td{"flows/time_dist", "0=Poisson 1=CBR 2=Uniform 3=Normal 4=OnOff 5=PPBP 6=Trace"};
  Column<double> f_eq{"flows/eq_lambda", "nominal mean rate (EqLambda), bit/s"};
  Column<double> f_tp{"flows/time_params", "time-distribution parameters after EqLambda"};
  Offsets f_tp_off{"flows/time_params_offsets", "rows of /flows/time_params per flow"};
  Column<std::uint8_t> f_sd{"flows/size_dist", "0=Deterministic 1=Uniform 2=Binomial 3=Generic 4=Trace"};
  Column<double> f_avg{"flows/avg_pkt_size", "AvgPktSize, bits"};
  Column<double> f_sp{"flows/size_params", "size-distribution parameters (Uniform, Binomial)"};
  Offsets f_sp_off{"flows/size_params_offsets", "rows of /flows/size_params per flow"};
  Offsets f_cand{"flows/candidates_offsets", "rows of /candidates per flow (Generic sizes)"};
  Column<std::int32_t> f_tos{"flows/tos", "type of service"};
  Column<double> c_size{"candidates/size_bits", "candidate packet size, bits"};
  Column<double> c_prob{"candidates/prob", "probability of the candidate size"};
  // per sample results (0 / "" where has_results == 0)
  Column<double> r_gpk{"results/global_packets", "sum of pkts_gen, packets/s"};
  Column<double> r_gloss{"results/global_losses", "sum of pkts_drop, packets/s"};
  Column<double> r_gdelay{"results/global_delay", "delivered-weighted mean delay, s"};
  Column<double> r_sim_time{"results/sim_time", "simulated seconds (stability.txt)"};
  Column<double> r_metric{"results/metric", "stability metric (stability.txt)"};
  StringColumn r_status{"results/status", "run status (stability.txt)"};
  Column<std::int64_t> r_mem{"results/mem_kb", "memory used, kB (stability.txt)"};
  Column<std::int64_t> r_wall{"results/wall_s", "wall time, s (stability.txt)"};
  PathStatsColumns r_pairs{kPairStatNames};
  PathStatsColumns r_flows{kFlowStatNames};
  Column<double> rp_util{"results/ports/utilization", "transmitted bit/s / bandwidth"};
  Column<double> rp_loss{"results/ports/loss", "dropped / arrived packets"};
  Column<double> rp_size{"results/ports/avg_pkt_size", "mean packet size, bits"};
  Offsets rp_queues{"results/ports/queues_offsets", "rows of /results/port_queues per port"};
  Column<double> rq_util{"results/port_queues/utilization", "share of the link bandwidth"};
  Column<double> rq_loss{"results/port_queues/loss", "loss ratio"};
  Column<double> rq_avg_occ{"results/port_queues/avg_occupancy", "mean occupancy, bits"};
  Column<double> rq_max_occ{"results/port_queues/max_occupancy", "max occupancy, bits"};
  Column<double> rq_size{"results/port_queues/avg_pkt_size", "mean packet size, bits"};

  std::vector<ColumnBase*> all() {
    std::vector<ColumnBase*> v = {&s_id,
                                  &s_graph,
                                  &s_routing,
                                  &s_tag,
                                  &s_num_nodes,
                                  &s_levels_tos,
                                  &s_max_avg_lambda,
                                  &s_has_results,
                                  &s_nodes,
                                  &s_links,
                                  &s_paths,
                                  &s_traffic,
                                  &s_rpairs,
                                  &s_rflows,
                                  &s_rports,
                                  &n_policy,
                                  &n_weights,
                                  &n_weights_off,
                                  &n_buffer,
                                  &n_buffer_off,
                                  &n_queues,
                                  &q_tos,
                                  &q_tos_off,
                                  &l_src,
                                  &l_dst,
                                  &l_port,
                                  &l_bw,
                                  &p_nodes,
                                  &p_off,
                                  &t_flows,
                                  &f_td,
                                  &f_eq,
                                  &f_tp,
                                  &f_tp_off,
                                  &f_sd,
                                  &f_avg,
                                  &f_sp,
                                  &f_sp_off,
                                  &f_cand,
                                  &f_tos,
                                  &c_size,
                                  &c_prob,
                                  &r_gpk,
                                  &r_gloss,
                                  &r_gdelay,
                                  &r_sim_time,
                                  &r_metric,
                                  &r_status,
                                  &r_mem,
                                  &r_wall};
    for (ColumnBase* c : r_pairs.all()) v.push_back(c);
    for (ColumnBase* c : r_flows.all()) v.push_back(c);
    for (ColumnBase* c : {static_cast<ColumnBase*>(&rp_util), static_cast<ColumnBase*>(&rp_loss),
                          static_cast<ColumnBase*>(&rp_size), static_cast<ColumnBase*>(&rp_queues),
                          static_cast<ColumnBase*>(&rq_util), static_cast<ColumnBase*>(&rq_loss),
                          static_cast<ColumnBase*>(&rq_avg_occ), static_cast<ColumnBase*>(&rq_max_occ),
                          static_cast<ColumnBase*>(&rq_size)}) {
      v.push_back(c);
    }
    for (ColumnBase* c : {static_cast<ColumnBase*>(&s_pflows), static_cast<ColumnBase*>(&s_delay_unit),
                          static_cast<ColumnBase*>(&pf_name), static_cast<ColumnBase*>(&pf_td),
                          static_cast<ColumnBase*>(&pf_traffic), static_cast<ColumnBase*>(&pf_packets),
                          static_cast<ColumnBase*>(&pf_size), static_cast<ColumnBase*>(&pf_delay),
                          static_cast<ColumnBase*>(&pf_links), static_cast<ColumnBase*>(&pf_links_off)}) {
      v.push_back(c);
    }
    return v;
  }

  // Checks what could make add() fail half-way (so a refused sample leaves the columns intact).
  static void check(const Sample& s, const std::string& fname) {
    const auto check_string = [&](const std::string& v, const char* dataset) {
      if (v.find('\0') != std::string::npos) {
        fail(fname, dataset,
             "string contains a NUL character, which cannot be stored (sample id " + std::to_string(s.id) +
                 ")");
      }
    };
    check_string(s.graph_name, "samples/graph_name");
    check_string(s.routing_name, "samples/routing_name");
    check_string(s.dataset_tag, "samples/dataset_tag");
    if (s.results.has_value()) check_string(s.results->run.status, "results/status");
    for (const net::PathFlow& f : s.link_paths.flows) check_string(f.name, "path_flows/name");
  }

  void add(const Sample& s, const std::string& fname) {
    s_id.push(s.id);
    s_graph.push(s.graph_name, fname);
    s_routing.push(s.routing_name, fname);
    s_tag.push(s.dataset_tag, fname);
    s_num_nodes.push(s.num_nodes());
    s_levels_tos.push(s.topology.levels_tos);
    s_max_avg_lambda.push(s.traffic.max_avg_lambda);
    s_has_results.push(s.results.has_value() ? 1 : 0);

    for (const net::Node& n : s.topology.nodes) {
      n_policy.push(static_cast<std::uint8_t>(n.policy));
      n_weights.append(n.weights.begin(), n.weights.end());
      n_weights_off.push_count(n.weights.size());
      n_buffer.append(n.buffer_bits.begin(), n.buffer_bits.end());
      n_buffer_off.push_count(n.buffer_bits.size());
      for (const std::vector<int>& q : n.queue_tos) {
        q_tos.append(q.begin(), q.end());
        q_tos_off.push_count(q.size());
      }
      n_queues.push_count(n.queue_tos.size());
    }
    s_nodes.push_count(s.topology.nodes.size());

    for (const net::Link& l : s.topology.links) {
      l_src.push(l.src);
      l_dst.push(l.dst);
      l_port.push(l.port);
      l_bw.push(l.bandwidth_bps);
    }
    s_links.push_count(s.topology.links.size());

    for (const std::vector<int>& p : s.routing.paths) {
      p_nodes.append(p.begin(), p.end());
      p_off.push_count(p.size());
    }
    s_paths.push_count(s.routing.paths.size());

    for (const std::vector<net::Flow>& pair : s.traffic.pairs) {
      for (const net::Flow& f : pair) {
        f_td.push(static_cast<std::uint8_t>(f.time_dist));
        f_eq.push(f.eq_lambda_bps);
        f_tp.append(f.time_params.begin(), f.time_params.end());
        f_tp_off.push_count(f.time_params.size());
        f_sd.push(static_cast<std::uint8_t>(f.size_dist));
        f_avg.push(f.avg_pkt_size_bits);
        f_sp.append(f.size_params.begin(), f.size_params.end());
        f_sp_off.push_count(f.size_params.size());
        for (const net::SizeProb& c : f.candidates) {
          c_size.push(c.size_bits);
          c_prob.push(c.prob);
        }
        f_cand.push_count(f.candidates.size());
        f_tos.push(f.tos);
      }
      t_flows.push_count(pair.size());
    }
    s_traffic.push_count(s.traffic.pairs.size());

    const net::Results empty;
    const net::Results& r = s.results.has_value() ? *s.results : empty;
    r_gpk.push(r.global_packets);
    r_gloss.push(r.global_losses);
    r_gdelay.push(r.global_delay);
    r_sim_time.push(r.run.sim_time);
    r_metric.push(r.run.metric);
    r_status.push(s.results.has_value() ? r.run.status : std::string(), fname);
    r_mem.push(r.run.mem_kb);
    r_wall.push(r.run.wall_s);
    for (const net::PathStats& p : r.pairs) r_pairs.push(p);
    s_rpairs.push_count(r.pairs.size());
    for (const net::PathStats& p : r.flows) r_flows.push(p);
    s_rflows.push_count(r.flows.size());
    for (const net::PortStats& p : r.ports) {
      rp_util.push(p.utilization);
      rp_loss.push(p.loss);
      rp_size.push(p.avg_pkt_size);
      for (const net::QueueStats& q : p.queues) {
        rq_util.push(q.utilization);
        rq_loss.push(q.loss);
        rq_avg_occ.push(q.avg_occupancy);
        rq_max_occ.push(q.max_occupancy);
        rq_size.push(q.avg_pkt_size);
      }
      rp_queues.push_count(p.queues.size());
    }
    s_rports.push_count(r.ports.size());

    for (const net::PathFlow& f : s.link_paths.flows) {
      pf_name.push(f.name, fname);
      pf_td.push(static_cast<std::uint8_t>(f.time_dist));
      pf_traffic.push(f.traffic_bps);
      pf_packets.push(f.packets_per_s);
      pf_size.push(f.avg_pkt_size_bits);
      pf_delay.push(f.avg_delay);
      pf_links.append(f.links.begin(), f.links.end());
      pf_links_off.push_count(f.links.size());
    }
    s_pflows.push_count(s.link_paths.flows.size());
    s_delay_unit.push(s.link_paths.delay_unit_s);
  }
};

std::string random_suffix() {
  std::random_device rd;
  std::uniform_int_distribution<std::uint32_t> dist;
  char buf[9];
  const std::uint32_t v = dist(rd);
  for (int i = 0; i < 8; ++i) buf[i] = "0123456789abcdef"[(v >> (4 * i)) & 0xF];
  buf[8] = '\0';
  return std::to_string(::getpid()) + "-" + buf;
}

fs::path temp_path_for(const fs::path& target) {
  return fs::path(target.string() + ".tmp-" + random_suffix());
}

void fsync_file(const fs::path& p) {
  const int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw Error(p.string() + ": cannot open to sync: " + std::strerror(errno));
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  if (rc != 0) throw Error(p.string() + ": fsync failed: " + std::strerror(err));
}

}  // namespace

// ---- ShardWriter -----------------------------------------------------------------------------

struct ShardWriter::Impl {
  fs::path path;
  fs::path tmp;
  std::string fname;  // path as text, for messages
  ShardWriteOptions options;
  std::size_t count = 0;
  bool finished = false;  // renamed into place
  bool broken = false;    // an add() or close() failed part-way
  Handle file;            // declared before the columns: closed after them
  std::unique_ptr<ShardColumns> columns = std::make_unique<ShardColumns>();

  Impl(fs::path p, ShardWriteOptions opt) : path(std::move(p)), fname(path.string()), options(opt) {
    const SilenceHdf5 quiet;
    tmp = temp_path_for(path);
    const Handle fcpl = make_plist(H5P_FILE_CREATE, fname);
    const Handle fapl = make_plist(H5P_FILE_ACCESS, fname);
    if (H5Pset_fapl_sec2(fapl.get()) < 0) fail_hdf5(fname, "", "cannot select the sec2 driver");
    file = checked(H5Fcreate(tmp.c_str(), H5F_ACC_EXCL, fcpl.get(), fapl.get()), H5Fclose, fname, "",
                   "cannot create temporary file " + tmp.string());
  }

  ~Impl() {
    if (!finished) {
      const SilenceHdf5 quiet;
      columns.reset();
      file.reset();
      std::error_code ec;
      fs::remove(tmp, ec);
    }
  }

  std::size_t pending_bytes() {
    std::size_t b = 0;
    for (const ColumnBase* c : columns->all()) b += c->pending_bytes();
    return b;
  }

  void flush(bool last) {
    for (ColumnBase* c : columns->all()) c->flush(file.get(), fname, options, last);
  }
};

ShardWriter::ShardWriter(fs::path path, ShardWriteOptions options)
    : impl_(std::make_unique<Impl>(std::move(path), options)) {}

ShardWriter::ShardWriter(const fs::path& dir, int rank, int size, ShardWriteOptions options) {
  if (size < 1 || rank < 0 || rank >= size) {
    throw Error(dir.string() + ": shard of rank " + std::to_string(rank) + " of " + std::to_string(size) +
                ": expected 0 <= rank < size");
  }
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw Error(dir.string() + ": cannot create the store folder: " + ec.message());
  impl_ = std::make_unique<Impl>(dir / shard_file_name(rank, size), options);
}

ShardWriter::~ShardWriter() = default;
ShardWriter::ShardWriter(ShardWriter&&) noexcept = default;
ShardWriter& ShardWriter::operator=(ShardWriter&&) noexcept = default;

void ShardWriter::add(const net::Sample& sample) {
  Impl& im = *impl_;
  if (im.finished) throw Error(im.fname + ": add() after close()");
  if (im.broken) throw Error(im.fname + ": the writer failed earlier; the shard cannot be completed");
  ShardColumns::check(sample, im.fname);  // a refused sample leaves the writer usable
  const SilenceHdf5 quiet;
  try {
    im.columns->add(sample, im.fname);
    ++im.count;
    if (im.pending_bytes() >= im.options.flush_bytes) im.flush(false);
  } catch (...) {
    im.broken = true;  // columns may be half-appended: never rename this file into place
    throw;
  }
}

void ShardWriter::add(std::span<const net::Sample> samples) {
  for (const net::Sample& s : samples) add(s);
}

void ShardWriter::close() {
  if (impl_->finished) return;
  const SilenceHdf5 quiet;
  Impl& im = *impl_;
  if (im.broken) throw Error(im.fname + ": the writer failed earlier; the shard cannot be completed");
  im.broken = true;  // until the rename below succeeds
  im.flush(true);
  for (ColumnBase* c : im.columns->all()) c->close(im.fname);
  write_string_attr(im.file.get(), "format", kShardFormatName, im.fname, "");
  write_scalar_attr<std::int32_t>(im.file.get(), "format_version", kShardFormatVersion, im.fname);
  write_scalar_attr<std::uint64_t>(im.file.get(), "num_samples", im.count, im.fname);
  if (H5Fflush(im.file.get(), H5F_SCOPE_GLOBAL) < 0) fail_hdf5(im.fname, "", "cannot flush");
  if (!im.file.close()) fail_hdf5(im.fname, "", "cannot close temporary file " + im.tmp.string());
  fsync_file(im.tmp);
  std::error_code ec;
  fs::rename(im.tmp, im.path, ec);
  if (ec) throw Error(im.fname + ": cannot rename " + im.tmp.string() + " into place: " + ec.message());
  im.finished = true;
  im.broken = false;
}

std::size_t ShardWriter::size() const noexcept { return impl_->count; }
const fs::path& ShardWriter::path() const noexcept { return impl_->path; }

std::string shard_file_name(int rank, int size) {
  return "shard-" + std::to_string(rank) + "-of-" + std::to_string(size) + ".h5";
}

void write_shard(const fs::path& path, std::span<const net::Sample> samples,
                 const ShardWriteOptions& options) {
  ShardWriter w(path, options);
  w.add(samples);
  w.close();
}

// ---- ShardReader -----------------------------------------------------------------------------

namespace {

// An uninitialised array filled by H5Dread (no zero-fill of tens of MB before every read).
template <class T>
class Buf {
 public:
  Buf() = default;
  explicit Buf(std::size_t n) : data_(std::make_unique_for_overwrite<T[]>(n)), size_(n) {}
  [[nodiscard]] T* data() noexcept { return data_.get(); }
  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  [[nodiscard]] bool empty() const noexcept { return size_ == 0; }
  [[nodiscard]] const T& operator[](std::size_t i) const noexcept { return data_[i]; }
  [[nodiscard]] const T* begin() const noexcept { return data_.get(); }
  [[nodiscard]] const T* end() const noexcept { return data_.get() + size_; }
  [[nodiscard]] const T& front() const noexcept { return data_[0]; }
  [[nodiscard]] const T& back() const noexcept { return data_[size_ - 1]; }

 private:
  std::unique_ptr<T[]> data_;
  std::size_t size_ = 0;
};

// Offsets of a row range [b, e) of a table: e - b + 1 absolute values into the child table.
struct Rows {
  Buf<std::uint64_t> off;
  [[nodiscard]] std::uint64_t first() const { return off.front(); }
  [[nodiscard]] std::uint64_t last() const { return off.back(); }
  [[nodiscard]] std::size_t begin(std::size_t r) const { return static_cast<std::size_t>(off[r] - off[0]); }
  [[nodiscard]] std::size_t end(std::size_t r) const { return static_cast<std::size_t>(off[r + 1] - off[0]); }
};

class Source {
 public:
  // Each read is one contiguous hyperslab per dataset, so HDF5's chunk cache only adds a copy:
  // datasets are opened with it switched off.
  Source(hid_t file, const std::string& fname)
      : file_(file), fname_(fname), dapl_(make_plist(H5P_DATASET_ACCESS, fname)) {
    if (H5Pset_chunk_cache(dapl_.get(), 0, 0, H5D_CHUNK_CACHE_W0_DEFAULT) < 0) {
      fail_hdf5(fname, "", "cannot configure the chunk cache");
    }
  }

  Handle open(const std::string& name) const {
    if (H5Lexists(file_, name.c_str(), H5P_DEFAULT) <= 0) {
      H5Eclear2(H5E_DEFAULT);
      fail(fname_, name, "missing dataset");
    }
    return checked(H5Dopen2(file_, name.c_str(), dapl_.get()), H5Dclose, fname_, name, "cannot open");
  }

  std::uint64_t length(hid_t ds, const std::string& name) const {
    const Handle space = checked(H5Dget_space(ds), H5Sclose, fname_, name, "cannot get the dataspace");
    if (H5Sget_simple_extent_ndims(space.get()) != 1) fail(fname_, name, "expected a 1-D dataset");
    hsize_t dims = 0;
    H5Sget_simple_extent_dims(space.get(), &dims, nullptr);
    return dims;
  }

  std::uint64_t length(const std::string& name) const {
    const Handle ds = open(name);
    return length(ds.get(), name);
  }

  template <class T>
  Buf<T> read(const std::string& name, std::uint64_t b, std::uint64_t e) const {
    const Handle ds = open(name);
    const std::uint64_t len = length(ds.get(), name);
    if (b > e || e > len) {
      fail(fname_, name,
           "rows [" + std::to_string(b) + ", " + std::to_string(e) + ") requested but the dataset has " +
               std::to_string(len) + " (corrupt offsets or truncated dataset)");
    }
    const Handle ftype = checked(H5Dget_type(ds.get()), H5Tclose, fname_, name, "cannot get the type");
    const H5T_class_t cls = H5Tget_class(ftype.get());
    const H5T_class_t want = std::is_floating_point_v<T> ? H5T_FLOAT : H5T_INTEGER;
    if (cls != want)
      fail(fname_, name, want == H5T_FLOAT ? "expected a float dataset" : "expected an integer dataset");
    Buf<T> out(static_cast<std::size_t>(e - b));
    if (out.empty()) return out;
    select_and_read(ds.get(), name, b, e, H5Traits<T>::mem(), out.data());
    return out;
  }

  std::vector<std::string> read_strings(const std::string& name, std::uint64_t b, std::uint64_t e) const {
    const Handle ds = open(name);
    const std::uint64_t len = length(ds.get(), name);
    if (b > e || e > len) fail(fname_, name, "rows out of range (truncated dataset)");
    const Handle ftype = checked(H5Dget_type(ds.get()), H5Tclose, fname_, name, "cannot get the type");
    if (H5Tget_class(ftype.get()) != H5T_STRING || H5Tis_variable_str(ftype.get()) <= 0) {
      fail(fname_, name, "expected a variable-length string dataset");
    }
    const Handle mtype = string_type(H5Tget_cset(ftype.get()), fname_);
    const hsize_t n = e - b;
    std::vector<std::string> out;
    if (n == 0) return out;
    const Handle mspace =
        checked(H5Screate_simple(1, &n, nullptr), H5Sclose, fname_, name, "cannot create a dataspace");
    // Frees the strings HDF5 allocates, also when copying them throws.
    struct Reclaim {
      hid_t type;
      hid_t space;
      std::vector<char*> ptrs;
      ~Reclaim() { H5Dvlen_reclaim(type, space, H5P_DEFAULT, ptrs.data()); }
    } strings{mtype.get(), mspace.get(), std::vector<char*>(static_cast<std::size_t>(n), nullptr)};
    select_and_read(ds.get(), name, b, e, mtype.get(), strings.ptrs.data());
    out.reserve(strings.ptrs.size());
    for (const char* p : strings.ptrs) out.emplace_back(p != nullptr ? p : "");
    return out;
  }

  // Offsets of rows [b, e) of a table (b..e inclusive); checks they never decrease.
  Rows rows(const std::string& name, std::uint64_t b, std::uint64_t e) const {
    Rows r{read<std::uint64_t>(name, b, e + 1)};
    for (std::size_t i = 1; i < r.off.size(); ++i) {
      if (r.off[i] < r.off[i - 1]) {
        fail(fname_, name, "offsets decrease at row " + std::to_string(b + i) + " (corrupt file)");
      }
    }
    return r;
  }

  [[nodiscard]] const std::string& fname() const noexcept { return fname_; }

 private:
  void select_and_read(hid_t ds, const std::string& name, std::uint64_t b, std::uint64_t e, hid_t mtype,
                       void* buf) const {
    const Handle fspace = checked(H5Dget_space(ds), H5Sclose, fname_, name, "cannot get the dataspace");
    const hsize_t start = b;
    const hsize_t count = e - b;
    if (H5Sselect_hyperslab(fspace.get(), H5S_SELECT_SET, &start, nullptr, &count, nullptr) < 0) {
      fail_hdf5(fname_, name, "cannot select rows");
    }
    const Handle mspace =
        checked(H5Screate_simple(1, &count, nullptr), H5Sclose, fname_, name, "cannot create a dataspace");
    if (H5Dread(ds, mtype, mspace.get(), fspace.get(), H5P_DEFAULT, buf) < 0) {
      fail_hdf5(fname_, name,
                "cannot read rows [" + std::to_string(b) + ", " + std::to_string(e) +
                    ") (corrupt or truncated file)");
    }
  }

  hid_t file_;
  const std::string& fname_;
  Handle dapl_;
};

template <class T>
std::vector<T> slice(const Buf<T>& v, std::size_t b, std::size_t e) {
  return std::vector<T>(v.begin() + b, v.begin() + e);
}

struct StatsData {
  std::array<Buf<double>, 11> cols;
  [[nodiscard]] net::PathStats at(std::size_t r) const {
    net::PathStats p;
    p.avg_bw_bps = cols[0][r];
    p.pkts_gen = cols[1][r];
    p.pkts_drop = cols[2][r];
    p.avg_delay = cols[3][r];
    p.avg_ln_delay = cols[4][r];
    p.p10 = cols[5][r];
    p.p20 = cols[6][r];
    p.p50 = cols[7][r];
    p.p80 = cols[8][r];
    p.p90 = cols[9][r];
    p.jitter = cols[10][r];
    return p;
  }
};

StatsData read_stats(const Source& src, const std::array<const char*, 11>& names, const Rows& rows) {
  StatsData d;
  for (std::size_t i = 0; i < names.size(); ++i)
    d.cols[i] = src.read<double>(names[i], rows.first(), rows.last());
  return d;
}

template <class E>
E checked_enum(std::uint8_t code, std::uint8_t max, const std::string& fname, const char* dataset,
               std::size_t row, const char* what) {
  if (code > max) {
    fail(fname, dataset,
         "value " + std::to_string(code) + " at row " + std::to_string(row) + " is not a " + what +
             " code (0.." + std::to_string(max) + ")");
  }
  return static_cast<E>(code);
}

}  // namespace

struct ShardReader::Impl {
  fs::path path;
  std::string fname;
  Handle file;
  std::size_t size = 0;
  std::int32_t version = 0;

  explicit Impl(fs::path p) : path(std::move(p)), fname(path.string()) {
    const SilenceHdf5 quiet;
    std::error_code ec;
    if (!fs::is_regular_file(path, ec)) fail(fname, "", "no such shard file");
    const Handle fapl = make_plist(H5P_FILE_ACCESS, fname);
    if (H5Pset_fapl_sec2(fapl.get()) < 0) fail_hdf5(fname, "", "cannot select the sec2 driver");
    file = checked(H5Fopen(path.c_str(), H5F_ACC_RDONLY, fapl.get()), H5Fclose, fname, "",
                   "cannot open as an HDF5 shard (not an HDF5 file, or truncated)");
    const std::string format = read_string_attr(file.get(), "format", fname);
    if (format != kShardFormatName) {
      fail(fname, "", "attribute format is \"" + format + "\", expected \"" + kShardFormatName + "\"");
    }
    const auto version = read_scalar_attr<std::int32_t>(file.get(), "format_version", fname);
    if (version < 1 || version > kShardFormatVersion) {
      fail(fname, "",
           "format_version " + std::to_string(version) + " is not supported (this reader knows 1.." +
               std::to_string(kShardFormatVersion) + ")");
    }
    this->version = version;
    const auto n = read_scalar_attr<std::uint64_t>(file.get(), "num_samples", fname);
    const Source src(file.get(), fname);
    const std::uint64_t ids = src.length("samples/id");
    if (ids != n) {
      fail(fname, "samples/id",
           "has " + std::to_string(ids) + " rows but attribute num_samples is " + std::to_string(n));
    }
    size = static_cast<std::size_t>(n);
  }

  std::vector<net::Sample> read_range(std::size_t first, std::size_t count) const;
};

std::vector<net::Sample> ShardReader::Impl::read_range(std::size_t first, std::size_t count) const {
  const SilenceHdf5 quiet;
  if (first > size || count > size - first) {
    throw Error(fname + ": samples [" + std::to_string(first) + ", " + std::to_string(first + count) +
                ") requested but the shard holds " + std::to_string(size));
  }
  std::vector<net::Sample> out(count);
  if (count == 0) return out;
  const Source src(file.get(), fname);
  const std::uint64_t b = first;
  const std::uint64_t e = first + count;

  // per sample
  const auto ids = src.read<std::int64_t>("samples/id", b, e);
  const auto graph = src.read_strings("samples/graph_name", b, e);
  const auto routing = src.read_strings("samples/routing_name", b, e);
  const auto tag = src.read_strings("samples/dataset_tag", b, e);
  const auto num_nodes = src.read<std::int32_t>("samples/num_nodes", b, e);
  const auto levels = src.read<std::int32_t>("samples/levels_tos", b, e);
  const auto max_lambda = src.read<double>("samples/max_avg_lambda", b, e);
  const auto has_results = src.read<std::uint8_t>("samples/has_results", b, e);
  const Rows s_nodes = src.rows("samples/nodes_offsets", b, e);
  const Rows s_links = src.rows("samples/links_offsets", b, e);
  const Rows s_paths = src.rows("samples/paths_offsets", b, e);
  const Rows s_traffic = src.rows("samples/traffic_offsets", b, e);
  const Rows s_rpairs = src.rows("samples/result_pairs_offsets", b, e);
  const Rows s_rflows = src.rows("samples/result_flows_offsets", b, e);
  const Rows s_rports = src.rows("samples/result_ports_offsets", b, e);

  // nodes
  const auto policy = src.read<std::uint8_t>("nodes/policy", s_nodes.first(), s_nodes.last());
  const Rows w_rows = src.rows("nodes/weights_offsets", s_nodes.first(), s_nodes.last());
  const auto weights = src.read<double>("nodes/weights", w_rows.first(), w_rows.last());
  const Rows b_rows = src.rows("nodes/buffer_bits_offsets", s_nodes.first(), s_nodes.last());
  const auto buffers = src.read<double>("nodes/buffer_bits", b_rows.first(), b_rows.last());
  const Rows q_rows = src.rows("nodes/queues_offsets", s_nodes.first(), s_nodes.last());
  const Rows t_rows = src.rows("queues/tos_offsets", q_rows.first(), q_rows.last());
  const auto tos = src.read<std::int32_t>("queues/tos", t_rows.first(), t_rows.last());
  // links
  const auto l_src = src.read<std::int32_t>("links/src", s_links.first(), s_links.last());
  const auto l_dst = src.read<std::int32_t>("links/dst", s_links.first(), s_links.last());
  const auto l_port = src.read<std::int32_t>("links/port", s_links.first(), s_links.last());
  const auto l_bw = src.read<double>("links/bandwidth", s_links.first(), s_links.last());
  // paths
  const Rows p_rows = src.rows("paths/nodes_offsets", s_paths.first(), s_paths.last());
  const auto p_nodes = src.read<std::int32_t>("paths/nodes", p_rows.first(), p_rows.last());
  // traffic
  const Rows tf_rows = src.rows("traffic/flows_offsets", s_traffic.first(), s_traffic.last());
  const std::uint64_t f0 = tf_rows.first();
  const std::uint64_t f1 = tf_rows.last();
  const auto td = src.read<std::uint8_t>("flows/time_dist", f0, f1);
  const auto eq = src.read<double>("flows/eq_lambda", f0, f1);
  const Rows tp_rows = src.rows("flows/time_params_offsets", f0, f1);
  const auto tp = src.read<double>("flows/time_params", tp_rows.first(), tp_rows.last());
  const auto sd = src.read<std::uint8_t>("flows/size_dist", f0, f1);
  const auto avg = src.read<double>("flows/avg_pkt_size", f0, f1);
  const Rows sp_rows = src.rows("flows/size_params_offsets", f0, f1);
  const auto sp = src.read<double>("flows/size_params", sp_rows.first(), sp_rows.last());
  const Rows c_rows = src.rows("flows/candidates_offsets", f0, f1);
  const auto c_size = src.read<double>("candidates/size_bits", c_rows.first(), c_rows.last());
  const auto c_prob = src.read<double>("candidates/prob", c_rows.first(), c_rows.last());
  const auto f_tos = src.read<std::int32_t>("flows/tos", f0, f1);
  // results
  const auto r_gpk = src.read<double>("results/global_packets", b, e);
  const auto r_gloss = src.read<double>("results/global_losses", b, e);
  const auto r_gdelay = src.read<double>("results/global_delay", b, e);
  const auto r_sim = src.read<double>("results/sim_time", b, e);
  const auto r_metric = src.read<double>("results/metric", b, e);
  const auto r_status = src.read_strings("results/status", b, e);
  const auto r_mem = src.read<std::int64_t>("results/mem_kb", b, e);
  const auto r_wall = src.read<std::int64_t>("results/wall_s", b, e);
  const StatsData rpairs = read_stats(src, kPairStatNames, s_rpairs);
  const StatsData rflows = read_stats(src, kFlowStatNames, s_rflows);
  const auto rp_util = src.read<double>("results/ports/utilization", s_rports.first(), s_rports.last());
  const auto rp_loss = src.read<double>("results/ports/loss", s_rports.first(), s_rports.last());
  const auto rp_size = src.read<double>("results/ports/avg_pkt_size", s_rports.first(), s_rports.last());
  const Rows rq_rows = src.rows("results/ports/queues_offsets", s_rports.first(), s_rports.last());
  const auto rq_util = src.read<double>("results/port_queues/utilization", rq_rows.first(), rq_rows.last());
  const auto rq_loss = src.read<double>("results/port_queues/loss", rq_rows.first(), rq_rows.last());
  const auto rq_avg = src.read<double>("results/port_queues/avg_occupancy", rq_rows.first(), rq_rows.last());
  const auto rq_max = src.read<double>("results/port_queues/max_occupancy", rq_rows.first(), rq_rows.last());
  const auto rq_size = src.read<double>("results/port_queues/avg_pkt_size", rq_rows.first(), rq_rows.last());
  // link-path flows (format version 2; a version 1 shard has none)
  const bool v2 = version >= 2;
  const Rows s_pflows = v2 ? src.rows("samples/path_flows_offsets", b, e) : Rows{};
  const auto delay_unit = v2 ? src.read<double>("samples/delay_unit_s", b, e) : Buf<double>();
  const std::uint64_t pf0 = v2 ? s_pflows.first() : 0;
  const std::uint64_t pf1 = v2 ? s_pflows.last() : 0;
  const auto pf_name = v2 ? src.read_strings("path_flows/name", pf0, pf1) : std::vector<std::string>();
  const auto pf_td = v2 ? src.read<std::uint8_t>("path_flows/time_dist", pf0, pf1) : Buf<std::uint8_t>();
  const auto pf_traffic = v2 ? src.read<double>("path_flows/traffic", pf0, pf1) : Buf<double>();
  const auto pf_packets = v2 ? src.read<double>("path_flows/packets", pf0, pf1) : Buf<double>();
  const auto pf_size = v2 ? src.read<double>("path_flows/avg_pkt_size", pf0, pf1) : Buf<double>();
  const auto pf_delay = v2 ? src.read<double>("path_flows/avg_delay", pf0, pf1) : Buf<double>();
  const Rows pl_rows = v2 ? src.rows("path_flows/links_offsets", pf0, pf1) : Rows{};
  const auto pf_links = v2 ? src.read<std::int32_t>("path_flows/links", pl_rows.first(), pl_rows.last())
                           : Buf<std::int32_t>();

  for (std::size_t k = 0; k < count; ++k) {
    net::Sample& s = out[k];
    s.id = ids[k];
    s.graph_name = graph[k];
    s.routing_name = routing[k];
    s.dataset_tag = tag[k];
    s.topology.levels_tos = levels[k];
    s.traffic.max_avg_lambda = max_lambda[k];

    s.topology.nodes.resize(s_nodes.end(k) - s_nodes.begin(k));
    for (std::size_t r = s_nodes.begin(k), i = 0; r < s_nodes.end(k); ++r, ++i) {
      net::Node& n = s.topology.nodes[i];
      n.policy =
          checked_enum<net::Policy>(policy[r], 3, fname, "nodes/policy", s_nodes.first() + r, "Policy");
      n.weights = slice(weights, w_rows.begin(r), w_rows.end(r));
      n.buffer_bits = slice(buffers, b_rows.begin(r), b_rows.end(r));
      n.queue_tos.reserve(q_rows.end(r) - q_rows.begin(r));
      for (std::size_t q = q_rows.begin(r); q < q_rows.end(r); ++q) {
        n.queue_tos.push_back(slice(tos, t_rows.begin(q), t_rows.end(q)));
      }
    }
    if (num_nodes[k] != s.num_nodes()) {
      fail(fname, "samples/num_nodes",
           "sample " + std::to_string(first + k) + " says " + std::to_string(num_nodes[k]) +
               " nodes but /nodes holds " + std::to_string(s.num_nodes()));
    }

    s.topology.links.reserve(s_links.end(k) - s_links.begin(k));
    for (std::size_t r = s_links.begin(k); r < s_links.end(k); ++r) {
      s.topology.links.push_back(net::Link{l_src[r], l_dst[r], l_port[r], l_bw[r]});
    }

    s.routing.paths.reserve(s_paths.end(k) - s_paths.begin(k));
    for (std::size_t r = s_paths.begin(k); r < s_paths.end(k); ++r) {
      s.routing.paths.push_back(slice(p_nodes, p_rows.begin(r), p_rows.end(r)));
    }

    s.traffic.pairs.resize(s_traffic.end(k) - s_traffic.begin(k));
    for (std::size_t r = s_traffic.begin(k), i = 0; r < s_traffic.end(k); ++r, ++i) {
      std::vector<net::Flow>& pair = s.traffic.pairs[i];
      pair.resize(tf_rows.end(r) - tf_rows.begin(r));
      for (std::size_t f = tf_rows.begin(r), j = 0; f < tf_rows.end(r); ++f, ++j) {
        net::Flow& fl = pair[j];
        fl.time_dist = checked_enum<net::TimeDist>(td[f], 6, fname, "flows/time_dist", f0 + f, "TimeDist");
        fl.eq_lambda_bps = eq[f];
        fl.time_params = slice(tp, tp_rows.begin(f), tp_rows.end(f));
        fl.size_dist = checked_enum<net::SizeDist>(sd[f], 4, fname, "flows/size_dist", f0 + f, "SizeDist");
        fl.avg_pkt_size_bits = avg[f];
        fl.size_params = slice(sp, sp_rows.begin(f), sp_rows.end(f));
        fl.candidates.reserve(c_rows.end(f) - c_rows.begin(f));
        for (std::size_t c = c_rows.begin(f); c < c_rows.end(f); ++c) {
          fl.candidates.push_back(net::SizeProb{c_size[c], c_prob[c]});
        }
        fl.tos = f_tos[f];
      }
    }

    if (v2) {
      s.link_paths.delay_unit_s = delay_unit[k];
      s.link_paths.flows.resize(s_pflows.end(k) - s_pflows.begin(k));
      for (std::size_t r = s_pflows.begin(k), i = 0; r < s_pflows.end(k); ++r, ++i) {
        net::PathFlow& pf = s.link_paths.flows[i];
        pf.name = pf_name[r];
        pf.time_dist =
            checked_enum<net::TimeDist>(pf_td[r], 6, fname, "path_flows/time_dist", pf0 + r, "TimeDist");
        pf.traffic_bps = pf_traffic[r];
        pf.packets_per_s = pf_packets[r];
        pf.avg_pkt_size_bits = pf_size[r];
        pf.avg_delay = pf_delay[r];
        pf.links = slice(pf_links, pl_rows.begin(r), pl_rows.end(r));
      }
    }

    if (has_results[k] > 1) {
      fail(fname, "samples/has_results",
           "value " + std::to_string(has_results[k]) + " at row " + std::to_string(first + k) +
               " is not 0 or 1");
    }
    const bool any_results = s_rpairs.end(k) > s_rpairs.begin(k) || s_rflows.end(k) > s_rflows.begin(k) ||
                             s_rports.end(k) > s_rports.begin(k);
    if (has_results[k] == 0) {
      if (any_results) {
        fail(fname, "samples/has_results",
             "sample " + std::to_string(first + k) + " has no results but result rows are present");
      }
      continue;
    }
    net::Results& res = s.results.emplace();
    res.global_packets = r_gpk[k];
    res.global_losses = r_gloss[k];
    res.global_delay = r_gdelay[k];
    res.run.sim_time = r_sim[k];
    res.run.metric = r_metric[k];
    res.run.status = r_status[k];
    res.run.mem_kb = r_mem[k];
    res.run.wall_s = r_wall[k];
    res.pairs.reserve(s_rpairs.end(k) - s_rpairs.begin(k));
    for (std::size_t r = s_rpairs.begin(k); r < s_rpairs.end(k); ++r) res.pairs.push_back(rpairs.at(r));
    res.flows.reserve(s_rflows.end(k) - s_rflows.begin(k));
    for (std::size_t r = s_rflows.begin(k); r < s_rflows.end(k); ++r) res.flows.push_back(rflows.at(r));
    res.ports.resize(s_rports.end(k) - s_rports.begin(k));
    for (std::size_t r = s_rports.begin(k), i = 0; r < s_rports.end(k); ++r, ++i) {
      net::PortStats& p = res.ports[i];
      p.utilization = rp_util[r];
      p.loss = rp_loss[r];
      p.avg_pkt_size = rp_size[r];
      p.queues.reserve(rq_rows.end(r) - rq_rows.begin(r));
      for (std::size_t q = rq_rows.begin(r); q < rq_rows.end(r); ++q) {
        p.queues.push_back(net::QueueStats{rq_util[q], rq_loss[q], rq_avg[q], rq_max[q], rq_size[q]});
      }
    }
  }
  return out;
}

ShardReader::ShardReader(fs::path path) : impl_(std::make_unique<Impl>(std::move(path))) {}
ShardReader::~ShardReader() = default;
ShardReader::ShardReader(ShardReader&&) noexcept = default;
ShardReader& ShardReader::operator=(ShardReader&&) noexcept = default;

std::size_t ShardReader::size() const noexcept { return impl_->size; }
const fs::path& ShardReader::path() const noexcept { return impl_->path; }

std::vector<std::int64_t> ShardReader::ids() const {
  const SilenceHdf5 quiet;
  const Source src(impl_->file.get(), impl_->fname);
  const Buf<std::int64_t> ids = src.read<std::int64_t>("samples/id", 0, impl_->size);
  return std::vector<std::int64_t>(ids.begin(), ids.end());
}

net::Sample ShardReader::read(std::size_t i) const {
  if (i >= impl_->size) {
    throw Error(impl_->fname + ": sample " + std::to_string(i) + " requested but the shard holds " +
                std::to_string(impl_->size));
  }
  return std::move(impl_->read_range(i, 1).front());
}

std::vector<net::Sample> ShardReader::read_range(std::size_t first, std::size_t count) const {
  return impl_->read_range(first, count);
}

std::vector<net::Sample> ShardReader::read_all() const { return impl_->read_range(0, impl_->size); }

std::vector<net::Sample> read_shard(const fs::path& path) { return ShardReader(path).read_all(); }

// ---- manifest --------------------------------------------------------------------------------

namespace {

void append_json_string(std::string& out, std::string_view s) {
  out += '"';
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '"') {
      out += "\\\"";
    } else if (c == '\\') {
      out += "\\\\";
    } else if (c < 0x20) {
      static constexpr char kHex[] = "0123456789abcdef";
      out += "\\u00";
      out += kHex[c >> 4];
      out += kHex[c & 0xF];
    } else {
      out += ch;
    }
  }
  out += '"';
}

// A minimal JSON reader for the manifest: objects, arrays, strings, integers, true/false/null.
class JsonReader {
 public:
  JsonReader(std::string_view text, std::string fname) : text_(text), fname_(std::move(fname)) {}

  [[noreturn]] void error(const std::string& what) const {
    throw Error(fname_ + ": byte " + std::to_string(pos_) + ": " + what);
  }
  void ws() {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_])) != 0) ++pos_;
  }
  bool peek(char c) {
    ws();
    return pos_ < text_.size() && text_[pos_] == c;
  }
  void expect(char c) {
    if (!peek(c)) error(std::string("expected '") + c + "'");
    ++pos_;
  }
  bool consume(char c) {
    if (!peek(c)) return false;
    ++pos_;
    return true;
  }
  std::string string() {
    expect('"');
    std::string out;
    while (true) {
      if (pos_ >= text_.size()) error("unterminated string");
      const char c = text_[pos_++];
      if (c == '"') return out;
      if (c != '\\') {
        out += c;
        continue;
      }
      if (pos_ >= text_.size()) error("unterminated escape");
      const char esc = text_[pos_++];
      switch (esc) {
        case '"':
          out += '"';
          break;
        case '\\':
          out += '\\';
          break;
        case '/':
          out += '/';
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'n':
          out += '\n';
          break;
        case 'r':
          out += '\r';
          break;
        case 't':
          out += '\t';
          break;
        case 'u': {
          if (pos_ + 4 > text_.size()) error("short \\u escape");
          unsigned v = 0;
          const auto [p, ec] = std::from_chars(text_.data() + pos_, text_.data() + pos_ + 4, v, 16);
          if (ec != std::errc() || p != text_.data() + pos_ + 4) error("bad \\u escape");
          pos_ += 4;
          if (v >= 0x80) error("\\u escapes above 0x7f are not supported in the manifest");
          out += static_cast<char>(v);
          break;
        }
        default:
          error("bad escape");
      }
    }
  }
  std::int64_t integer() {
    ws();
    std::int64_t v = 0;
    const char* b = text_.data() + pos_;
    const auto [p, ec] = std::from_chars(b, text_.data() + text_.size(), v);
    if (ec != std::errc()) error("expected an integer");
    pos_ += static_cast<std::size_t>(p - b);
    if (pos_ < text_.size() && (text_[pos_] == '.' || text_[pos_] == 'e' || text_[pos_] == 'E')) {
      error("expected an integer");
    }
    return v;
  }
  // Skips any value (for keys this reader does not know).
  void skip() {
    ws();
    if (peek('"')) {
      (void)string();
    } else if (consume('{')) {
      if (consume('}')) return;
      do {
        (void)string();
        expect(':');
        skip();
      } while (consume(','));
      expect('}');
    } else if (consume('[')) {
      if (consume(']')) return;
      do skip();
      while (consume(','));
      expect(']');
    } else {
      for (const std::string_view word : {"true", "false", "null"}) {
        if (text_.substr(pos_, word.size()) == word) {
          pos_ += word.size();
          return;
        }
      }
      (void)number_text();
    }
  }
  void end() {
    ws();
    if (pos_ != text_.size()) error("trailing characters after the manifest");
  }

 private:
  std::string_view number_text() {
    const std::size_t b = pos_;
    while (pos_ < text_.size() && std::strchr("+-0123456789.eE", text_[pos_]) != nullptr) ++pos_;
    if (b == pos_) error("expected a value");
    return text_.substr(b, pos_ - b);
  }

  std::string_view text_;
  std::string fname_;
  std::size_t pos_ = 0;
};

// "shard-2-of-12" < "shard-10-of-12": digit runs compare as numbers.
bool natural_less(const std::string& a, const std::string& b) {
  std::size_t i = 0;
  std::size_t j = 0;
  while (i < a.size() && j < b.size()) {
    const bool da = std::isdigit(static_cast<unsigned char>(a[i])) != 0;
    const bool db = std::isdigit(static_cast<unsigned char>(b[j])) != 0;
    if (da && db) {
      std::size_t ie = i;
      std::size_t je = j;
      while (ie < a.size() && std::isdigit(static_cast<unsigned char>(a[ie])) != 0) ++ie;
      while (je < b.size() && std::isdigit(static_cast<unsigned char>(b[je])) != 0) ++je;
      std::size_t is = i;
      std::size_t js = j;
      while (is + 1 < ie && a[is] == '0') ++is;
      while (js + 1 < je && b[js] == '0') ++js;
      if (ie - is != je - js) return ie - is < je - js;
      const int c = a.compare(is, ie - is, b, js, je - js);
      if (c != 0) return c < 0;
      i = ie;
      j = je;
    } else {
      if (a[i] != b[j]) return a[i] < b[j];
      ++i;
      ++j;
    }
  }
  if ((a.size() - i) != (b.size() - j)) return a.size() - i < b.size() - j;
  return a < b;  // tie-break (e.g. leading zeros) keeps the order total
}

}  // namespace

std::size_t Manifest::num_samples() const noexcept {
  std::size_t n = 0;
  for (const ShardInfo& s : shards) n += s.ids.size();
  return n;
}

std::string manifest_to_json(const Manifest& m) {
  std::string out =
      "{\n  \"format\": \"autoopt-shard-manifest\",\n  \"version\": " + std::to_string(m.version) +
      ",\n  \"num_samples\": " + std::to_string(m.num_samples()) + ",\n  \"shards\": [";
  for (std::size_t k = 0; k < m.shards.size(); ++k) {
    const ShardInfo& s = m.shards[k];
    out += k == 0 ? "\n    {\"file\": " : ",\n    {\"file\": ";
    append_json_string(out, s.file);
    out += ", \"num_samples\": " + std::to_string(s.ids.size()) + ", \"ids\": [";
    for (std::size_t i = 0; i < s.ids.size(); ++i) {
      if (i > 0) out += ", ";
      out += std::to_string(s.ids[i]);
    }
    out += "]}";
  }
  out += m.shards.empty() ? "]\n}\n" : "\n  ]\n}\n";
  return out;
}

Manifest read_manifest(const fs::path& dir) {
  const fs::path file = dir / kManifestFileName;
  const std::string fname = file.string();
  std::error_code ec;
  if (!fs::is_regular_file(file, ec)) throw Error(fname + ": no store manifest (run write_manifest)");
  const std::string text = read_file(file);

  JsonReader j(text, fname);
  Manifest m;
  bool have_format = false;
  bool have_version = false;
  bool have_shards = false;
  std::int64_t declared_total = -1;
  j.expect('{');
  if (!j.consume('}')) {
    do {
      const std::string key = j.string();
      j.expect(':');
      if (key == "format") {
        const std::string f = j.string();
        if (f != "autoopt-shard-manifest")
          j.error("format is \"" + f + "\", expected \"autoopt-shard-manifest\"");
        have_format = true;
      } else if (key == "version") {
        const std::int64_t v = j.integer();
        if (v < 1 || v > kManifestVersion) {
          j.error("manifest version " + std::to_string(v) + " is not supported (this reader knows 1.." +
                  std::to_string(kManifestVersion) + ")");
        }
        m.version = static_cast<int>(v);
        have_version = true;
      } else if (key == "num_samples") {
        declared_total = j.integer();
      } else if (key == "shards") {
        have_shards = true;
        j.expect('[');
        if (!j.consume(']')) {
          do {
            ShardInfo info;
            bool have_file = false;
            bool have_ids = false;
            std::int64_t declared = -1;
            j.expect('{');
            if (!j.consume('}')) {
              do {
                const std::string k = j.string();
                j.expect(':');
                if (k == "file") {
                  info.file = j.string();
                  have_file = true;
                } else if (k == "num_samples") {
                  declared = j.integer();
                } else if (k == "ids") {
                  have_ids = true;
                  j.expect('[');
                  if (!j.consume(']')) {
                    do info.ids.push_back(j.integer());
                    while (j.consume(','));
                    j.expect(']');
                  }
                } else {
                  j.skip();
                }
              } while (j.consume(','));
              j.expect('}');
            }
            if (!have_file || !have_ids) j.error("a shard entry needs \"file\" and \"ids\"");
            if (info.file.empty() || info.file.find('/') != std::string::npos || info.file == "." ||
                info.file == "..") {
              j.error("shard file \"" + info.file + "\" must be a plain file name inside the store folder");
            }
            if (declared >= 0 && static_cast<std::size_t>(declared) != info.ids.size()) {
              j.error("shard " + info.file + ": num_samples " + std::to_string(declared) + " but " +
                      std::to_string(info.ids.size()) + " ids");
            }
            m.shards.push_back(std::move(info));
          } while (j.consume(','));
          j.expect(']');
        }
      } else {
        j.skip();
      }
    } while (j.consume(','));
    j.expect('}');
  }
  j.end();
  if (!have_format || !have_version || !have_shards) {
    throw Error(fname + ": manifest needs \"format\", \"version\" and \"shards\"");
  }
  if (declared_total >= 0 && static_cast<std::size_t>(declared_total) != m.num_samples()) {
    throw Error(fname + ": num_samples is " + std::to_string(declared_total) + " but the shards list " +
                std::to_string(m.num_samples()) + " ids");
  }
  return m;
}

Manifest write_manifest(const fs::path& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) throw Error(dir.string() + ": not a store folder");
  std::vector<std::string> names;
  for (const fs::directory_entry& e : fs::directory_iterator(dir, ec)) {
    const std::string name = e.path().filename().string();
    if (e.is_regular_file() && e.path().extension() == ".h5" && name.find(".tmp-") == std::string::npos) {
      names.push_back(name);
    }
  }
  if (ec) throw Error(dir.string() + ": cannot list the store folder: " + ec.message());
  std::sort(names.begin(), names.end(), natural_less);
  Manifest m;
  for (const std::string& name : names) {
    const ShardReader r(dir / name);
    m.shards.push_back(ShardInfo{name, r.ids()});
  }
  write_file_atomic(dir / kManifestFileName, manifest_to_json(m));
  return m;
}

void gather_and_write_manifest(const fs::path& dir, MPI_Comm comm) {
  if (MPI_Barrier(comm) != MPI_SUCCESS)
    throw Error(dir.string() + ": MPI_Barrier failed before the manifest");
  int rank = 0;
  MPI_Comm_rank(comm, &rank);
  std::string message;
  if (rank == 0) {
    try {
      (void)write_manifest(dir);
    } catch (const std::exception& ex) {
      message = ex.what();
      if (message.empty()) message = dir.string() + ": writing the manifest failed";
    }
  }
  int len = static_cast<int>(message.size());
  if (MPI_Bcast(&len, 1, MPI_INT, 0, comm) != MPI_SUCCESS) {
    throw Error(dir.string() + ": MPI_Bcast failed after the manifest");
  }
  if (len == 0) return;
  message.resize(static_cast<std::size_t>(len));
  MPI_Bcast(message.data(), len, MPI_CHAR, 0, comm);
  throw Error(message);
}

// ---- ShardStore ------------------------------------------------------------------------------

ShardStore ShardStore::open(const fs::path& dir) {
  ShardStore store;
  store.dir_ = dir;
  store.manifest_ = read_manifest(dir);
  const std::string mname = (dir / kManifestFileName).string();
  std::size_t total = 0;
  store.starts_.push_back(0);
  for (const ShardInfo& s : store.manifest_.shards) {
    const ShardReader r(dir / s.file);
    if (r.size() != s.ids.size()) {
      throw Error(mname + ": shard " + s.file + " is listed with " + std::to_string(s.ids.size()) +
                  " samples but holds " + std::to_string(r.size()) + " (stale manifest)");
    }
    if (r.ids() != s.ids)
      throw Error(mname + ": shard " + s.file + ": sample ids differ from the manifest (stale manifest)");
    total += s.ids.size();
    store.starts_.push_back(total);
  }
  return store;
}

net::Sample ShardStore::read(std::size_t index) const {
  if (index >= size()) {
    throw Error(dir_.string() + ": sample " + std::to_string(index) + " requested but the store holds " +
                std::to_string(size()));
  }
  const auto it = std::upper_bound(starts_.begin(), starts_.end(), index);
  const auto k = static_cast<std::size_t>(it - starts_.begin()) - 1;
  return ShardReader(dir_ / manifest_.shards[k].file).read(index - starts_[k]);
}

void ShardStore::for_each(const std::function<void(std::size_t, const net::Sample&)>& fn) const {
  for (std::size_t k = 0; k < manifest_.shards.size(); ++k) {
    if (manifest_.shards[k].ids.empty()) continue;
    const ShardReader r(dir_ / manifest_.shards[k].file);
    for (std::size_t i = 0; i < r.size(); ++i) fn(starts_[k] + i, r.read(i));
  }
}

std::vector<net::Sample> ShardStore::read_all() const {
  std::vector<net::Sample> out;
  out.reserve(size());
  for (const ShardInfo& s : manifest_.shards) {
    if (s.ids.empty()) continue;
    std::vector<net::Sample> part = ShardReader(dir_ / s.file).read_all();
    for (net::Sample& x : part) out.push_back(std::move(x));
  }
  return out;
}

}  // namespace autoopt::io
