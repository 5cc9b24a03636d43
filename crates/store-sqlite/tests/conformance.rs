//! The storage conformance suite on SQLite.
attest_store::conformance_tests!(attest_testing::sqlite_factory);
