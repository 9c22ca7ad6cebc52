//! Comparing credentials and signatures in constant time.

use subtle::ConstantTimeEq;

/// Whether `a` and `b` are equal, without revealing where they differ.
pub(crate) fn same(a: &str, b: &str) -> bool {
    a.as_bytes().ct_eq(b.as_bytes()).into()
}
