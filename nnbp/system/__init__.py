"""The low-level room: atomic writes and bounded reads (`safeio`), the memory model (`memory`), and
the policy for BLAS threads (`blas`). Knows no networks, configs or datasets."""
