using System;

namespace EtnaAuth.Tests
{
    /// <summary>
    /// A test PKI made once with openssl for these tests (RSA 2048, valid 100 years): a CA, and a
    /// leaf certificate for "localhost" signed by it, with its key, in PEM for tls_server.py.
    /// </summary>
    public static class TestPki
    {
        public const string CaPem =
            "-----BEGIN CERTIFICATE-----\n" +
            "MIIDOTCCAiGgAwIBAgIUSgl9mTmVQHCZfwsCzbU5xRYFClAwDQYJKoZIhvcNAQEL\n" +
            "BQAwIzEhMB8GA1UEAwwYZXRuYS1hdXRoIGNzaGFycCB0ZXN0IENBMCAXDTI2MTEy\n" +
            "NDEwNDA0OFoYDzIxMjYxMDMxMTA0MDQ4WjAjMSEwHwYDVQQDDBhldG5hLWF1dGgg\n" +
            "Y3NoYXJwIHRlc3QgQ0EwggEiMA0GCSqGSIb3DQEBAQUAA4IBDwAwggEKAoIBAQCc\n" +
            "v+Fjy3hdAuDa0C0B4sx+cp4iyfa1Os91xGV2iorlL1VSZ2wQNUZ4nkJjLFn8NR0y\n" +
            "vjJ4YaAVMk5sUiWg5ahf/wgvGZ+NDzJuhshl2WnBtgHe7da+m/jzNhMGPJuKBoAS\n" +
            "BJuAICcq9Uz0zEnGba8BvM/jIF3KYXzYMD5hLtlHJjaWP7pbl8/yXfuPYtrnSnWS\n" +
            "VqDz6iQCnu/GWqri+5CO92XOstTnCKgb1RwAxtUAjB/bbfPUT9rVkuXH4tul39Wb\n" +
            "Ir+VOFMC9HpNpV0+ynGR6zZ8HtdhqMbThEgPg+27WPNXiEsgICXpf/1uTeM3QEY8\n" +
            "ffQ8YHKIBLwvBxLgEFY9AgMBAAGjYzBhMB0GA1UdDgQWBBT6ASSBpz+T4UgJAx1N\n" +
            "YCw4gyKAgjAfBgNVHSMEGDAWgBT6ASSBpz+T4UgJAx1NYCw4gyKAgjAPBgNVHRMB\n" +
            "Af8EBTADAQH/MA4GA1UdDwEB/wQEAwIBBjANBgkqhkiG9w0BAQsFAAOCAQEAHPx4\n" +
            "kmbXmFagNFnQtseINvwBiCtZ2m7T+DForjy7Rp2SyDO8P75XY9TdoY7MEFstyWNi\n" +
            "JxDv4BsF96NrNC++ML2GpppT5KiShb4fcxJP3pmnQPF05cGri6KW99wIpZ7WHu6X\n" +
            "mzDBhm6ktwe8LwriXnWZ0y2peKmN7EQri76WjsHbOT34rJQcTs1s1riRW3aqL7bn\n" +
            "QHyg06DyoXgjSNTaMNWZT/Vx3TQl6+VtKsi37i7vF2v2mMGHMj8nfO4+MHt9rnJp\n" +
            "byJr4MinFElyHWLZZ83N0fzVkXImr4cV2exqTTUljoJKaw7AVC8rThmUKKUrBJE7\n" +
            "8uUDBDhGKE01FQtJsA==\n" +
            "-----END CERTIFICATE-----\n";

        public const string LeafPem =
            "-----BEGIN CERTIFICATE-----\n" +
            "MIIDVDCCAjygAwIBAgIUH5LEp+pGaDYRXwqoZANQQUJFig4wDQYJKoZIhvcNAQEL\n" +
            "BQAwIzEhMB8GA1UEAwwYZXRuYS1hdXRoIGNzaGFycCB0ZXN0IENBMCAXDTI2MTEy\n" +
            "NDEwNDA0OFoYDzIxMjYxMDMxMTA0MDQ4WjAUMRIwEAYDVQQDDAlsb2NhbGhvc3Qw\n" +
            "ggEiMA0GCSqGSIb3DQEBAQUAA4IBDwAwggEKAoIBAQCVu749a0FV8FfBP89cwaKs\n" +
            "8PVozxW0n1ml4/eyaG8y3o6fLfC6qtc+8+gV8zNdvvQJrUOU5fhJ90CATE+NieKP\n" +
            "2jzUXqGRsLgkfNooBDfuObwMT5mD4HDa3Crp/516D9uCnGDbYvvasQw7a4K3hW9R\n" +
            "0mVw5Ug6z0AEWDrf5b49kuCw7Wfs4jrfF9/qtSw17iYt7ZacUSGoR6+ZLMDWuMCZ\n" +
            "/rdIynsTyvOpdRoXJpeuu76vOFUfyAXoMJbPC+PUwuSYeGCKBauyySeom8ItaSeF\n" +
            "AZjarwLzXG15InbWRTep7NHkW0zWE8hypRRK3Xqoc+wmLusCnkCicWniAKbEpgb5\n" +
            "AgMBAAGjgYwwgYkwFAYDVR0RBA0wC4IJbG9jYWxob3N0MAwGA1UdEwEB/wQCMAAw\n" +
            "EwYDVR0lBAwwCgYIKwYBBQUHAwEwDgYDVR0PAQH/BAQDAgWgMB0GA1UdDgQWBBSX\n" +
            "onyiPYT9JXg98yaDOEJ+eTx+NDAfBgNVHSMEGDAWgBT6ASSBpz+T4UgJAx1NYCw4\n" +
            "gyKAgjANBgkqhkiG9w0BAQsFAAOCAQEAFbiHeoe9YLt7UnsYs4z2ypW0GLdBuqpz\n" +
            "RBfssMEA+TMTCVgCxLCq3hOtiw0o21D54V/4JsalZ9aEX1Dc8KXNM0OGbQCT61d0\n" +
            "Vpm5zLuE1g40c1dTEofLrYmVSwuA6PfZg3JF+Ovri69lDwv43b9CKOZdzfyzzXae\n" +
            "EWxlwarI6XRvsdgL0lx2cWpzu0wIlF7by+LzX2gl/mt69rM6TMznpL3yE9X96ZEd\n" +
            "XQ71Apm3PIzC2z5hVbp88HkV82LRIiTJ21QHEKtUoNkq4sd318bbnZy0qWZFulLR\n" +
            "YxrtyliiLovljfqkPgzhstn8RLcg6uKKKWjnALNa32ky/zqf0YQrtw==\n" +
            "-----END CERTIFICATE-----\n";

        /// <summary>The leaf's private key (PKCS#8, unencrypted), for the out-of-process https server.</summary>
        public const string LeafKeyPem =
            "-----BEGIN PRIVATE KEY-----\n" +
            "MIIEvAIBADANBgkqhkiG9w0BAQEFAASCBKYwggSiAgEAAoIBAQCVu749a0FV8FfB\n" +
            "P89cwaKs8PVozxW0n1ml4/eyaG8y3o6fLfC6qtc+8+gV8zNdvvQJrUOU5fhJ90CA\n" +
            "TE+NieKP2jzUXqGRsLgkfNooBDfuObwMT5mD4HDa3Crp/516D9uCnGDbYvvasQw7\n" +
            "a4K3hW9R0mVw5Ug6z0AEWDrf5b49kuCw7Wfs4jrfF9/qtSw17iYt7ZacUSGoR6+Z\n" +
            "LMDWuMCZ/rdIynsTyvOpdRoXJpeuu76vOFUfyAXoMJbPC+PUwuSYeGCKBauyySeo\n" +
            "m8ItaSeFAZjarwLzXG15InbWRTep7NHkW0zWE8hypRRK3Xqoc+wmLusCnkCicWni\n" +
            "AKbEpgb5AgMBAAECggEAEW2Euwlc1W/gBvIyZI11LcPuDIDt+dQCTzi1f+J/7t/Q\n" +
            "od5rAo8X9o/VF5jzBZpQNUAheZc6ywEoVMaNC+BcqnmwUteg3qA/DqAplDbJe8Tk\n" +
            "ilpJd/wLpq2xoQLLhYWK+yzQaTigL9gjoFbnJA0348IlZHqLaaztupO6Zo0LE4dz\n" +
            "YpTnsHqy1Gg02O3stXavvqAl5gPND6izCr/NHAcc7CNmdmYKHMrCNVpe+hakeq8E\n" +
            "3mix/NjzLIv0uACMsUMjExRA6kEWc4hTXMMJs9dhtst2UMyZv14MypfdfvsCdR8y\n" +
            "ovx3YK5ezPji1YRxAoH8a+Se1ufZpW3DoJ58kiUGsQKBgQDG86xA3Tj5H0ZncYPV\n" +
            "2QBJtycZoyLUubJjRmqE3zg97vvRmwWKni/HP+PX7MO0pwrYmHu/JZ4q/f6AiYLJ\n" +
            "IX0JEJF5gKO5DjS/YpBPJc+YJaJoQdGPgOtjNXkpV8y0tt7QAm3CMBrQz8kQ5MSn\n" +
            "N8uHTuyBmJxA/tXVMHdJR0TPUwKBgQDAqx8/UARuNqet3Rw00q4OOUvF7baWYW98\n" +
            "RCpG2J5qIHZkejQTIhQGawZOgBzcRf8K9R+ksSveOHzzo3Zr2yYH5APDx/B9S1mD\n" +
            "FefK3JseZtmU3glDQVDRDjX8UPIWNXL3ND+eV+tKwRMPIahhXpGb0S79OxEmQgiM\n" +
            "09TnVdvjAwKBgAnkti0nkxy4VGzydSbeOqhvxi79MM85SMitCMEAxLA3wSgEOHtT\n" +
            "MHcNE0x6hqTmJaDtvEGeIkZrCQvlSq6rzqbzvvg20G10amUWBq0Y6UDcpj3fAAfN\n" +
            "1mbBkvveVNyrt1rKtCCS+dJmcs43Qhw6pxFceGBdcW+9/G40kcoAFEjnAoGAJWpV\n" +
            "5B6u7ZRRldMFokBzqrF3xJU4SxXa55/5Mc7pXKS3OSX+LOUGTITGMcJxWFmDgOY/\n" +
            "YeVCJqKDqXDKE4H4bbna/U87palXVbyQSfXzbcD9agqAc/4gKqj+1OQHT0bL77PG\n" +
            "0wIx4E+EWwDnSRlrX34NCQJKf0p9jJOqmc4zqG8CgYBc0yNeEfr4HdeKPQb1Gj+6\n" +
            "I5koTteonobONwdzXYwNk/fyDnrbf3imV1yqDK+Rnt12Gi3JIt+G9iVq9NZB69WX\n" +
            "Fm34+/QtyDqN3Cak59+0IKvM4xtIAbxZlKXuJWQG6TCvVeu2BEqlfG//EqTt8wXT\n" +
            "LntOLBW6Cftwd7NhoTgvSA==\n" +
            "-----END PRIVATE KEY-----\n";
    }
}
