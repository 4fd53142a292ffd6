#include "gen/generator.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "gen/routing.hpp"
#include "net/error.hpp"

namespace autoopt::gen {

namespace {
// The PLOD fit to the Internet Topology Zoo (configs/plod.conf, written by `autoopt fit-topology`).
constexpr double kPlodAlpha = 0.6853;
constexpr double kPlodBeta = 6.4587;

std::string list_text(const std::vector<double>& v, char sep) {
  std::ostringstream os;
  for (std::size_t i = 0; i < v.size(); ++i) os << (i ? std::string(1, sep) : "") << v[i];
  return os.str();
}

// A comma list whose items are '/'-separated numbers, e.g. "70/20/10, 33/33/34".
std::vector<std::vector<double>> get_groups(const ConfigFile& f, const std::string& key,
                                            const std::vector<std::vector<double>>& def) {
  std::vector<std::string> d;
  for (const auto& g : def) d.push_back(list_text(g, '/'));
  const auto items = f.get_strings(key, d);
  std::vector<std::vector<double>> out;
  for (std::size_t i = 0; i < items.size(); ++i) {
    std::vector<double> g;
    std::size_t start = 0;
    const std::string& it = items[i];
    for (std::size_t j = 0; j <= it.size(); ++j) {
      if (j == it.size() || it[j] == '/') {
        const auto v = parse_number(std::string_view(it).substr(start, j - start));
        if (!v) {
          throw Error(f.where(key) + ": item " + std::to_string(i + 1) + " '" + it +
                      "' is not a '/'-separated list of numbers (e.g. 70/20/10)");
        }
        g.push_back(*v);
        start = j + 1;
      }
    }
    out.push_back(std::move(g));
  }
  return out;
}

void require(bool ok, const ConfigFile& f, const std::string& key, const std::string& what) {
  if (!ok) throw Error(f.where(key) + ": " + what);
}

void check_weights(const ConfigFile& f, const std::string& key, const std::vector<double>& w, std::size_t size) {
  double sum = 0.0;
  bool ok = size == 0 || w.size() == size;
  for (const double x : w) {
    ok = ok && x >= 0.0;
    sum += x;
  }
  require(ok && sum > 0.0, f, key,
          (size ? std::to_string(size) + " " : std::string()) + "non-negative weights with a positive sum expected");
}

// traffic_model uniform: every flow's avg_bw ~ U{uniform_bw_min .. uniform_bw_max} (pair order),
// with its packet rate recomputed as in make_traffic; the header's max_avg_lambda is uniform_bw_max.
void set_uniform_rates(net::Traffic& traffic, const GeneratorConfig& cfg, Rng& rng) {
  const TrafficParams& p = cfg.traffic;
  traffic.max_avg_lambda = cfg.uniform_bw_max;
  for (auto& flows : traffic.pairs) {
    for (auto& f : flows) {
      f.eq_lambda_bps = rng.uniform_int(cfg.uniform_bw_min, cfg.uniform_bw_max);
      const double pkts = f.eq_lambda_bps / f.avg_pkt_size_bits;
      f.time_params.at(0) =
          f.time_dist == net::TimeDist::OnOff ? pkts * (p.onoff_t_on + p.onoff_t_off) / p.onoff_t_on : pkts;
    }
  }
}

}  // namespace

GeneratorConfig::GeneratorConfig() : plod{kPlodAlpha, kPlodBeta} {}

GeneratorConfig generator_config_from(const ConfigFile& f) {
  GeneratorConfig c;
  c.max_nodes = static_cast<int>(f.get_int("max_nodes", c.max_nodes, 2, 100000));
  c.min_nodes_fraction = f.get_double("min_nodes_fraction", c.min_nodes_fraction, 0.0, 1.0);
  c.topology_model = f.get_choice("topology_model", "plod", {"plod", "quickstart"}) == "plod"
                         ? TopologyModel::Plod
                         : TopologyModel::Quickstart;
  {
    std::vector<double> deg_def(c.quickstart.degrees.begin(), c.quickstart.degrees.end());
    const auto degs = f.get_doubles("quickstart_degrees", deg_def);
    c.quickstart.degrees.clear();
    for (const double d : degs) {
      require(d >= 1.0 && d <= 1e6 && d == std::floor(d), f, "quickstart_degrees",
              "expected a comma list of integer degrees >= 1");
      c.quickstart.degrees.push_back(static_cast<int>(d));
    }
    c.quickstart.weights = f.get_doubles(
        "quickstart_degree_weights",
        c.quickstart.weights.size() == c.quickstart.degrees.size() ? c.quickstart.weights
                                                                   : std::vector<double>(c.quickstart.degrees.size(), 1.0));
    check_weights(f, "quickstart_degree_weights", c.quickstart.weights, c.quickstart.degrees.size());
  }
  c.plod.alpha = f.get_double("plod_alpha", c.plod.alpha, 0.0, 10.0);
  c.plod.beta = f.get_double("plod_beta", c.plod.beta, 1e-9, 1e9);
  c.detour_probability = f.get_double("detour_probability", c.detour_probability, 0.0, 1.0);
  c.detour_links = static_cast<int>(f.get_int("detour_links", c.detour_links, 0, 1000000));
  c.detour_extra = f.get_double("detour_extra", c.detour_extra, 0.0, 1e6);

  c.traffic_model = f.get_choice("traffic_model", "intensity", {"intensity", "uniform"}) == "intensity"
                        ? TrafficModel::Intensity
                        : TrafficModel::Uniform;
  c.uniform_bw_min = static_cast<int>(f.get_int("uniform_bw_min", c.uniform_bw_min, 1, 1000000000));
  c.uniform_bw_max = static_cast<int>(f.get_int("uniform_bw_max", c.uniform_bw_max, 1, 1000000000));
  require(c.uniform_bw_min <= c.uniform_bw_max, f, "uniform_bw_max", "expected uniform_bw_max >= uniform_bw_min");

  TrafficParams& t = c.traffic;
  t.ti_min = f.get_double("ti_min", t.ti_min, 1e-9, 1e12);
  t.ti_max = f.get_double("ti_max", t.ti_max, 1e-9, 1e12);
  require(t.ti_min <= t.ti_max, f, "ti_max", "expected ti_max >= ti_min");
  t.bw_factor_min = f.get_double("bw_factor_min", t.bw_factor_min, 0.0, 1e6);
  t.bw_factor_max = f.get_double("bw_factor_max", t.bw_factor_max, 0.0, 1e6);
  require(t.bw_factor_min <= t.bw_factor_max, f, "bw_factor_max", "expected bw_factor_max >= bw_factor_min");
  t.avg_bw_min = f.get_double("avg_bw_min", t.avg_bw_min, 1e-9, 1e12);
  t.avg_bw_max = f.get_double("avg_bw_max", t.avg_bw_max, 1e-9, 1e12);
  require(t.avg_bw_min <= t.avg_bw_max, f, "avg_bw_max", "expected avg_bw_max >= avg_bw_min");
  t.pair_fraction = f.get_double("pair_fraction", t.pair_fraction, 0.0, 1.0);
  t.time_weights = f.get_doubles("time_weights", t.time_weights);
  check_weights(f, "time_weights", t.time_weights, 3);
  t.onoff_t_on = f.get_double("onoff_t_on", t.onoff_t_on, 1e-9, 1e9);
  t.onoff_t_off = f.get_double("onoff_t_off", t.onoff_t_off, 1e-9, 1e9);
  t.exp_max_factor = f.get_double("exp_max_factor", t.exp_max_factor, 1e-9, 1e9);
  t.pkt_sizes = f.get_doubles("pkt_sizes", t.pkt_sizes);
  for (const double s : t.pkt_sizes) require(s >= 1.0 && s == std::floor(s), f, "pkt_sizes", "expected integer sizes >= 1 bit");
  t.size_profiles = get_groups(f, "size_profiles", t.size_profiles);
  for (const auto& p : t.size_profiles) {
    double sum = 0.0;
    bool ok = p.size() == t.pkt_sizes.size();
    for (const double x : p) {
      ok = ok && x >= 0.0 && x <= 1.0;
      sum += x;
    }
    require(ok && std::fabs(sum - 1.0) <= 1e-6, f, "size_profiles",
            "every profile needs one probability per pkt_sizes entry (" + std::to_string(t.pkt_sizes.size()) +
                "), each in [0, 1], summing to 1; got " + list_text(p, '/'));
  }
  t.profile_weights = f.get_doubles("profile_weights", std::vector<double>(t.size_profiles.size(), 1.0));
  check_weights(f, "profile_weights", t.profile_weights, t.size_profiles.size());
  t.tos_probs = f.get_doubles("tos_probs", t.tos_probs);
  check_weights(f, "tos_probs", t.tos_probs, 3);

  NodeParams& n = c.nodes;
  n.policy_weights = f.get_doubles("policy_weights", n.policy_weights);
  check_weights(f, "policy_weights", n.policy_weights, 4);
  n.buffer_values = f.get_doubles("buffer_values", n.buffer_values);
  for (const double b : n.buffer_values) require(b > 0.0, f, "buffer_values", "expected buffer sizes > 0 bits");
  for (const char* key : {"wfq_weights", "drr_weights"}) {
    auto& w = std::string(key) == "wfq_weights" ? n.wfq_weights : n.drr_weights;
    w = get_groups(f, key, w);
    for (const auto& g : w) {
      double sum = 0.0;
      bool ok = g.size() == 3;
      for (const double x : g) {
        ok = ok && x > 0.0;
        sum += x;
      }
      require(ok && std::fabs(sum - 100.0) <= 0.01, f, key,
              "expected triples of positive weights summing to 100 (e.g. 70/20/10), got " + list_text(g, '/'));
    }
  }

  CapacityParams& k = c.capacity;
  k.load_min = f.get_double("load_min", k.load_min, 1e-6, 1e6);
  k.load_max = f.get_double("load_max", k.load_max, 1e-6, 1e6);
  require(k.load_min <= k.load_max, f, "load_max", "expected load_max >= load_min");
  k.load_jitter = f.get_double("load_jitter", k.load_jitter, 1.0, 1e6);
  std::vector<std::string> cap_def;
  for (const double v : k.capacity_values) cap_def.push_back(list_text({v}, ','));
  if (cap_def.empty()) cap_def.push_back("none");
  const auto caps = f.get_strings("capacity_values", cap_def);
  k.capacity_values.clear();
  if (!(caps.size() == 1 && caps[0] == "none")) {
    for (const auto& s : caps) {
      const auto v = parse_number(s);
      require(v && *v > 0.0, f, "capacity_values", "expected a comma list of capacities > 0 bit/s, or none");
      k.capacity_values.push_back(*v);
    }
  }
  k.capacity_step = f.get_double("capacity_step", k.capacity_step, 1e-9, 1e12);
  k.capacity_min = f.get_double("capacity_min", k.capacity_min, 1e-9, 1e12);
  k.capacity_max = f.get_double("capacity_max", k.capacity_max, 1e-9, 1e12);
  require(k.capacity_min <= k.capacity_max, f, "capacity_max", "expected capacity_max >= capacity_min");

  c.dataset_tag = f.get_string("dataset_tag", c.dataset_tag);
  f.reject_unknown();
  return c;
}

GeneratorConfig load_generator_config(const std::filesystem::path& file) {
  return generator_config_from(ConfigFile::load(file));
}

net::Sample generate_sample(const GeneratorConfig& cfg, std::uint64_t seed, const std::string& id) {
  Rng topo_rng(seed, 1), node_rng(seed, 2), route_rng(seed, 3), traffic_rng(seed, 4), cap_rng(seed, 5);
  const int x = cfg.max_nodes;
  const int n_min = std::clamp(static_cast<int>(std::ceil(cfg.min_nodes_fraction * x - 1e-9)), 2, x);
  const int n = topo_rng.uniform_int(n_min, x);

  net::Sample s;
  const Graph g = cfg.topology_model == TopologyModel::Quickstart ? generate_quickstart(n, cfg.quickstart, topo_rng)
                                                                  : generate_plod(n, cfg.plod, topo_rng);
  s.topology.levels_tos = 3;
  s.topology.nodes.reserve(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) s.topology.nodes.push_back(make_node(cfg.nodes, node_rng));
  s.topology.links = links_of(g);

  if (route_rng.uniform() < cfg.detour_probability) {
    const auto w = perturbed_weights(g, cfg.detour_links, cfg.detour_extra, route_rng);
    s.routing = shortest_path_routing(g, w);
  } else {
    s.routing = min_hop_routing(g);
  }
  s.traffic = make_traffic(n, s.routing, cfg.traffic, traffic_rng);
  if (cfg.traffic_model == TrafficModel::Uniform) {
    Rng bw_rng(seed, 6);
    set_uniform_rates(s.traffic, cfg, bw_rng);
  }
  assign_capacities(s.topology, s.routing, s.traffic, cfg.capacity, cap_rng);

  std::size_t digits = id.size();
  while (digits > 0 && id[digits - 1] >= '0' && id[digits - 1] <= '9') --digits;
  const std::string tail = id.substr(digits, 18);
  s.id = tail.empty() ? 0 : std::stoll(tail);
  s.graph_name = "graph-" + id + ".txt";
  s.routing_name = "routing-" + id + ".txt";
  s.dataset_tag = cfg.dataset_tag;
  return s;
}

}  // namespace autoopt::gen
