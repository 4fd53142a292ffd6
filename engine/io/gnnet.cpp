// GNNet 2022 dataset folders: scan, lazy load, write (see gnnet.hpp).
#include "io/gnnet.hpp"

#include <zlib.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstring>
#include <memory>
#include <system_error>
#include <utility>

#include "io/numfmt.hpp"
#include "net/error.hpp"

namespace autoopt::io {
namespace {

namespace fs = std::filesystem;

[[noreturn]] void fail(const std::string& msg) { throw Error(msg); }

std::string quoted(const fs::path& p) { return "'" + p.string() + "'"; }

constexpr std::string_view kArchiveSuffix = ".tar.gz";

bool is_dir(const fs::path& p) {
  std::error_code ec;
  return fs::is_directory(p, ec);
}

// "results_<tag>_<first>_<last>" -> (tag, first, last) when the name has that shape.
struct ArchiveName {
  std::string tag;
  std::optional<std::pair<std::int64_t, std::int64_t>> range;
};

ArchiveName parse_archive_name(std::string stem) {
  ArchiveName out;
  if (stem.rfind("results_", 0) == 0) stem.erase(0, 8);
  const std::size_t b = stem.rfind('_');
  if (b != std::string::npos && b > 0) {
    const std::size_t a = stem.rfind('_', b - 1);
    std::int64_t first = 0;
    std::int64_t last = 0;
    const std::size_t a_begin = (a == std::string::npos) ? 0 : a + 1;
    if (numfmt::parse_int(std::string_view(stem).substr(a_begin, b - a_begin), first) &&
        numfmt::parse_int(std::string_view(stem).substr(b + 1), last) && first >= 0 &&
        last >= first) {
      out.range = std::make_pair(first, last);
      out.tag = (a == std::string::npos) ? std::string() : stem.substr(0, a);
      return out;
    }
  }
  out.tag = stem;
  return out;
}

std::string archive_stem(const fs::path& archive) {
  std::string name = archive.filename().string();
  if (name.size() > kArchiveSuffix.size() &&
      name.compare(name.size() - kArchiveSuffix.size(), kArchiveSuffix.size(), kArchiveSuffix) == 0) {
    name.resize(name.size() - kArchiveSuffix.size());
  }
  return name;
}

// ---- reading input_files.txt from the head of a .tar.gz stream ------------------------------------

struct GzClose {
  void operator()(gzFile_s* f) const noexcept { gzclose(f); }
};

// Returns input_files.txt from the first few members of a tar(.gz), or nullopt if it is not there
// (the caller then falls back to the full, checked archive reader).
std::optional<std::string> peek_input_files(const fs::path& archive) {
  std::unique_ptr<gzFile_s, GzClose> f(gzopen(archive.c_str(), "rb"));
  if (!f) return std::nullopt;
  constexpr std::uint64_t kMaxMember = std::uint64_t{1} << 24;
  std::array<char, 512> h{};
  std::string long_name;
  for (int member = 0; member < 16; ++member) {
    if (gzread(f.get(), h.data(), 512) != 512) return std::nullopt;
    if (std::all_of(h.begin(), h.end(), [](char c) { return c == 0; })) return std::nullopt;
    std::string name = long_name.empty() ? std::string(h.data(), strnlen(h.data(), 100)) : long_name;
    long_name.clear();
    std::uint64_t size = 0;
    for (int i = 124; i < 136; ++i) {
      const char c = h[static_cast<std::size_t>(i)];
      if (c >= '0' && c <= '7') {
        size = size * 8 + static_cast<std::uint64_t>(c - '0');
      } else if (c != ' ' && c != '\0') {
        return std::nullopt;  // base-256 or corrupt: leave it to the full reader
      }
    }
    if (size > kMaxMember) return std::nullopt;
    const char type = h[156];
    std::string data(static_cast<std::size_t>(size), '\0');
    if (size > 0 && gzread(f.get(), data.data(), static_cast<unsigned>(size)) != static_cast<int>(size)) {
      return std::nullopt;
    }
    const std::uint64_t pad = (512 - size % 512) % 512;
    std::array<char, 512> skip{};
    if (pad > 0 && gzread(f.get(), skip.data(), static_cast<unsigned>(pad)) != static_cast<int>(pad)) {
      return std::nullopt;
    }
    if (type == 'L') {
      long_name.assign(data.c_str());
      continue;
    }
    const bool regular = (type == '0' || type == '\0');
    const std::string_view base = "input_files.txt";
    if (regular && (name == base || (name.size() > base.size() &&
                                     name.compare(name.size() - base.size(), base.size(), base) == 0 &&
                                     name[name.size() - base.size() - 1] == '/'))) {
      return data;
    }
  }
  return std::nullopt;
}

// The members of an archive by file name (the part after "<dir>/", dir = the first member).
struct MemberIndex {
  std::string dir;
  std::map<std::string, const ArchiveMember*, std::less<>> files;
};

MemberIndex index_members(const std::vector<ArchiveMember>& members, const fs::path& archive) {
  MemberIndex idx;
  if (members.empty()) fail("archive " + quoted(archive) + ": empty archive");
  if (members.front().is_dir) idx.dir = members.front().name;
  const std::string prefix = idx.dir.empty() ? std::string() : idx.dir + "/";
  for (const ArchiveMember& m : members) {
    if (m.is_dir || m.name.compare(0, prefix.size(), prefix) != 0) continue;
    idx.files.emplace(m.name.substr(prefix.size()), &m);
  }
  return idx;
}

// The sample line of an archive member, with the display name used in errors.
struct MemberLine {
  std::string who;  // "<archive file>:<member>"
  std::string_view line;
  bool present = false;
};

MemberLine member_line(const MemberIndex& idx, const fs::path& archive, std::string_view file,
                       std::size_t line, bool required) {
  MemberLine out;
  const std::string member = idx.dir.empty() ? std::string(file) : idx.dir + "/" + std::string(file);
  out.who = archive.string() + ":" + member;
  const auto it = idx.files.find(file);
  if (it == idx.files.end()) {
    if (required) fail("archive " + quoted(archive) + ": missing member '" + member + "'");
    return out;
  }
  const std::vector<std::string_view> lines = gnnet::split_lines(it->second->data);
  if (line >= lines.size()) {
    fail(out.who + ": has " + std::to_string(lines.size()) + " line(s), but sample line " +
         std::to_string(line + 1) + " was requested");
  }
  out.line = lines[line];
  out.present = true;
  return out;
}

// ---- writing helpers --------------------------------------------------------------------------

void check_plain_name(const std::string& name, const char* what) {
  if (name.empty() || name == "." || name == ".." || name.find('/') != std::string::npos ||
      name.find('\\') != std::string::npos || name.find('\0') != std::string::npos ||
      name.find('\n') != std::string::npos || name.find(';') != std::string::npos) {
    fail(std::string("write GNNet dataset: ") + what + " '" + name +
         "' is not a plain file name (no '/', ';', newline, '.' or '..')");
  }
}

std::string hash_hex(std::string_view data) {
  std::uint64_t h = 1469598103934665603ULL;  // FNV-1a 64
  for (const char c : data) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ULL;
  }
  std::array<char, 17> buf{};
  const auto r = std::to_chars(buf.data(), buf.data() + 16, h, 16);
  return std::string(16 - static_cast<std::size_t>(r.ptr - buf.data()), '0') +
         std::string(buf.data(), r.ptr);
}

std::optional<std::string> read_if_exists(const fs::path& p) {
  std::error_code ec;
  if (!fs::exists(p, ec)) return std::nullopt;
  return read_file(p);
}

// Writes `content` at `path` unless the same content is there already; different content -> error.
void put_unique(const fs::path& path, const std::string& content, const std::string& label) {
  if (const auto old = read_if_exists(path)) {
    if (*old != content) {
      fail("write GNNet dataset: " + label +
           ": two different contents under one name (the file on disk differs)");
    }
    return;
  }
  write_file_atomic(path, content);
}

}  // namespace

// =================================================================================================
// GnnetDataset
// =================================================================================================

GnnetDataset::GnnetDataset(const fs::path& folder) {
  std::error_code ec;
  if (!fs::is_directory(folder, ec)) fail("GNNet dataset " + quoted(folder) + ": not a directory");
  auto consider = [this](const fs::path& dir) {
    if (is_dir(dir / "graphs") && is_dir(dir / "routings")) roots_.push_back(dir);
  };
  consider(folder);
  for (fs::recursive_directory_iterator it(folder, fs::directory_options::skip_permission_denied, ec),
       end;
       !ec && it != end; it.increment(ec)) {
    if (!it->is_directory(ec) || it->is_symlink(ec)) continue;
    const std::string name = it->path().filename().string();
    if (name == "graphs" || name == "routings" || name == "links_bw") {
      it.disable_recursion_pending();  // a root's own data folders hold no roots
      continue;
    }
    consider(it->path());
  }
  if (ec) fail("GNNet dataset " + quoted(folder) + ": cannot scan: " + ec.message());
  std::sort(roots_.begin(), roots_.end());

  for (std::size_t r = 0; r < roots_.size(); ++r) {
    std::vector<fs::path> archives;
    for (const fs::directory_entry& e : fs::directory_iterator(roots_[r])) {
      const std::string name = e.path().filename().string();
      if (e.is_regular_file() && name.size() > kArchiveSuffix.size() &&
          name.compare(name.size() - kArchiveSuffix.size(), kArchiveSuffix.size(), kArchiveSuffix) == 0) {
        archives.push_back(e.path());
      }
    }
    std::sort(archives.begin(), archives.end(), [](const fs::path& a, const fs::path& b) {
      return a.filename().string() < b.filename().string();
    });
    for (const fs::path& a : archives) {
      const ArchiveName an = parse_archive_name(archive_stem(a));
      std::size_t count = 0;
      if (an.range) {
        count = static_cast<std::size_t>(an.range->second - an.range->first + 1);
      } else {
        GnnetSampleRef probe{r, a, 0};
        (void)input_files(probe);
        count = input_files_.at(a).size();
      }
      for (std::size_t line = 0; line < count; ++line) samples_.push_back(GnnetSampleRef{r, a, line});
    }
  }
}

gnnet::InputFiles GnnetDataset::input_files(const GnnetSampleRef& ref) {
  auto it = input_files_.find(ref.archive);
  if (it == input_files_.end()) {
    std::optional<std::string> text = peek_input_files(ref.archive);
    std::string who = ref.archive.string() + ":input_files.txt";
    if (!text) {
      const auto& ms = members(ref.archive);
      const MemberIndex idx = index_members(ms, ref.archive);
      const auto f = idx.files.find(std::string_view("input_files.txt"));
      if (f == idx.files.end()) fail("archive " + quoted(ref.archive) + ": missing member 'input_files.txt'");
      text = f->second->data;
    }
    std::vector<gnnet::InputFiles> lines;
    const auto split = gnnet::split_lines(*text);
    lines.reserve(split.size());
    for (std::size_t i = 0; i < split.size(); ++i) {
      lines.push_back(gnnet::parse_input_files_line(split[i], gnnet::Where{who, i + 1}));
    }
    it = input_files_.emplace(ref.archive, std::move(lines)).first;
  }
  if (ref.line >= it->second.size()) {
    fail(ref.archive.string() + ":input_files.txt: has " +
         std::to_string(it->second.size()) + " line(s), but sample line " +
         std::to_string(ref.line + 1) + " was requested (the archive name promises more samples)");
  }
  return it->second[ref.line];
}

int GnnetDataset::num_nodes(const GnnetSampleRef& ref) {
  const gnnet::InputFiles in = input_files(ref);
  const fs::path gp = roots_.at(ref.root) / "graphs" / in.graph;
  if (const auto g = graphs_.find(gp); g != graphs_.end()) return g->second.num_nodes();
  auto it = graph_nodes_.find(gp);
  if (it == graph_nodes_.end()) {
    std::error_code ec;
    if (!fs::is_regular_file(gp, ec)) {
      fail(ref.archive.string() + ":input_files.txt line " + std::to_string(ref.line + 1) +
           ": graph file " + quoted(gp) + " not found");
    }
    it = graph_nodes_.emplace(gp, gnnet::count_graph_nodes(read_file(gp))).first;
  }
  return it->second;
}

std::vector<GnnetSampleRef> GnnetDataset::filter_nodes(int min_nodes, int max_nodes) {
  std::vector<GnnetSampleRef> out;
  for (const GnnetSampleRef& r : samples_) {
    const int n = num_nodes(r);
    if (n >= min_nodes && n <= max_nodes) out.push_back(r);
  }
  return out;
}

const std::vector<ArchiveMember>& GnnetDataset::members(const fs::path& archive) {
  if (archive != cached_archive_ || cached_members_.empty()) {
    cached_members_.clear();
    cached_archive_.clear();
    cached_members_ = read_tar_gz(archive);
    cached_archive_ = archive;
  }
  return cached_members_;
}

const net::Topology& GnnetDataset::graph(std::size_t root, const std::string& name,
                                         std::string_view who) {
  const fs::path gp = roots_.at(root) / "graphs" / name;
  auto it = graphs_.find(gp);
  if (it != graphs_.end()) return it->second;
  std::error_code ec;
  if (!fs::is_regular_file(gp, ec)) {
    fail(std::string(who) + ": graph file " + quoted(gp) + " not found");
  }
  if (graphs_.size() >= 64) graphs_.clear();  // bound the cache; roots are visited in order
  net::Topology t = gnnet::parse_graph(read_file(gp), gp.string());
  return graphs_.emplace(gp, std::move(t)).first->second;
}

const net::Routing& GnnetDataset::routing(std::size_t root, const std::string& name,
                                          const std::string& graph_name, const net::Topology& topo,
                                          std::string_view who) {
  const fs::path rp = roots_.at(root) / "routings" / name;
  const fs::path gp = roots_.at(root) / "graphs" / graph_name;
  const auto key = std::make_pair(rp, gp);
  auto it = routings_.find(key);
  if (it != routings_.end()) return it->second;
  std::error_code ec;
  net::Routing r;
  if (fs::is_directory(rp, ec)) {
    std::vector<gnnet::PortMatrix> per_source;
    per_source.reserve(static_cast<std::size_t>(topo.num_nodes()));
    for (int s = 0; s < topo.num_nodes(); ++s) {
      const fs::path f = rp / gnnet::per_source_file_name(s);
      if (!fs::is_regular_file(f, ec)) {
        fail(std::string(who) + ": routing directory " + quoted(rp) + " has no file " +
             quoted(f.filename()));
      }
      per_source.push_back(gnnet::parse_port_matrix(read_file(f), topo.num_nodes(), f.string()));
    }
    r = gnnet::expand_per_source(per_source, topo, rp.string());
  } else if (fs::is_regular_file(rp, ec)) {
    r = gnnet::parse_routing_file(read_file(rp), topo, rp.string());
  } else {
    fail(std::string(who) + ": routing file " + quoted(rp) + " not found");
  }
  if (routings_.size() >= 16) routings_.clear();  // bound the cache (a 300-node routing is ~4 MB)
  return routings_.emplace(key, std::move(r)).first->second;
}

net::Sample GnnetDataset::load(const GnnetSampleRef& ref) {
  const std::vector<ArchiveMember>& ms = members(ref.archive);
  const MemberIndex idx = index_members(ms, ref.archive);
  const std::size_t ln = ref.line;
  const MemberLine in_line = member_line(idx, ref.archive, "input_files.txt", ln, true);
  const gnnet::InputFiles in = gnnet::parse_input_files_line(in_line.line, {in_line.who, ln + 1});
  const std::string who = in_line.who + " line " + std::to_string(ln + 1);

  net::Sample s;
  s.id = in.id;
  s.graph_name = in.graph;
  s.routing_name = in.routing;
  s.dataset_tag = parse_archive_name(archive_stem(ref.archive)).tag;
  s.topology = graph(ref.root, in.graph, who);
  if (!in.links_bw.empty()) {
    const fs::path bp = roots_.at(ref.root) / "links_bw" / in.links_bw;
    std::error_code ec;
    if (!fs::is_regular_file(bp, ec)) fail(who + ": links_bw file " + quoted(bp) + " not found");
    gnnet::apply_links_bw(s.topology, gnnet::parse_links_bw(read_file(bp), bp.string()), bp.string());
  }
  s.routing = routing(ref.root, in.routing, in.graph, s.topology, who);
  const int n = s.topology.num_nodes();

  const MemberLine tl = member_line(idx, ref.archive, "traffic.txt", ln, true);
  s.traffic = gnnet::parse_traffic_line(tl.line, n, {tl.who, ln + 1});

  net::Results res;
  const MemberLine rl = member_line(idx, ref.archive, "simulationResults.txt", ln, true);
  gnnet::parse_simulation_results_line(rl.line, n, {rl.who, ln + 1}, res);
  const MemberLine fl = member_line(idx, ref.archive, "flowSimulationResults.txt", ln, false);
  if (fl.present) res.flows = gnnet::parse_flow_results_line(fl.line, s.traffic, {fl.who, ln + 1});
  const MemberLine ll = member_line(idx, ref.archive, "linkUsage.txt", ln, true);
  res.ports = gnnet::parse_link_usage_line(ll.line, s.topology, {ll.who, ln + 1});
  const MemberLine sl = member_line(idx, ref.archive, "stability.txt", ln, true);
  res.run = gnnet::parse_stability_line(sl.line, {sl.who, ln + 1});
  s.results = std::move(res);
  return s;
}

std::vector<net::Sample> GnnetDataset::read_all() {
  std::vector<net::Sample> out;
  out.reserve(samples_.size());
  for (const GnnetSampleRef& r : samples_) out.push_back(load(r));
  return out;
}

std::vector<net::Sample> read_gnnet_dataset(const fs::path& folder) {
  return GnnetDataset(folder).read_all();
}

// =================================================================================================
// Writing
// =================================================================================================

std::vector<ArchiveMember> gnnet_archive_members(std::span<const net::Sample> samples,
                                                 const std::string& stem) {
  std::string input;
  std::string sim;
  std::string traffic;
  std::string stability;
  std::string links;
  std::string flows;
  std::size_t with_flows = 0;
  for (const net::Sample& s : samples) {
    if (!s.results) {
      fail("write GNNet dataset: sample " + std::to_string(s.id) +
           " has no results (only simulated samples can be written as a results archive)");
    }
    if (!s.results->flows.empty()) ++with_flows;
  }
  if (with_flows != 0 && with_flows != samples.size()) {
    fail("write GNNet dataset: archive " + stem +
         ": some samples have per-flow results and some do not");
  }
  for (const net::Sample& s : samples) {
    const net::Results& r = *s.results;
    gnnet::append_input_files_line(input, gnnet::InputFiles{s.id, s.graph_name, s.routing_name, {}});
    gnnet::append_simulation_results_line(sim, r);
    gnnet::append_traffic_line(traffic, s.traffic);
    gnnet::append_stability_line(stability, r.run);
    gnnet::append_link_usage_line(links, r.ports, s.topology);
    if (with_flows != 0) gnnet::append_flow_results_line(flows, r, s.traffic);
  }
  std::vector<ArchiveMember> m;
  m.push_back(ArchiveMember{stem, {}, true});
  m.push_back(ArchiveMember{stem + "/input_files.txt", std::move(input), false});
  m.push_back(ArchiveMember{stem + "/simulationResults.txt", std::move(sim), false});
  m.push_back(ArchiveMember{stem + "/traffic.txt", std::move(traffic), false});
  m.push_back(ArchiveMember{stem + "/stability.txt", std::move(stability), false});
  m.push_back(ArchiveMember{stem + "/linkUsage.txt", std::move(links), false});
  if (with_flows != 0) {
    m.push_back(ArchiveMember{stem + "/flowSimulationResults.txt", std::move(flows), false});
  }
  return m;
}

void write_gnnet_dataset(const fs::path& root, std::span<const net::Sample> samples,
                         const GnnetWriteOptions& options) {
  if (options.samples_per_file == 0) fail("write GNNet dataset: samples_per_file must be >= 1");
  std::string tag = options.tag;
  if (tag.empty() && !samples.empty()) tag = samples.front().dataset_tag;
  if (tag.empty()) tag = "autoopt";
  check_plain_name(tag, "tag");

  const fs::path graphs = root / "graphs";
  const fs::path routings = root / "routings";
  std::error_code ec;
  fs::create_directories(graphs, ec);
  if (!ec) fs::create_directories(routings, ec);
  if (ec) fail("write GNNet dataset: cannot create " + quoted(root) + "/{graphs,routings}: " + ec.message());

  // Name resolution and the graph/routing files (once per name).
  std::map<std::string, std::string> graph_content;    // name -> text
  std::map<std::string, std::string> routing_content;  // name -> text (directory: joined files)
  std::vector<std::pair<std::string, std::string>> names;  // per sample: (graph, routing)
  names.reserve(samples.size());
  for (const net::Sample& s : samples) {
    const std::string gtext = gnnet::format_graph(s.topology);
    std::string gname = s.graph_name.empty() ? "graph_" + hash_hex(gtext) + ".txt" : s.graph_name;
    check_plain_name(gname, "graph name");
    if (const auto it = graph_content.find(gname); it != graph_content.end()) {
      if (it->second != gtext) {
        fail("write GNNet dataset: graphs/" + gname + ": two different graphs under one name (sample " +
             std::to_string(s.id) + ")");
      }
    } else {
      put_unique(graphs / gname, gtext, "graphs/" + gname);
      graph_content.emplace(gname, gtext);
    }

    const std::optional<std::string> matrix = gnnet::format_routing_matrix(s.topology, s.routing);
    std::vector<std::string> per_source;
    std::string fingerprint;
    if (matrix) {
      fingerprint = "F" + *matrix;
    } else {
      per_source = gnnet::format_routing_per_source(s.topology, s.routing);
      fingerprint = "D";
      for (const std::string& f : per_source) fingerprint += f + '\0';
    }
    std::string rname = s.routing_name.empty() ? "routing_" + hash_hex(fingerprint) +
                                                     (matrix ? ".txt" : "")
                                               : s.routing_name;
    check_plain_name(rname, "routing name");
    if (const auto it = routing_content.find(rname); it != routing_content.end()) {
      if (it->second != fingerprint) {
        fail("write GNNet dataset: routings/" + rname +
             ": two different routings under one name (sample " + std::to_string(s.id) + ")");
      }
    } else {
      const fs::path rp = routings / rname;
      if (matrix) {
        if (is_dir(rp)) {
          fail("write GNNet dataset: routings/" + rname +
               ": two different routings under one name (a per-source directory is on disk)");
        }
        put_unique(rp, *matrix, "routings/" + rname);
      } else {
        std::error_code e2;
        if (fs::exists(rp, e2) && !is_dir(rp)) {
          fail("write GNNet dataset: routings/" + rname +
               ": two different routings under one name (a port-matrix file is on disk)");
        }
        fs::create_directories(rp, e2);
        if (e2) fail("write GNNet dataset: cannot create " + quoted(rp) + ": " + e2.message());
        for (std::size_t src = 0; src < per_source.size(); ++src) {
          put_unique(rp / gnnet::per_source_file_name(static_cast<int>(src)), per_source[src],
                     "routings/" + rname);
        }
      }
      routing_content.emplace(rname, std::move(fingerprint));
    }
    names.emplace_back(std::move(gname), std::move(rname));
  }

  // Results archives.
  for (std::size_t first = 0; first < samples.size(); first += options.samples_per_file) {
    const std::size_t last = std::min(samples.size(), first + options.samples_per_file) - 1;
    for (std::size_t i = first + 1; i <= last; ++i) {
      if (samples[i].id != samples[i - 1].id + 1) {
        fail("write GNNet dataset: samples " + std::to_string(samples[i - 1].id) + " and " +
             std::to_string(samples[i].id) +
             " share an archive but their ids are not consecutive (archives are named by the id "
             "range)");
      }
    }
    if (samples[first].id < 0) fail("write GNNet dataset: negative sample id " + std::to_string(samples[first].id));
    const std::string stem = "results_" + tag + "_" + std::to_string(samples[first].id) + "_" +
                             std::to_string(samples[last].id);
    std::vector<net::Sample> chunk;
    std::span<const net::Sample> part = samples.subspan(first, last - first + 1);
    bool renamed = false;
    for (std::size_t i = first; i <= last; ++i) {
      renamed = renamed || names[i].first != samples[i].graph_name ||
                names[i].second != samples[i].routing_name;
    }
    if (renamed) {
      chunk.assign(part.begin(), part.end());
      for (std::size_t i = first; i <= last; ++i) {
        chunk[i - first].graph_name = names[i].first;
        chunk[i - first].routing_name = names[i].second;
      }
      part = chunk;
    }
    const std::vector<ArchiveMember> members = gnnet_archive_members(part, stem);
    write_tar_gz(root / (stem + std::string(kArchiveSuffix)), members);
  }
}

}  // namespace autoopt::io
