//! Token test vectors (filled in next).
