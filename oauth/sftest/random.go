package sftest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"math/big"
	"net"
	"time"
)

const (
	// tokenChars are the characters of access and refresh tokens.
	tokenChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._"
	// alnum are the characters of Salesforce ids, otps and session ids.
	alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
)

// randString returns n characters drawn uniformly from alphabet with
// crypto/rand.
func randString(alphabet string, n int) string {
	out := make([]byte, 0, n)
	buf := make([]byte, n+16)
	limit := 256 - 256%len(alphabet)
	for len(out) < n {
		rand.Read(buf)
		for _, b := range buf {
			if int(b) < limit && len(out) < n {
				out = append(out, alphabet[int(b)%len(alphabet)])
			}
		}
	}
	return string(out)
}

// newID returns an 18-character Salesforce id with the 3-character key
// prefix, such as 00D or 005, and the case-safe checksum suffix.
func newID(prefix string) string {
	id15 := prefix + "000000" + randString(alnum, 6)
	return id15 + idChecksum(id15)
}

// idChecksum returns the 3-character suffix that makes a 15-character id
// case-insensitive.
func idChecksum(id15 string) string {
	const table = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
	var sum [3]byte
	for i := range 3 {
		f := 0
		for j := range 5 {
			if c := id15[i*5+j]; c >= 'A' && c <= 'Z' {
				f |= 1 << j
			}
		}
		sum[i] = table[f]
	}
	return string(sum[:])
}

// sameID compares two Salesforce ids, 15 or 18 characters.
func sameID(a, b string) bool {
	if len(a) < 15 || len(b) < 15 {
		return false
	}
	return a[:15] == b[:15]
}

// newAccessToken returns an access token of org orgID shaped like
// 00Dxxxxxxxxxxxx!AQ… (it matches the CLI's /(00D\w{12,15})![.\w]*/).
func newAccessToken(orgID string) string {
	return orgID[:15] + "!AQ" + randString(tokenChars, 100)
}

// newRefreshToken returns a refresh token shaped like 5Aep861….
func newRefreshToken() string { return "5Aep861" + randString(tokenChars, 80) }

// newCode returns an authorization code shaped like aPrx…== .
func newCode() string {
	b := make([]byte, 34)
	rand.Read(b)
	return "aPrx" + base64.StdEncoding.EncodeToString(b)
}

// newCertificates makes a CA and a leaf certificate for 127.0.0.1, ::1 and
// localhost signed by it. It returns the CA in PEM and the leaf.
func newCertificates() ([]byte, tls.Certificate, error) {
	now := time.Now()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, tls.Certificate{}, err
	}
	caTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{Organization: []string{"sftest"}, CommonName: "sftest fake Salesforce CA"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(10 * 365 * 24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return nil, tls.Certificate{}, err
	}
	caCert, err := x509.ParseCertificate(caDER)
	if err != nil {
		return nil, tls.Certificate{}, err
	}
	leafKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, tls.Certificate{}, err
	}
	leafTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{Organization: []string{"sftest"}, CommonName: "127.0.0.1"},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(10 * 365 * 24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
		DNSNames:     []string{"localhost"},
	}
	leafDER, err := x509.CreateCertificate(rand.Reader, leafTmpl, caCert, &leafKey.PublicKey, caKey)
	if err != nil {
		return nil, tls.Certificate{}, err
	}
	leaf := tls.Certificate{Certificate: [][]byte{leafDER}, PrivateKey: leafKey}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}), leaf, nil
}
