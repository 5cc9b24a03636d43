//! The storage conformance suite on PostgreSQL (skipped without ATTEST_TEST_DATABASE_URL).
attest_store::conformance_tests!(attest_testing::postgres_store);
