#[test_only]
/// The stream math at its edges; the scenarios are in `scenario_mirror.move`.
module computestream::math_tests {
    use computestream::payment_stream;

    #[test]
    fun owed_is_capped_and_floored() {
        assert!(payment_stream::owed_for_test(1_000, 3_000_000_000, 333) == 999, 1);
        assert!(payment_stream::owed_for_test(1_000, 3_000_000_000, 334) == 1_000, 2);
        assert!(payment_stream::owed_for_test(7, 340282366920938463463374607431768211455, 2) == 7, 3);
    }
}
