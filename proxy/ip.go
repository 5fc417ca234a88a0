package proxy

// parseIP parses an IPv4 or IPv6 address (with an optional %zone) exactly
// as net/netip.ParseAddr does, which the Worker cannot afford: net/netip
// links unique and weak, 31 KB of its gzip. ip is the 16-byte form (IPv4 as
// ::ffff:a.b.c.d); FuzzParseIP checks it against netip.
func parseIP(s string) (ip [16]byte, ok bool) {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '.':
			ip[10], ip[11] = 0xff, 0xff
			return ip, parseIPv4(s, ip[12:])
		case ':':
			return parseIPv6(s)
		case '%':
			return ip, false
		}
	}
	return ip, false
}

// parseIPv4 reads dotted decimal (no leading zeros) into the 4 bytes of f.
func parseIPv4(s string, f []byte) bool {
	val, pos, digits := 0, 0, 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case '0' <= c && c <= '9':
			if digits == 1 && val == 0 {
				return false
			}
			val = val*10 + int(c-'0')
			digits++
			if val > 255 {
				return false
			}
		case c == '.':
			if digits == 0 || pos == 3 { // a dot first or after a dot; a fifth field
				return false
			}
			f[pos] = byte(val)
			pos, val, digits = pos+1, 0, 0
		default:
			return false
		}
	}
	if pos < 3 || digits == 0 { // too few fields; a dot last
		return false
	}
	f[3] = byte(val)
	return true
}

func parseIPv6(s string) (ip [16]byte, ok bool) {
	for j := 0; j < len(s); j++ {
		if s[j] == '%' {
			if j == len(s)-1 {
				return ip, false // an empty zone
			}
			s = s[:j]
			break
		}
	}
	ellipsis := -1 // where :: is, in ip
	if len(s) >= 2 && s[0] == ':' && s[1] == ':' {
		ellipsis, s = 0, s[2:]
		if s == "" {
			return ip, true
		}
	}
	i := 0
	for i < 16 {
		off, acc := 0, 0
	hex:
		for ; off < len(s); off++ {
			switch c := s[off]; {
			case '0' <= c && c <= '9':
				acc = acc<<4 + int(c-'0')
			case 'a' <= c && c <= 'f':
				acc = acc<<4 + int(c-'a'+10)
			case 'A' <= c && c <= 'F':
				acc = acc<<4 + int(c-'A'+10)
			default:
				break hex
			}
			if off > 3 {
				return ip, false // five hex digits
			}
		}
		if off == 0 {
			return ip, false
		}
		if off < len(s) && s[off] == '.' { // an IPv4 address to end with
			if ellipsis < 0 && i != 12 || i+4 > 16 || !parseIPv4(s, ip[i:i+4]) {
				return ip, false
			}
			s, i = "", i+4
			break
		}
		ip[i], ip[i+1] = byte(acc>>8), byte(acc)
		i += 2
		if s = s[off:]; s == "" {
			break
		}
		if s[0] != ':' || len(s) == 1 {
			return ip, false
		}
		if s = s[1:]; s[0] == ':' {
			if ellipsis >= 0 {
				return ip, false
			}
			ellipsis, s = i, s[1:]
			if s == "" {
				break
			}
		}
	}
	if s != "" {
		return ip, false
	}
	if i < 16 {
		if ellipsis < 0 {
			return ip, false
		}
		n := 16 - i
		for j := i - 1; j >= ellipsis; j-- {
			ip[j+n] = ip[j]
		}
		clear(ip[ellipsis : ellipsis+n])
	} else if ellipsis >= 0 {
		return ip, false // :: must stand for at least one group
	}
	return ip, true
}

// isLoopbackIP is netip.Addr.IsLoopback of parseIP's result: 127.0.0.0/8
// (IPv4-mapped too) or ::1.
func isLoopbackIP(ip [16]byte) bool {
	var v4mapped = [12]byte{10: 0xff, 11: 0xff}
	if [12]byte(ip[:12]) == v4mapped {
		return ip[12] == 127
	}
	return ip == [16]byte{15: 1}
}
