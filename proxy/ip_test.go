package proxy

import (
	"net/netip"
	"testing"
)

var ipSeeds = []string{
	"127.0.0.1", "127.255.0.9", "10.0.0.1", "0.0.0.0", "255.255.255.255", "256.0.0.1", "01.2.3.4", "1.2.3", "1.2.3.4.5",
	"1..2.3", ".1.2.3", "1.2.3.", "1.2.3.4%eth0", "::1", "::", "::1%lo", "::1%", "%lo", "fe80::1%eth0", "0:0:0:0:0:0:0:1",
	"::ffff:127.0.0.1", "::ffff:7f00:1", "::ffff:10.0.0.1", "1:2:3:4:5:6:1.2.3.4", "1:2:3:4:5:6:7:1.2.3.4", "::1.2.3.4",
	"1::2::3", "1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7::", "1:2:3:4:5:6:7:8::", "12345::", "fffff::1",
	"ABCD:ef01::", ":1", "1:", "1:::2", "", "localhost", "::g", "2001:db8::/32", "1:2:3:4:5:6:7:08",
	"a:f:9:0::", "A:F:9:0::", "9::", "f::", "F::", "a::", "A::", "0::", "::1::2", "::1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7::8",
	"1.2.3.9", "9.9.9.9", "1.2.3.4.", "1.2..3", "1:2:3:4:5:6:7::1.2.3.4", "1:2:3:4:5::1.2.3.4",
}

// FuzzParseIP: parseIP accepts what net/netip.ParseAddr accepts, with the
// same address, and isLoopbackIP agrees with Addr.IsLoopback.
func FuzzParseIP(f *testing.F) {
	for _, s := range ipSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ip, ok := parseIP(s)
		want, err := netip.ParseAddr(s)
		if ok != (err == nil) {
			t.Fatalf("parseIP(%q) ok %v, netip: %v", s, ok, err)
		}
		if !ok {
			return
		}
		if ip != want.As16() {
			t.Fatalf("parseIP(%q) = %v, netip %v", s, ip, want.As16())
		}
		if isLoopbackIP(ip) != want.IsLoopback() {
			t.Fatalf("isLoopbackIP(%q) = %v, netip %v", s, isLoopbackIP(ip), want.IsLoopback())
		}
	})
}
