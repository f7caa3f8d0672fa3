using System;

namespace EtnaAuth.Tests
{
    /// <summary>
    /// A test PKI made once with openssl for these tests (RSA 2048, valid 100 years): a CA, and a
    /// leaf certificate for "localhost" signed by it, as PKCS#12 (password "test") for SslStream.
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

        public const string LeafPfxPassword = "test";

        public static readonly byte[] LeafPfx = Convert.FromBase64String(
            "MIIJmQIBAzCCCV8GCSqGSIb3DQEHAaCCCVAEgglMMIIJSDCCA/8GCSqGSIb3DQEHBqCCA/AwggPs" +
            "AgEAMIID5QYJKoZIhvcNAQcBMBwGCiqGSIb3DQEMAQMwDgQIFw7CZDvGHU4CAggAgIIDuDVZWfla" +
            "ZruMmzkYRhy34J1Lgz+OkybLaYJ7zAFdOi7F6h7zqSate/CGnBc/0K2YonMOE0SfAvLubYcR4YCl" +
            "daopXHU3RlY+fwrNiwrXz72mE2IUEAx6cUuLlPTZ9oHysL1HLMwmlAkEDMPrifgyENg4ML9BfSwz" +
            "pvv7WDzSeYZD1HQLiLuv0g31F2Mpm7UwfiSBAqaIL8YzHekdbFSkeuuNqrB6IDisAFsZ8WM6DVJL" +
            "dQZz4JiljlkjyQCme0KV693ULMVssr2cEzWzfEuuxlpQHNhHKn2cIBWZfmxLEskqUIcfN00ZbCyO" +
            "vJc9i3PFiZrj60mzsNJc0FmEd+xP6yQ858p7O2bXTEUoYyzMOnYMrrAD912r/oSs0+h9UAG88D78" +
            "dBctfLGUe8MZJCZAQ5ONkv1zVo1oYWyeciUMUx+LUsPLPgYmIUPFgvaOG1R9oeuy2IrHXuFLAUjH" +
            "R8ZA5T0hzNqRt5aJbmfwU6FCV7rpxT8WNsfRkPg1+6jejikotAIR7RWx6shl5sOf2UoSwOJLfd3h" +
            "VDPVQQD9+l2Dgsyq/5+jDrw6V7YusPrRbmBtT/d9U2FdiXOewY9cCt74jcGJoM5ZXJcFPbluGG1R" +
            "avDOzM5BjIk1D4GiFSrvVDqptX6MRQ3MR+Ff5sE1qFDaDCAKDaHbQYz6MgHlaVg7oqUEN19c5Gug" +
            "hS5G6RvQYu+BNAf2XDxDOxnIVOAhvEQNq+ukeHxlmzmJtuYUcEEBBmL/CSkeCyTWrAvi7WuxYt2b" +
            "76NnPlTIUtr17UG3H6ZNY8WYdaypGWGT/qhQvL5lqp3dvMEYxznQlfzjR35JwFbhTq7s58XFYjI6" +
            "R/pZwkbxS2Njl5H8HVdj7OJ0Ahxy25eatM4rzIxKnzT6pqIXlt5Cx3wNNTwEQjg0QTAh3fytf+49" +
            "toZMRBfACIRqb14ApOfGC818y+iQkvYsuuwhdrLCGfKWGACuencW5Atj5jBzjdALlu/7top9gN8A" +
            "u7SuA4SkcImzfN3LY79SihP9/4BFd2fyMYp/SjpjJ5YPV6WDJijB7V+g+ahxRMEntnqhi666pNiX" +
            "QmA5F21anLr3GP+KoonAB2LQ4zpiYnximdLaKZOk3wVtwdpZO/vDS01HzpFeDsv3ayMFl3mZOGsi" +
            "rE11XM6+7l2ObzhgnqOGzVRaLDP5rgTlUXVsJ9JpnlaY4SGJzDziFNwd2gYLaRXihoW1rnf8g2e7" +
            "YbwPwlFjZW4EzD6bhYowBkAYev3PsKJamz6poptfJtvxXuYwggVBBgkqhkiG9w0BBwGgggUyBIIF" +
            "LjCCBSowggUmBgsqhkiG9w0BDAoBAqCCBO4wggTqMBwGCiqGSIb3DQEMAQMwDgQIBTfJwL292bAC" +
            "AggABIIEyHTDB8qVs4ivJvpe8sE4/cek60Cv8BtJk0nYxL5j+4IQQlgILJlxYetKZD/nuwnPmBgZ" +
            "HnQKWSucD0Rl8GSKVIwQyjSkIhl+Tea/UmSaZPmk/WoGWgtXJ5QLka4pMi0BaBU4sPnHttX/bt2V" +
            "SkT9W+3rOv0WnKWLo/ZnVqOSCQPouugwX/64h6MyaaZ+SlhfvFO9W0A1HDXUvdjwha2X+wASAlMD" +
            "qCmXQxCeWlJo1DiWViNSSmRVU95FOpjzvvIcx0mKan/1lh+UjHV2bI5sMQfgJJxPqdh9F/pTo8lN" +
            "WLXJZ24xGnl/QqdQgKM+dPRs3Ihm+gWSONfvPvp1PmC6ilYmBXsBjx+aUViBwYjyk2RPK9VP4Usz" +
            "MVl2vBI8I0OlsQBvSRKbc0zLPWLEMbOO0usz5pF3ginsXV9b50QXBnknzbJH2rOmC4MXPmvGQIjW" +
            "OTgqaYqAZ5RRObQKNNofwGQUHJiaep3mYG7lBV5Z+1MOmLNij6RwypbxMBzDba9+rrqF/f7YlZ0W" +
            "7XBlQBRTQuCOpaO8WY5tn2hbpqUSbK71C5QYfkWbGQirtk/dmOZJJAuic6KQkAtv2pvhGnvNde8s" +
            "8CmprrKROuLXqwXESqIKbh4H/1ChRN5Ev+wHI4P9hg0+VuPsVLulFyz0gV3Ci7fpGMy2k6bEeY5n" +
            "C2b1puFcT/kiBx0aWZrG4NZWd+p9cq2wYEgYmfY9b665YzSEXYxC6n0JqOzQIA8jw3a1Q7/vbrcV" +
            "z9N3mr1m7mXISrHAPupqIRlV7OeYCWqy6Bkt3cj3A6+NDhZ8NV03HqYOuYgzqQZbKnBID83T8Wml" +
            "8US8yxC9hkZLlvQ+JVH9k+p3EmYkEZm+5QxMTOc6x30FOBW9IqWctva9ucY4GfOnTnP7+xoLj1si" +
            "7x9HPwV4cMwlvxXQHAIN6AW6eeB8f3Tu+41ns7nz75daCFJ1c4kD6YSygGVIkbW8MS/UAHHsAssR" +
            "3CtbU5L/23Jqnd14AVwvol5Tc0WapA3bneIBHq+xkVVyjW1scW64mJNa6VJVhExhG23YAXY/UPrK" +
            "gVylg36UnxNakbVCiLro/oMQl+1WOI1Q5bOPEbC++BzCaaiFgdpQ1IdRg+DMwiAfPW8IAVVkwhHs" +
            "+F1Z1KHhq/623WmHNazqbYE+wcegCFhH6+0X8iQgvb3I64HjlHaMwq8kciPyQzOtgpQIrItanfrI" +
            "ld0+j+sYH1LA75d/UJQIzsvfekOX4Ck1LwSomnLeLLM4GwyM01LVYjduSfe+nEhrtT48DJtd0sES" +
            "mGM8JvyQTKF4KPRaAcYsnVL3zP51Vk1Ngv/AmDVOuCOBl56J+SY34bUGFv0WJLsEmOypRWGKOOYY" +
            "mD5QIHAeARb+1gId4O8p436a22xcoPi8YhUzPCLd1R1eJ+ig5u459dQaZdg533Du3aF59dZ4sdYJ" +
            "jg+MeW9RMAxosBSBc2ilWVagUtRF9jwFn2aIlvZCHbuSiTJovzzedmRtfv8D9xoDTQCFESiWRMlp" +
            "HB854WvzJah01ibo2zm+BjPazfRdPoveWek8aKZLSfl/oWbVbX2NvBHcc949GGLA4AZRj+viUMbk" +
            "AQstxiEYTNnhr3NED+hNsvqPAD9K64NpiUoEPM+EpVp6YzElMCMGCSqGSIb3DQEJFTEWBBRl2Ule" +
            "PN5k+9xwW9Tvpe7Sd4YJpjAxMCEwCQYFKw4DAhoFAAQUYAhufYuLbB9/HtvdvtjmMtYv6g4ECOxq" +
            "ar5/irUkAgIIAA==");
    }
}
