{"targets":[{"target_name":"x","sources":["x.cc"]}]}
