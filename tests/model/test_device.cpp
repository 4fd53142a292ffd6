// Device choice of the model: parsing of "cpu" / "cuda", a clear error when CUDA is asked for where
// libtorch has no CUDA or sees no GPU (Trainer::set_device, fit), and, on a machine with a GPU, the
// CPU-vs-CUDA equivalence of the network's outputs and gradients, of Trainer::predict and of a short
// fit. The CUDA tests skip themselves without a GPU (tests/device/run_gpu_checks.sh runs them on one).
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include "model/trainer.hpp"
#include "net/error.hpp"
#include "synthetic_samples.hpp"

namespace {

using namespace autoopt;

template <class F>
std::string message_of(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no autoopt::Error)";
}

std::vector<net::Sample> samples(int count, int nodes, std::uint64_t seed) {
  std::vector<net::Sample> v;
  for (int i = 0; i < count; ++i) v.push_back(autoopt::testing::synthetic_sample(nodes, seed + static_cast<std::uint64_t>(i)));
  return v;
}

// The samples featurized, batched and normalised as one model input.
model::ModelInput batched_input(const std::vector<net::Sample>& s) {
  std::vector<model::SampleTensors> parts;
  for (const auto& x : s) parts.push_back(model::featurize(x));
  return model::make_input(model::batch(parts), model::Normalizer::fit(parts));
}

// A scalar that depends on all three outputs of the network.
at::Tensor all_heads(const model::RouteNetOutput& o) {
  return o.delay.sum() + o.jitter_z.sum() + o.loss_logit.sum();
}

double rel_err(const at::Tensor& a, const at::Tensor& b) {
  const at::Tensor ad = a.detach().cpu().to(torch::kDouble), bd = b.detach().cpu().to(torch::kDouble);
  return (ad - bd).abs().max().item<double>() / std::max(bd.abs().max().item<double>(), 1e-300);
}

TEST(Device, ParseAndNames) {
  EXPECT_EQ(model::parse_device("cpu"), model::ComputeDevice::cpu);
  EXPECT_EQ(model::parse_device("cuda"), model::ComputeDevice::cuda);
  EXPECT_EQ(model::device_name(model::ComputeDevice::cuda), "cuda");
  EXPECT_EQ(message_of([] { (void)model::parse_device("gpu"); }),
            "device: expected 'cpu' or 'cuda', got 'gpu'");
  EXPECT_TRUE(model::resolve_device(model::ComputeDevice::cpu).is_cpu());
}

TEST(Device, CudaWithoutAGpuIsAClearError) {
  if (torch::cuda::is_available()) GTEST_SKIP() << "a CUDA device is visible";
  const std::string why = at::hasCUDA() ? "sees no GPU" : "has no CUDA support";
  const std::string m = message_of([] { (void)model::resolve_device(model::ComputeDevice::cuda); });
  EXPECT_EQ(m.rfind("device cuda: ", 0), 0u) << m;
  EXPECT_NE(m.find(why), std::string::npos) << m;
  EXPECT_NE(m.find("--device cpu"), std::string::npos) << m;

  model::Trainer t;
  EXPECT_EQ(message_of([&] { t.set_device(model::ComputeDevice::cuda); }), m);
  EXPECT_EQ(t.device(), model::ComputeDevice::cpu);  // unchanged after the refusal
  model::FitOptions o;
  o.epochs = 1;
  o.device = model::ComputeDevice::cuda;
  const auto train = samples(2, 6, 1);
  EXPECT_EQ(message_of([&] { (void)t.fit(train, {}, o); }), "Trainer::fit: " + m);
  // The CPU still works after the refusals.
  o.device = model::ComputeDevice::cpu;
  (void)t.fit(train, {}, o);
  EXPECT_FALSE(t.predict(train)[0].delay.empty());
}

TEST(Device, EveryParameterGetsAGradientFromAllThreeHeads) {
  // The objective of the CPU-vs-CUDA gradient check below reaches every parameter; the delay alone
  // does not (the jitter and loss heads have no gradient then), which is why that check uses all.
  torch::manual_seed(5);
  const model::ModelInput in = batched_input(samples(2, 7, 80));
  model::RouteNetConfig cfg;
  cfg.iterations = 2;
  model::RouteNet net(cfg);
  const model::RouteNetOutput out = net->forward(in);
  out.delay.sum().backward();
  std::size_t without = 0;
  for (const auto& p : net->named_parameters()) without += p.value().grad().defined() ? 0 : 1;
  EXPECT_GT(without, 0u) << "the delay alone reaches every parameter: the heads are not separate";
  net->zero_grad();
  all_heads(net->forward(in)).backward();
  for (const auto& p : net->named_parameters()) EXPECT_TRUE(p.value().grad().defined()) << p.key();
}

TEST(Device, CudaForwardAndGradientsMatchTheCpu) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  torch::manual_seed(3);
  const model::ModelInput in = batched_input(samples(3, 9, 40));
  model::RouteNetConfig cfg;
  cfg.iterations = 4;
  model::RouteNet cpu(cfg), gpu(cfg);
  {
    torch::NoGradGuard g;
    const auto a = cpu->parameters(), b = gpu->parameters();
    for (std::size_t i = 0; i < a.size(); ++i) b[i].copy_(a[i]);
  }
  gpu->to(torch::kCUDA);
  const model::ModelInput in_gpu = in.to(torch::kCUDA);
  const model::RouteNetOutput oc = cpu->forward(in), og = gpu->forward(in_gpu);
  EXPECT_LE(rel_err(og.delay, oc.delay), 1e-4);
  EXPECT_LE(rel_err(og.jitter_z, oc.jitter_z), 1e-4);
  EXPECT_LE(rel_err(og.loss_logit, oc.loss_logit), 1e-4);
  EXPECT_LE(rel_err(og.path_state, oc.path_state), 1e-4);
  // All three heads, so that every parameter gets a gradient (the delay alone leaves the jitter and
  // loss heads without one: EveryParameterGetsAGradientFromAllThreeHeads).
  all_heads(oc).backward();
  all_heads(og).backward();
  const auto pc = cpu->named_parameters(), pg = gpu->named_parameters();
  ASSERT_EQ(pc.size(), pg.size());
  for (std::size_t i = 0; i < pc.size(); ++i) {
    const at::Tensor gc = pc[i].value().grad(), gg = pg[i].value().grad();
    ASSERT_TRUE(gc.defined() && gg.defined()) << pc[i].key();
    EXPECT_TRUE(gg.is_cuda()) << pc[i].key();
    EXPECT_LE(rel_err(gg, gc), 1e-3) << pc[i].key();
  }
}

TEST(Device, CudaTrainerPredictsLikeTheCpu) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  const auto train = samples(4, 8, 60);
  model::Trainer t;
  model::FitOptions o;
  o.epochs = 2;
  (void)t.fit(train, {}, o);
  const auto on_cpu = t.predict(train);
  const model::Metrics m_cpu = t.evaluate(train);
  t.set_device(model::ComputeDevice::cuda);
  EXPECT_EQ(t.device(), model::ComputeDevice::cuda);
  const auto on_gpu = t.predict(train);
  const model::Metrics m_gpu = t.evaluate(train);
  ASSERT_EQ(on_gpu.size(), on_cpu.size());
  for (std::size_t s = 0; s < on_cpu.size(); ++s) {
    ASSERT_EQ(on_gpu[s].delay.size(), on_cpu[s].delay.size());
    for (std::size_t p = 0; p < on_cpu[s].delay.size(); ++p) {
      EXPECT_NEAR(on_gpu[s].delay[p], on_cpu[s].delay[p], 1e-4 * std::abs(on_cpu[s].delay[p])) << s << " " << p;
      EXPECT_NEAR(on_gpu[s].loss[p], on_cpu[s].loss[p], 1e-4) << s << " " << p;
    }
  }
  EXPECT_NEAR(m_gpu.delay_mape, m_cpu.delay_mape, 1e-4);
  EXPECT_EQ(t.embed(train).device().type(), torch::kCPU);

  // A fit on the GPU from the same seed lands close to the CPU's (float sums differ in order).
  model::Trainer tg;
  o.device = model::ComputeDevice::cuda;
  const model::FitReport rg = tg.fit(train, {}, o);
  model::Trainer tc;
  o.device = model::ComputeDevice::cpu;
  const model::FitReport rc = tc.fit(train, {}, o);
  EXPECT_NEAR(rg.epochs.back().train_loss, rc.epochs.back().train_loss, 1e-3 * std::abs(rc.epochs.back().train_loss));
  // Checkpoints written from the GPU load on the CPU.
  const auto dir = std::filesystem::temp_directory_path() / ("autoopt_device_ckpt_" + std::to_string(::getpid()));
  tg.save(dir);
  model::Trainer back = model::Trainer::load(dir);
  EXPECT_EQ(back.device(), model::ComputeDevice::cpu);
  std::filesystem::remove_all(dir);
}

}  // namespace
