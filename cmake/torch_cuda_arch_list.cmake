# Include before find_package(Torch) in a project that builds CUDA. A CUDA libtorch (a PyTorch wheel,
# say) probes the GPU by compiling a program under the project's C++20, which CMake cannot do with
# nvcc, and the configure step fails. Its architecture list skips the probe: TORCH_CUDA_ARCH_LIST is
# taken from CMAKE_CUDA_ARCHITECTURES (90 -> 9.0, 90a -> 9.0; default 8.0 9.0) unless it is given.
if(NOT DEFINED TORCH_CUDA_ARCH_LIST AND NOT DEFINED ENV{TORCH_CUDA_ARCH_LIST})
  set(_torch_archs "")
  set(_cuda_archs "80;90")
  if(DEFINED CMAKE_CUDA_ARCHITECTURES)
    set(_cuda_archs ${CMAKE_CUDA_ARCHITECTURES})
  endif()
  foreach(_a IN LISTS _cuda_archs)
    if(_a MATCHES "^([0-9]+)([0-9])")
      list(APPEND _torch_archs "${CMAKE_MATCH_1}.${CMAKE_MATCH_2}")
    endif()
  endforeach()
  if(_torch_archs)  # "native" or "all": left to libtorch
    list(JOIN _torch_archs " " TORCH_CUDA_ARCH_LIST)
  endif()
endif()
