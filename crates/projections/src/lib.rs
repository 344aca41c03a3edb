//! holdfast-projections: placeholder until its issue lands.
