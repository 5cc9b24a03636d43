//! HTTP façades (being written).
