from identity.national.bench import signature_rates


def test_the_benchmark_reports_every_document_algorithm():
    # Shape only: the figures depend on the machine, so none is asserted.
    rates = signature_rates(seconds=0.001)
    assert [r.algorithm for r in rates] == ["ES256", "SM2SM3", "GOST3410-2012-256"]
    for rate in rates:
        assert rate.sign_per_second > 0
        assert rate.verify_per_second > 0
        assert set(rate.to_json()) == {
            "algorithm",
            "implementation",
            "signPerSecond",
            "verifyPerSecond",
        }
