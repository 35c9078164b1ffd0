//! This product's own exports: plain JSON and encrypted `.spmx`.
