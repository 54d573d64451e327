{
  "targets": [
    {
      "target_name": "graft_kernels",
      "sources": ["graft_kernels.cc"],
      "cflags_cc": ["-O3", "-std=c++17", "-fopenmp", "-fexceptions", "-fno-trapping-math", "-fno-math-errno", "-ffp-contract=off"],
      "cflags_cc!": ["-fno-exceptions"],
      "libraries": ["-ldnnl", "-fopenmp"]
    }
  ]
}
