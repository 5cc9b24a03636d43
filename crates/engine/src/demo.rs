//! Demo organisation generator (being written).
