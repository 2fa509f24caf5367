package suggest

import "testing"

func TestDistance(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"", "", 0}, {"a", "", 1}, {"", "abc", 3}, {"kitten", "sitting", 3},
		{"hostName", "hostname", 1}, {"TLSv1_2", "TLSv1_2", 0}, {"ab", "ba", 2},
	}
	for _, tt := range tests {
		if got := Distance(tt.a, tt.b); got != tt.want {
			t.Errorf("Distance(%q, %q) = %d; want %d", tt.a, tt.b, got, tt.want)
		}
		if got := Distance(tt.b, tt.a); got != tt.want {
			t.Errorf("Distance(%q, %q) = %d; want %d (symmetry)", tt.b, tt.a, got, tt.want)
		}
	}
}

func TestClosest(t *testing.T) {
	fields := []string{"hostName", "hostNames", "port", "protocol", "sslCertificate"}
	tests := []struct {
		name string
		max  int
		want string
	}{
		{"hostname", 2, "hostName"},   // case only: exact match wins
		{"hostNmae", 2, "hostName"},   // two edits
		{"protocl", 2, "protocol"},    // one edit
		{"sslCert", 2, ""},            // too far
		{"prot", 0, ""},               // nothing within zero edits
		{"HOSTNAMES", 2, "hostNames"}, // exact match ignoring case, not the nearer-by-length one
		{"prt", 1, "port"},            // one insertion
	}
	for _, tt := range tests {
		if got := Closest(tt.name, fields, tt.max); got != tt.want {
			t.Errorf("Closest(%q, max %d) = %q; want %q", tt.name, tt.max, got, tt.want)
		}
	}
}
