//! serde_shapes
