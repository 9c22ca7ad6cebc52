//! One module per provider.
