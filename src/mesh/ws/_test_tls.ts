/**
 * Test-only TLS material for the wss:// tests: a throwaway CA and a server
 * certificate for 127.0.0.1 / localhost (EC P-256, valid 2020–2120). The
 * key protects nothing; it exists so tests can run a TLS server on loopback.
 * Made with `openssl ca` (for the fixed start date): a self-signed CA with
 * CA:TRUE, keyCertSign; a leaf with CA:FALSE, serverAuth and
 * SAN IP:127.0.0.1, DNS:localhost, both `-startdate 20200101000000Z
 * -enddate 21200101000000Z`.
 * @module
 */

/** The CA that signed {@link TEST_CERT}; pass it as `caCerts`. */
export const TEST_CA = `-----BEGIN CERTIFICATE-----
MIIBejCCAR+gAwIBAgIBATAKBggqhkjOPQQDAjAjMSEwHwYDVQQDDBhDYW5vcHkg
V2ViU29ja2V0IHRlc3QgQ0EwIBcNMjAwMTAxMDAwMDAwWhgPMjEyMDAxMDEwMDAw
MDBaMCMxITAfBgNVBAMMGENhbm9weSBXZWJTb2NrZXQgdGVzdCBDQTBZMBMGByqG
SM49AgEGCCqGSM49AwEHA0IABGUwRaCtr5ex3rB3lF+i/MqSf0Lk08sMenMDFUuG
xDx4o6wPeZmHsV20PMYjCnYBPv31ax3ILH0zHAIaLo0xm52jQjBAMA8GA1UdEwEB
/wQFMAMBAf8wDgYDVR0PAQH/BAQDAgEGMB0GA1UdDgQWBBT0P364uFnnjfsIUkY9
lYUTpEH4yTAKBggqhkjOPQQDAgNJADBGAiEAsBw5VYvnkQ9SXE6hDKkOaHDKz/3C
+YAtbei7txr9nLcCIQCd72vXxnc26XbszrRZcxK6CYh38K4PPepOQXZXUj0q8g==
-----END CERTIFICATE-----
`;

/** Server certificate for 127.0.0.1 and localhost. */
export const TEST_CERT = `-----BEGIN CERTIFICATE-----
MIIBvDCCAWGgAwIBAgIBAjAKBggqhkjOPQQDAjAjMSEwHwYDVQQDDBhDYW5vcHkg
V2ViU29ja2V0IHRlc3QgQ0EwIBcNMjAwMTAxMDAwMDAwWhgPMjEyMDAxMDEwMDAw
MDBaMBQxEjAQBgNVBAMMCTEyNy4wLjAuMTBZMBMGByqGSM49AgEGCCqGSM49AwEH
A0IABJUBGuwfU2QTflTRj6JILqNrCW3Br6CKhjthBarCRVeRKwDCEL6w3AJ1ijFV
SHTXT9gCIgi+0zedUJqmhKqaUuKjgZIwgY8wDAYDVR0TAQH/BAIwADAOBgNVHQ8B
Af8EBAMCB4AwEwYDVR0lBAwwCgYIKwYBBQUHAwEwGgYDVR0RBBMwEYcEfwAAAYIJ
bG9jYWxob3N0MB8GA1UdIwQYMBaAFPQ/fri4WeeN+whSRj2VhROkQfjJMB0GA1Ud
DgQWBBRehZ94p1+DjgACmBPNF9euQUGDkDAKBggqhkjOPQQDAgNJADBGAiEAkESe
n7oc6FUqemuGT+o7Ho72ITyx/fCZD6pnwGhEG44CIQCzDU6U5mVNV+EM4IJzOLgS
sLT8bMEwuz8h/LaNe4HnbA==
-----END CERTIFICATE-----
`;

/** The server certificate's private key (PKCS#8 PEM). Test use only. */
export const TEST_KEY = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg0U75hL4dQY3y1I4q
KwHwe31jBu0DLgWj0b5LP1WYa8qhRANCAASVARrsH1NkE35U0Y+iSC6jawltwa+g
ioY7YQWqwkVXkSsAwhC+sNwCdYoxVUh010/YAiIIvtM3nVCapoSqmlLi
-----END PRIVATE KEY-----
`;
